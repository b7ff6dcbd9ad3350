import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/** Spawns a child and resolves once it printed the line `ready`. */
export async function spawnChild(args: string[], ready: string): Promise<{ child: ChildProcess }> {
  // stderr is collected, not inherited, and shown if the child dies before it is ready.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const reader = createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> });
  await new Promise<void>((resolve, reject) => {
    reader.on('line', (line) => {
      if (line === ready) resolve();
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before printing ${ready}: ${stderr}`)));
  });
  return { child };
}

/** Kills a child with `signal` and waits until it has exited. */
export async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}

/** Resolves once the file has `count` complete lines; throws if `child` exits first. */
export async function waitForFileLines(path: string, count: number, child: ChildProcess): Promise<void> {
  for (;;) {
    if (existsSync(path) && readFileSync(path, 'utf8').split('\n').length > count) return;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`child exited (${child.exitCode}) early`);
    await sleep(20);
  }
}
