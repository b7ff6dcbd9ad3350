import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { openHistory } from '../src/adapters/history.js';
import { InvalidOptionError } from '../src/index.js';

describe('openHistory', () => {
  it('keeps 1-second points and rolls each finished minute into its average', async () => {
    const path = join(await tempDir(), 'history.db');
    const history = await openHistory({ path });
    for (let second = 0; second < 120; second++) history.record({ cpu: second < 60 ? 10 : 30 }, second * 1000);
    expect(history.query('cpu', { from: 0, to: 2000, resolution: '1s' })).toEqual([
      { t: 0, value: 10 },
      { t: 1000, value: 10 },
      { t: 2000, value: 10 },
    ]);
    await history.close();
    const reopened = await openHistory({ path });
    expect(reopened.query('cpu', { from: 0, to: 120_000, resolution: '1m' })).toEqual([
      { t: 0, value: 10 },
      { t: 60_000, value: 30 },
    ]);
    await reopened.close();
  });

  it('prunes points older than the retention so the file stays bounded', async () => {
    const history = await openHistory({
      path: join(await tempDir(), 'h.db'),
      secondRetentionMs: 60_000,
      minuteRetentionMs: 120_000,
    });
    for (let second = 0; second < 600; second += 5) history.record({ mem: second }, second * 1000);
    const { secondRows, minuteRows } = history.stats();
    expect(secondRows).toBeLessThanOrEqual(13 + 12);
    expect(minuteRows).toBeLessThanOrEqual(3);
    expect(history.query('mem', { from: 0, to: 400_000, resolution: '1s' })).toEqual([]);
    await history.close();
  });

  it('keeps the file size flat once the retention windows are full', async () => {
    const path = join(await tempDir(), 'bounded.db');
    const options = { path, secondRetentionMs: 60_000, minuteRetentionMs: 600_000 };
    const sample = (second: number) => Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`s${i}`, second + i]));
    const fill = async (fromMinute: number, toMinute: number) => {
      const history = await openHistory(options);
      for (let second = fromMinute * 60; second < toMinute * 60; second++)
        history.record(sample(second), second * 1000);
      const rows = history.stats();
      await history.close();
      return { rows, bytes: (await stat(path)).size };
    };
    await fill(0, 15);
    // Free pages left by the first prune are reused from then on: the size stops growing.
    const steady = await fill(15, 30);
    const later = await fill(30, 60);
    expect(later.rows.secondRows).toBeLessThanOrEqual(10 * 120);
    expect(later.rows.minuteRows).toBeLessThanOrEqual(10 * 11);
    expect(later.bytes).toBeLessThanOrEqual(steady.bytes);
  });

  it('stores at most maxSeries series and warns once about the rest', async () => {
    const warnings: string[] = [];
    const history = await openHistory({
      path: join(await tempDir(), 'series.db'),
      maxSeries: 2,
      onWarning: (message) => warnings.push(message),
    });
    history.record({ a: 1, b: 2, c: 3 }, 1000);
    history.record({ a: 1, d: 4 }, 2000);
    expect(history.stats()).toEqual({ secondRows: 3, minuteRows: 0, series: 2 });
    expect(history.query('c', { from: 0, to: 5000, resolution: '1s' })).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('maxSeries=2');
    await history.close();
  });

  it('moves a corrupt file aside with a warning and starts a fresh history', async () => {
    const dir = await tempDir();
    const path = join(dir, 'history.db');
    await writeFile(path, 'this is not a sqlite database, just garbage bytes '.repeat(200));
    const warnings: string[] = [];
    const history = await openHistory({ path, onWarning: (message) => warnings.push(message) });
    history.record({ cpu: 5 }, 1000);
    expect(history.query('cpu', { from: 0, to: 1000, resolution: '1s' })).toEqual([{ t: 1000, value: 5 }]);
    await history.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('moved to');
    expect((await readdir(dir)).some((name) => name.startsWith('history.db.corrupt-'))).toBe(true);
  });

  it('rejects a non-positive retention at construction', async () => {
    await expect(openHistory({ path: 'x.db', secondRetentionMs: 0 })).rejects.toThrow(InvalidOptionError);
    await expect(openHistory({ path: 'x.db', maxSeries: 0 })).rejects.toThrow('Expected `maxSeries` to be');
  });
});
