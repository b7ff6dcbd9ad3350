import { totalmem } from 'node:os';
import type BetterSqlite3 from 'better-sqlite3';
import { defaults, type PragmaSettings, type PragmaValue, profiles } from './defaults.js';
import { InvalidOptionError, PragmaRejectedError } from './errors.js';
import { assertNumber } from './validate.js';

/** A profile name accepted by `tune()`. */
export type ProfileName = keyof typeof profiles | 'auto';

/** Options of `tune()` (and the tuning part of `openDatabase()`). */
export interface TuneOptions {
  /** Pragma profile. Default `'pi5'`. */
  profile?: ProfileName;
  /** Pragmas overriding the profile, by name. Default `{}`. */
  pragmas?: PragmaSettings;
  /** Run VACUUM when `auto_vacuum` must change on an existing database (slow on big files). Default `false`. */
  vacuum?: boolean;
  /** `auto` profile: processes sharing the file, to split the cache. Default `1`. */
  processes?: number;
  /** `auto` profile: RAM to size from, in bytes. Default `os.totalmem()`. */
  totalMemoryBytes?: number;
  /** Native busy_timeout in ms. Default `5`. */
  nativeBusyTimeoutMs?: number;
}

/** What happened to one pragma. */
export interface PragmaReport {
  pragma: string;
  requested: PragmaValue;
  /** Value read back from SQLite after setting it. */
  actual: PragmaValue;
  /** Whether SQLite now runs with the requested value. */
  applied: boolean;
  /** Why a value was not applied (e.g. page_size of an existing file). */
  note?: string;
}

/** Result of `tune()`: the profile used and each pragma as SQLite accepted it. */
export interface TuneReport {
  profile: ProfileName;
  /** True when the file had no pages before tuning. */
  newDatabase: boolean;
  /** True when a VACUUM ran to apply auto_vacuum. */
  vacuumed: boolean;
  pragmas: PragmaReport[];
}

const enums: Record<string, Record<string, number>> = {
  synchronous: { OFF: 0, NORMAL: 1, FULL: 2, EXTRA: 3 },
  temp_store: { DEFAULT: 0, FILE: 1, MEMORY: 2 },
  auto_vacuum: { NONE: 0, FULL: 1, INCREMENTAL: 2 },
};
const booleans: Record<string, number> = { ON: 1, TRUE: 1, YES: 1, OFF: 0, FALSE: 0, NO: 0 };
// These only take effect on a fresh file (or after VACUUM), so they are set before anything else.
const layoutPragmas = ['page_size', 'auto_vacuum'];
// The only pragmas a read-only connection can set: the rest change the file.
const connectionPragmas = new Set(['cache_size', 'temp_store', 'mmap_size', 'foreign_keys']);

/** Pragma settings of the `auto` profile, sized from RAM and the processes sharing the file. */
export function autoProfile(totalMemoryBytes: number, processes: number): PragmaSettings {
  const cacheKiB = Math.floor((totalMemoryBytes * defaults.autoCacheShareOfRam) / processes / 1024);
  // mmap pages are shared by every process through the OS page cache, so it is not divided.
  const mmap = Math.min(Math.floor(totalMemoryBytes * defaults.autoMmapShareOfRam), 2 ** 30);
  return { ...profiles.pi5, cache_size: -Math.max(2000, cacheKiB), mmap_size: mmap };
}

function normalize(pragma: string, value: PragmaValue): PragmaValue {
  if (typeof value === 'number') return value;
  const upper = value.toUpperCase();
  const mapped = enums[pragma]?.[upper] ?? booleans[upper];
  if (mapped !== undefined) return mapped;
  return /^-?\d+$/.test(value) ? Number(value) : value.toLowerCase();
}

