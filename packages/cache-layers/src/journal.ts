import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { jsonCodec, serialize } from './codec.js';

/** One journaled write: key and value as the caller gave them. */
export interface JournalRecord {
  key: string;
  value: unknown;
}

/**
 * The append-only journal of durable write-behind: one JSON line per write, fsynced in groups
 * before the writes are acknowledged, rewritten to the still-pending writes after each flush.
 */
export function openJournal(path: string) {
  let fd = openSync(path, 'a');
  return {
    /** Records written before the last crash or close; a torn last line (crash mid-append) is skipped. */
    replay(): JournalRecord[] {
      if (!existsSync(path)) return [];
      const records: JournalRecord[] = [];
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (line.length === 0) continue;
        try {
          records.push(JSON.parse(line) as JournalRecord);
        } catch {
          // Only the last line can be torn: appends are sequential and each group is fsynced.
        }
      }
      return records;
    },
    /** Appends lines and fsyncs once for the whole group. */
    append(lines: readonly string[]): void {
      writeSync(fd, lines.join(''));
      fsyncSync(fd);
    },
    /**
     * Replaces the journal with the writes still pending (empty after a full flush), through a
     * synced temp file and a rename, so a crash leaves either the old or the new journal.
     */
    rewrite(lines: readonly string[]): void {
      const temp = `${path}.tmp`;
      const tempFd = openSync(temp, 'w');
      if (lines.length > 0) writeSync(tempFd, lines.join(''));
      fsyncSync(tempFd);
      closeSync(tempFd);
      renameSync(temp, path);
      closeSync(fd);
      fd = openSync(path, 'a');
    },
    close(): void {
      closeSync(fd);
    },
  };
}

/** The journal opened by {@link openJournal}. */
export type Journal = ReturnType<typeof openJournal>;

/** A record as one journal line; throws a SerializationError for values JSON cannot hold. */
export function journalLine(key: string, value: unknown): string {
  return `{"key":${JSON.stringify(key)},"value":${serialize(jsonCodec, key, value)}}\n`;
}
