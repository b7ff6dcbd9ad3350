import type Database from 'better-sqlite3';
import { analyzeQuery, type IndexSuggestion } from './advisor.js';
import type { Params } from './bind.js';
import { assertNumber } from './validate.js';

/** Options of `createSlowQueryLog()`. */
export interface SlowQueryLogOptions {
  /** Statements at or above this duration are logged. Default 100 ms. */
  thresholdMs?: number;
  /** Entries kept (oldest dropped first). Default 100. */
  maxEntries?: number;
  /** Called for each slow statement, with the advisor's suggestions attached. */
  onSlow?: (entry: SlowQueryEntry) => void;
}

/** One logged slow statement. */
export interface SlowQueryEntry {
  sql: string;
  durationMs: number;
  at: number;
  /** `CREATE INDEX` statements the advisor proved; empty when it had none (or could not plan). */
  suggestions: string[];
}

/** Records statements slower than a threshold, each with the query advisor's suggestion. */
export interface SlowQueryLog {
  /** Reports one finished statement; logs it when it was slow. */
  observe(sql: string, durationMs: number, params?: Params): void;
  entries(): SlowQueryEntry[];
  stats(): { slow: number; withSuggestion: number; thresholdMs: number };
}

const logDefaults = { thresholdMs: 100, maxEntries: 100 };

/** Creates a slow-query log that asks `analyzeQuery` (once per SQL text) what index would help. */
export function createSlowQueryLog(db: Database.Database, options: SlowQueryLogOptions = {}): SlowQueryLog {
  const thresholdMs = options.thresholdMs ?? logDefaults.thresholdMs;
  const maxEntries = options.maxEntries ?? logDefaults.maxEntries;
  assertNumber('thresholdMs', thresholdMs, 0);
  assertNumber('maxEntries', maxEntries, 1, true);
  const advice = new Map<string, IndexSuggestion[]>();
  const log: SlowQueryEntry[] = [];
  let slow = 0;
  let withSuggestion = 0;

  const suggestionsFor = (sql: string, params: Parameters<typeof analyzeQuery>[2]): IndexSuggestion[] => {
    let found = advice.get(sql);
    if (!found) {
      try {
        found = analyzeQuery(db, sql, params).suggestions;
      } catch {
        // A statement that cannot be planned (e.g. PRAGMA) is still logged, without advice.
        found = [];
      }
      advice.set(sql, found);
    }
    return found;
  };

  return {
    observe(sql, durationMs, params) {
      if (durationMs < thresholdMs) return;
      slow++;
      const suggestions = suggestionsFor(sql, params).map((s) => s.sql);
      if (suggestions.length > 0) withSuggestion++;
      const entry = { sql, durationMs, at: Date.now(), suggestions };
      log.push(entry);
      if (log.length > maxEntries) log.shift();
      options.onSlow?.(entry);
    },
    entries: () => [...log],
    stats: () => ({ slow, withSuggestion, thresholdMs }),
  };
}