function settingsFor(options: TuneOptions): PragmaSettings {
  const profile = options.profile ?? defaults.profile;
  if (profile !== 'auto' && !(profile in profiles)) {
    throw new InvalidOptionError('profile', `one of pi5, server, test, auto`, profile);
  }
  const processes = options.processes ?? 1;
  assertNumber('processes', processes, 1, true);
  const base = profile === 'auto' ? autoProfile(options.totalMemoryBytes ?? totalmem(), processes) : profiles[profile];
  return { ...base, ...options.pragmas };
}

function readBack(db: BetterSqlite3.Database, pragma: string): PragmaValue | undefined {
  return db.pragma(pragma, { simple: true }) as PragmaValue | undefined;
}

function explainMismatch(pragma: string, newDatabase: boolean, db: BetterSqlite3.Database): string | undefined {
  if (pragma === 'page_size' && !newDatabase) return 'page_size only applies to new files (or VACUUM outside WAL)';
  if (pragma === 'auto_vacuum' && !newDatabase)
    return 'auto_vacuum on an existing file needs VACUUM: pass `vacuum: true`';
  if (pragma === 'journal_mode' && db.memory) return 'in-memory databases keep journal_mode=memory';
  if (pragma === 'mmap_size') return 'SQLite capped mmap_size at its compile-time maximum';
  return undefined;
}

/**
 * Applies a pragma profile to an open better-sqlite3 handle and reads every pragma back.
 * Throws `PragmaRejectedError` for unknown pragmas and values SQLite does not accept.
 */
export function tune(db: BetterSqlite3.Database, options: TuneOptions = {}): TuneReport {
  const settings = settingsFor(options);
  const busyTimeout = options.nativeBusyTimeoutMs ?? defaults.nativeBusyTimeoutMs;
  assertNumber('nativeBusyTimeoutMs', busyTimeout, 0, true);
  const newDatabase = (db.pragma('page_count', { simple: true }) as number) === 0;
  db.pragma(`busy_timeout = ${busyTimeout}`);
  const names = Object.keys(settings)
    .filter((name) => !db.readonly || connectionPragmas.has(name))
    .sort((a, b) => rank(a) - rank(b));
  const pragmas: PragmaReport[] = [];
  let vacuumed = false;
  for (const pragma of names) {
    const requested = settings[pragma] as PragmaValue;
    if (!/^[a-z_]+$/.test(pragma)) throw new PragmaRejectedError(pragma, requested, undefined);
    if (typeof requested === 'string' && !/^[\w-]+$/.test(requested)) {
      throw new PragmaRejectedError(pragma, requested, readBack(db, pragma));
    }
    if (readBack(db, pragma) === undefined) {
      // In-memory databases have no file to map, so SQLite returns nothing for mmap_size.
      if (pragma === 'mmap_size' && db.memory) {
        pragmas.push({ pragma, requested, actual: 0, applied: false, note: 'in-memory databases do not use mmap' });
        continue;
      }
      throw new PragmaRejectedError(pragma, requested, undefined);
    }
    db.pragma(`${pragma} = ${requested}`);
    if (
      pragma === 'auto_vacuum' &&
      !newDatabase &&
      options.vacuum &&
      readBack(db, pragma) !== normalize(pragma, requested)
    ) {
      db.exec('VACUUM');
      vacuumed = true;
    }
    const actual = readBack(db, pragma) as PragmaValue;
    const applied = normalize(pragma, actual) === normalize(pragma, requested);
    const note = applied ? undefined : explainMismatch(pragma, newDatabase, db);
    if (!applied && note === undefined) throw new PragmaRejectedError(pragma, requested, actual);
    pragmas.push(
      note === undefined ? { pragma, requested, actual, applied } : { pragma, requested, actual, applied, note },
    );
  }
  return { profile: options.profile ?? defaults.profile, newDatabase, vacuumed, pragmas };
}

function rank(pragma: string): number {
  const index = layoutPragmas.indexOf(pragma);
  return index === -1 ? layoutPragmas.length : index;
}
