import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { EntryMeta } from './l1.js';

/** One saved entry: its key, serialized value and metadata. */
export interface SnapshotItem {
  key: string;
  text: string;
  meta: EntryMeta;
}

/** Reads the hot-key snapshot written at the last close; a missing or damaged file yields nothing. */
export function readSnapshot(path: string): { items: SnapshotItem[]; error?: unknown } {
  if (!existsSync(path)) return { items: [] };
  try {
    const rows = JSON.parse(readFileSync(path, 'utf8')) as Array<
      [string, string, number | null, number | null, string[]]
    >;
    const items = rows.map(([key, text, e, s, tags]) => ({
      key,
      text,
      meta: { expiresAt: e ?? Number.POSITIVE_INFINITY, staleUntil: s ?? Number.POSITIVE_INFINITY, tags },
    }));
    return { items };
  } catch (error) {
    return { items: [], error };
  }
}

/** Writes the snapshot atomically (temp file + rename) so a crash mid-write leaves the old one. */
export function writeSnapshot(path: string, items: readonly SnapshotItem[]): void {
  const nullable = (at: number) => (Number.isFinite(at) ? at : null);
  const rows = items.map((item) => [
    item.key,
    item.text,
    nullable(item.meta.expiresAt),
    nullable(item.meta.staleUntil),
    item.meta.tags,
  ]);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(rows));
  renameSync(temp, path);
}
