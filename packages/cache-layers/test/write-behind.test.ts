import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import {
  ClosedError,
  createWriteBehind,
  FlushFailedError,
  InvalidOptionError,
  SerializationError,
  type WriteBehindItem,
} from '../src/index.js';

const dir = await tempDir('pilms-write-behind-');
const fixturePath = (name: string) => join(import.meta.dirname, 'fixtures', name);

function recorder<V>() {
  const batches: WriteBehindItem<V>[][] = [];
  return { batches, flush: async (batch: WriteBehindItem<V>[]) => void batches.push(batch) };
}

describe('createWriteBehind', () => {
  it('coalesces writes to one key, last write wins, and flushes in batches of maxBatch', async () => {
    const { batches, flush } = recorder<number>();
    const queue = createWriteBehind<number>({ flush, maxBatch: 3, maxDelayMs: 10_000 });
    for (let i = 0; i < 5; i++) await queue.write('progress:1', i);
    for (let i = 2; i <= 6; i++) await queue.write(`progress:${i}`, i);
    await queue.close();
    const flushed = batches.flat();
    expect(flushed).toHaveLength(6);
    expect(flushed.find((item) => item.key === 'progress:1')?.value).toBe(4);
    expect(batches.every((batch) => batch.length <= 3)).toBe(true);
    expect(queue.stats()).toMatchObject({ writes: 10, coalesced: 4, flushed: 6, pending: 0 });
  });

  it('merges pending writes with the merge function', async () => {
    const { batches, flush } = recorder<number>();
    const queue = createWriteBehind<number>({ flush, merge: (a, b) => a + b });
    await queue.write('views', 1);
    await queue.write('views', 2);
    await queue.write('views', 3);
    await queue.close();
    expect(batches.flat()).toEqual([{ key: 'views', value: 6 }]);
  });

  it('flushes by itself after maxDelayMs', async () => {
    const { batches, flush } = recorder<string>();
    const queue = createWriteBehind<string>({ flush, maxDelayMs: 10 });
    await queue.write('a', 'x');
    await sleep(100);
    expect(batches.flat()).toEqual([{ key: 'a', value: 'x' }]);
    await queue.close();
  });

  it('retries a failing flush with backoff and loses nothing', async () => {
    let failures = 2;
    const { batches, flush } = recorder<number>();
    const queue = createWriteBehind<number>({
      flush: async (batch) => {
        if (failures-- > 0) throw new Error('database is locked');
        await flush(batch);
      },
      retryBaseMs: 5,
    });
    await queue.write('a', 1);
    await queue.write('b', 2);
    await queue.close();
    expect(batches.flat()).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
    expect(queue.stats().retries).toBe(2);
  });

  it('keeps a batch pending after all retries fail and reports a typed error', async () => {
    const errors: FlushFailedError[] = [];
    let healthy = false;
    const { batches, flush } = recorder<number>();
    const queue = createWriteBehind<number>({
      flush: async (batch) => {
        if (!healthy) throw new Error('disk full');
        await flush(batch);
      },
      retries: 1,
      retryBaseMs: 1,
      onError: (error) => errors.push(error),
    });
    await queue.write('a', 1);
    await expect(queue.flush()).rejects.toBeInstanceOf(FlushFailedError);
    expect(errors[0]).toMatchObject({ code: 'PILMS_CACHE_FLUSH_FAILED', attempts: 2, size: 1 });
    await queue.write('a', 2);
    expect(queue.stats().pending).toBe(1);
    healthy = true;
    await queue.close();
    expect(batches.flat()).toEqual([{ key: 'a', value: 2 }]);
  });

  it('makes writers wait when maxPending keys are pending (backpressure)', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { batches, flush } = recorder<number>();
    const queue = createWriteBehind<number>({
      flush: async (batch) => {
        await gate;
        await flush(batch);
      },
      maxPending: 4,
      maxBatch: 2,
      maxDelayMs: 1,
    });
    let acknowledged = 0;
    const writes = Array.from({ length: 10 }, (_, i) => queue.write(`k${i}`, i).then(() => acknowledged++));
    await sleep(50);
    expect(acknowledged).toBe(4);
    expect(queue.stats().backpressureWaits).toBeGreaterThan(0);
    release();
    await Promise.all(writes);
    await queue.close();
    expect(
      batches
        .flat()
        .map((item) => item.value)
        .sort((a, b) => a - b),
    ).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('rejects bad options, bad keys, unserializable durable values and writes after close', async () => {
    expect(() => createWriteBehind({ flush: undefined as never })).toThrow(InvalidOptionError);
    expect(() => createWriteBehind({ flush: async () => {}, maxDelayMs: -1 })).toThrow(
      'Expected `maxDelayMs` to be a finite number >= 0, got -1',
    );
    const { batches, flush } = recorder<unknown>();
    const queue = createWriteBehind<unknown>({ flush, journalPath: join(dir, 'bad.journal') });
    await expect(queue.write('', 1)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(queue.write('big', { n: 1n })).rejects.toBeInstanceOf(SerializationError);
    await queue.write('ok', 1);
    await queue.close();
    await expect(queue.write('late', 1)).rejects.toBeInstanceOf(ClosedError);
    expect(batches.flat()).toEqual([{ key: 'ok', value: 1 }]);
    expect(readFileSync(join(dir, 'bad.journal'), 'utf8')).toBe('');
  });

  it('flushes pending writes on a signal it was given, then exits by that signal', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixturePath('signal-writer.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready')) child.kill('SIGTERM');
    });
    const [, signal] = await new Promise<[number | null, string | null]>((resolve) =>
      child.once('exit', (code, sig) => resolve([code, sig])),
    );
    expect(signal).toBe('SIGTERM');
    expect(output).toContain('flushed [{"key":"a","value":1},{"key":"b","value":2}]');
  });
});

describe('durable write-behind', () => {
  it('loses no acknowledged write when the process is SIGKILLed, replaying the journal at start', async () => {
    const journalPath = join(dir, 'durable.journal');
    const child = spawn(process.execPath, ['--import', 'tsx', fixturePath('durable-writer.ts'), journalPath], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if ((output.match(/acked/g) ?? []).length >= 300) resolve();
      });
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const acked = [...output.matchAll(/acked (\d+)/g)].map((match) => Number(match[1]));
    const expected = new Map<string, number>();
    for (const i of acked) expected.set(`student:${i % 50}`, i);

    const { batches, flush } = recorder<{ score: number }>();
    const queue = createWriteBehind<{ score: number }>({ flush, journalPath });
    expect(queue.stats().replayed).toBeGreaterThanOrEqual(expected.size);
    await queue.close();
    const recovered = new Map(batches.flat().map((item) => [item.key, item.value.score]));
    for (const [key, score] of expected) expect(recovered.get(key)).toBeGreaterThanOrEqual(score);
    expect(readFileSync(journalPath, 'utf8')).toBe('');
  });
});
