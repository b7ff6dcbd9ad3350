import { spawn } from 'node:child_process';
import { CommandFailedError, InvalidOptionError } from './errors.js';
import type { RunFile } from './gate.js';

/** Options of {@link runCommand}. */
export interface RunCommandOptions {
  /** Command and arguments, run without a shell. */
  command: readonly string[];
  /** Number of runs. Default 5. */
  runs?: number;
  /** Kill a run after this many ms. Default 120000. */
  timeoutMs?: number;
  /**
   * Run under `valgrind --tool=callgrind` and add an `instructions` metric: a count that does not move
   * with machine noise, so small regressions show on a shared CI runner. Default false.
   */
  instructions?: boolean;
  /**
   * Runs started at once. Keep 1 for wall time; instruction counts do not depend on load, so several
   * valgrind runs can share the cores. Default 1.
   */
  concurrency?: number;
}

const callgrind = ['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null'];

function runOnce(command: readonly string[], timeoutMs: number): Promise<Record<string, number>> {
  const [file = '', ...args] = command;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', (error) => reject(new CommandFailedError(command.join(' '), null, false, String(error))));
    child.on('close', (code, signal) => {
      const wallMs = performance.now() - started;
      if (code !== 0) {
        reject(new CommandFailedError(command.join(' '), code, signal === 'SIGKILL', stderr));
        return;
      }
      const collected = /Collected : (\d+)/.exec(stderr)?.[1];
      resolve({ wallMs, ...lastJsonLine(stdout), ...(collected ? { instructions: Number(collected) } : {}) });
    });
  });
}

/** A benchmark may print `{ "metric": number, ... }` as its last stdout line; other output is ignored. */
function lastJsonLine(stdout: string): Record<string, number> {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((entry): entry is [string, number] => Number.isFinite(entry[1])),
    );
  } catch {
    return {};
  }
}

/** Runs a command `runs` times (`concurrency` at a time) and collects wall time plus the metrics it prints. */
export async function runCommand(options: RunCommandOptions): Promise<RunFile> {
  const runs = options.runs ?? 5;
  const timeoutMs = options.timeoutMs ?? 120_000;
  if (options.command.length === 0) throw new InvalidOptionError('command', 'a non-empty list', '[]');
  if (!(Number.isInteger(runs) && runs >= 1)) throw new InvalidOptionError('runs', 'an integer >= 1', runs);
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new InvalidOptionError('timeoutMs', 'a finite number > 0', timeoutMs);
  }
  const concurrency = options.concurrency ?? 1;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    throw new InvalidOptionError('concurrency', 'an integer >= 1', concurrency);
  }
  const command = options.instructions ? [...callgrind, ...options.command] : options.command;
  const results: Record<string, number>[] = [];
  let started = 0;
  const worker = async () => {
    while (started < runs) {
      const index = started++;
      results[index] = await runOnce(command, timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, runs) }, worker));
  const file: RunFile = { version: 2, metrics: {} };
  for (const result of results) {
    for (const [name, value] of Object.entries(result)) file.metrics[name] = [...(file.metrics[name] ?? []), value];
  }
  return file;
}
