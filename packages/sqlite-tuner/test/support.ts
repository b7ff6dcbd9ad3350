import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** Spawns a child, collecting its stdout lines, and resolves once it printed `ready`. */
export async function spawnChild(args: string[], ready: string): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const reader = createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> });
  const seen = new Promise<void>((resolve, reject) => {
    reader.on('line', (line) => {
      lines.push(line);
      if (line === ready) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before printing ${ready}`)));
  });
  await seen;
  return { child, lines };
}

/** Kills a child with `signal` and waits until it has exited. */
export async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}
