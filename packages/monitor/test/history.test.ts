import { readdir, writeFile } from 'node:fs/promises';
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
  });
});
