import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { CommandFailedError, compareRuns, markdownTable, parseRunFile, runCommand } from '../src/index.js';

const cli = join(import.meta.dirname, '../src/cli.ts');
const micro = join(import.meta.dirname, '../../../bench/monitor/micro.mjs');

async function perf(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', cli, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const samples = (center: number, n: number) => Array.from({ length: n }, (_, i) => center * (1 + ((i % 5) - 2) * 0.01));

describe('compareRuns', () => {
  it('flags a 30 % slowdown as a regression and leaves identical distributions alone', () => {
    const baseline = { version: 2 as const, metrics: { a: samples(100, 10), b: samples(50, 10) } };
    const current = { version: 2 as const, metrics: { a: samples(130, 10), b: samples(50, 10) } };
    const results = compareRuns(baseline, current);
    expect(results.map((r) => [r.metric, r.regression])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(markdownTable(results)).toContain('| a | 100.0 | 130.0 | 30.0 % |');
  });

  it('honours a per-metric threshold above the observed change', () => {
    const baseline = { version: 2 as const, metrics: { a: samples(100, 10) } };
    const current = { version: 2 as const, metrics: { a: samples(130, 10) } };
    expect(compareRuns(baseline, current, { thresholds: { a: 50 } })[0]?.regression).toBe(false);
  });

  it('reads an older baseline with one number per metric', () => {
    expect(parseRunFile({ metrics: { wallMs: 12, name: 'x' } })).toEqual({ version: 2, metrics: { wallMs: [12] } });
  });

  it('rejects a file without metrics with a typed error', () => {
    expect(() => parseRunFile({ results: [] })).toThrow(/`metrics` object/);
  });
});

describe('runCommand', () => {
  it('collects wall time and the metrics a command prints, once per run', async () => {
    const run = await runCommand({ command: [process.execPath, micro], runs: 3 });
    expect(run.metrics.wallMs).toHaveLength(3);
    expect(run.metrics.loopMs).toHaveLength(3);
  });

  it('starts runs concurrently when asked and still keeps one sample per run', async () => {
    const run = await runCommand({ command: [process.execPath, micro], runs: 3, concurrency: 2 });
    expect(run.metrics.loopMs).toHaveLength(3);
    await expect(runCommand({ command: ['x'], concurrency: 0 })).rejects.toThrow('Expected `concurrency`');
  });

  it('counts instructions under valgrind when asked, nearly identically on every run', async () => {
    const run = await runCommand({ command: ['/bin/true'], runs: 2, instructions: true });
    const [first = 0, second = 0] = run.metrics.instructions ?? [];
    expect(first).toBeGreaterThan(0);
    // The count only moves with the environment size (a few dozen instructions), never with machine load.
    expect(Math.abs(first - second) / first).toBeLessThan(0.01);
  });

  it('fails with CommandFailedError on a non-zero exit and on a timeout', async () => {
    const failing = runCommand({ command: [process.execPath, '-e', 'process.exit(3)'], runs: 2 });
    await expect(failing).rejects.toMatchObject({ exitCode: 3, timedOut: false });
    const hanging = runCommand({ command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'], timeoutMs: 300 });
    await expect(hanging).rejects.toBeInstanceOf(CommandFailedError);
    await expect(hanging).rejects.toMatchObject({ timedOut: true });
  });
});

describe('pilms-perf CLI', () => {
  it('exits 1 with a Markdown table only on a significant regression', async () => {
    const dir = await tempDir();
    const write = (name: string, body: unknown) => writeFile(join(dir, name), JSON.stringify(body));
    await write('base.json', { version: 2, metrics: { loopMs: samples(10, 8) } });
    await write('old.json', { metrics: { loopMs: 10 } });
    await write('same.json', { version: 2, metrics: { loopMs: samples(10, 8) } });
    await write('slow.json', { version: 2, metrics: { loopMs: samples(20, 8) } });
    const args = ['compare', '--baseline', join(dir, 'base.json'), '--baseline', join(dir, 'old.json'), '--current'];
    const same = await perf([...args, join(dir, 'same.json')]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('| loopMs |');
    const slow = await perf([...args, join(dir, 'slow.json')]);
    expect(slow.code).toBe(1);
    expect(slow.stdout).toContain('regression');
    const only = await perf([...args, join(dir, 'slow.json'), '--only', 'wallMs']);
    expect(only.code).toBe(0);
    expect(only.stdout).not.toContain('| loopMs |');
  });

  it('exits 2 and writes no run file when the command fails', async () => {
    const out = join(await tempDir(), 'run.json');
    const result = await perf(['run', '--out', out, '--runs', '1', '--', process.execPath, '-e', 'process.exit(4)']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('exited with code 4');
    await expect(writeFile(out, '', { flag: 'wx' })).resolves.toBeUndefined();
  });
});
