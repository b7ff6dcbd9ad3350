import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** A spawned child process and the lines it printed so far. */
export interface Child {
  child: ChildProcess;
  lines: string[];
  /** Resolves once `count` lines were printed; rejects if the child exits first. */
  waitForLines(count: number): Promise<void>;
}

/** Spawns a child, collecting its stdout lines, and resolves once it printed `ready`. */
export async function spawnChild(args: string[], ready: string): Promise<Child> {
  // stderr is collected, not inherited: a child blocked writing to a parent's undrained stderr would hang the test.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const reader = createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> });
  reader.on('line', (line) => lines.push(line));
  const waitForLines = (count: number) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (lines.length < count) return;
        reader.off('line', check);
        child.off('exit', early);
        resolve();
      };
      const early = (code: number | null) =>
        reject(new Error(`child exited with ${code} after ${lines.length} lines: ${stderr}`));
      reader.on('line', check);
      child.once('exit', early);
      check();
    });
  await new Promise<void>((resolve, reject) => {
    const onLine = (line: string) => {
      if (line !== ready) return;
      reader.off('line', onLine);
      resolve();
    };
    reader.on('line', onLine);
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before printing ${ready}: ${stderr}`)));
  });
  return { child, lines, waitForLines };
}

/** Kills a child with `signal` and waits until it has exited. */
export async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}
