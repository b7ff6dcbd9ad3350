import Database from 'better-sqlite3';
import { bind, type Params } from './bind.js';
import { PilmsSqliteError } from './errors.js';

/** What `analyzeQuery` found wrong in a plan. */
export type PlanFindingKind = 'full-scan' | 'temp-b-tree' | 'automatic-index';

/** One flagged line of the query plan. */
export interface PlanFinding {
  kind: PlanFindingKind;
  /** Table (or alias, as SQLite names it in the plan) the finding is about; absent for temp B-trees. */
  table?: string;
  detail: string;
}

/** A `CREATE INDEX` proven by re-planning on a scratch copy of the schema. */
export interface IndexSuggestion {
  table: string;
  columns: string[];
  sql: string;
  /** The plan with the index in place. */
  planAfter: string[];
  /** Findings the index removes. */
  resolves: PlanFinding[];
}

/** Result of `analyzeQuery`. */
export interface QueryAdvice {
  sql: string;
  plan: string[];
  findings: PlanFinding[];
  suggestions: IndexSuggestion[];
}

/** The SQL could not be planned (syntax error, unknown table) (code `PILMS_SQLITE_UNPLANNABLE`). */
export class UnplannableQueryError extends PilmsSqliteError {
  constructor(
    readonly sql: string,
    options?: ErrorOptions,
  ) {
    super(
      `Cannot plan ${sql}: ${(options?.cause as Error | undefined)?.message ?? 'unknown error'}. Check the SQL and its parameters.`,
      'PILMS_SQLITE_UNPLANNABLE',
      options,
    );
  }
}

function explain(db: Database.Database, sql: string, params: Params | undefined): string[] {
  const rows = bind<{ detail: string }[]>(db.prepare(`EXPLAIN QUERY PLAN ${sql}`), 'all', params);
  return rows.map((row) => row.detail);
}

/** Flags full table scans, temp B-trees for ORDER BY/GROUP BY/DISTINCT and automatic indexes. */
export function findingsOf(plan: readonly string[]): PlanFinding[] {
  const findings: PlanFinding[] = [];
  for (const detail of plan) {
    const scan = /^SCAN (\S+)$/.exec(detail);
    // "SCAN (subquery-1)", "SCAN CONSTANT ROW" and CTE scans are not table scans an index can fix.
    if (scan && !scan[1]!.startsWith('(') && scan[1] !== 'CONSTANT') {
      findings.push({ kind: 'full-scan', table: scan[1]!, detail });
    } else if (detail.startsWith('USE TEMP B-TREE')) {
      findings.push({ kind: 'temp-b-tree', detail });
    } else if (detail.includes('AUTOMATIC')) {
      const table = /^(?:SEARCH|SCAN) (\S+)/.exec(detail)?.[1];
      findings.push({ kind: 'automatic-index', ...(table ? { table } : {}), detail });
    }
  }
  return findings;
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Maps each alias (and bare name) used in FROM/JOIN to its table. */
function aliases(sql: string, tables: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  const pattern =
    /\b(?:FROM|JOIN)\s+["`]?(\w+)["`]?(?:\s+(?:AS\s+)?(?!WHERE|JOIN|ON|INNER|LEFT|CROSS|ORDER|GROUP|LIMIT|USING|NATURAL)(\w+))?/gi;
  for (const match of sql.matchAll(pattern)) {
    const table = tables.find((name) => name.toLowerCase() === match[1]!.toLowerCase());
    if (!table) continue;
    map.set(table, table);
    if (match[2]) map.set(match[2], table);
  }
  return map;
}

/** Candidate column lists for `table`: equality columns first, then one ordering or range column. */
function candidates(db: Database.Database, sql: string, table: string, alias: string): string[][] {
  const columns = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map(
    (row) => row.name,
  );
  // Columns whose order a temp B-tree would otherwise provide: ORDER BY, GROUP BY and SELECT DISTINCT.
  const orderClause = [
    /\b(?:ORDER|GROUP)\s+BY\b([\s\S]*?)(?:\bLIMIT\b|\bHAVING\b|$)/i.exec(sql)?.[1],
    /\bSELECT\s+DISTINCT\b([\s\S]*?)\bFROM\b/i.exec(sql)?.[1],
  ].join(' ');
  const equal: string[] = [];
  const ordered: string[] = [];
  const ranged: string[] = [];
  for (const column of columns) {
    const ref = `(?:\\b${escapeRegExp(alias)}\\.)?\\b${escapeRegExp(column)}\\b`;
    if (new RegExp(`${ref}\\s*(?:==?|\\bIN\\b|\\bIS\\b)|(?:==?)\\s*${ref}`, 'i').test(sql)) equal.push(column);
    else if (new RegExp(`${ref}\\s*(?:[<>]|\\bBETWEEN\\b|\\bLIKE\\b)`, 'i').test(sql)) ranged.push(column);
    if (new RegExp(ref, 'i').test(orderClause)) ordered.push(column);
  }
  const lists = [
    [...equal, ...ordered.filter((c) => !equal.includes(c))],
    ...ranged.map((column) => [...equal, column]),
    ...[...equal, ...ranged, ...ordered].map((column) => [column]),
  ];
  const seen = new Set<string>();
  return lists.filter((list) => list.length > 0 && !seen.has(list.join()) && seen.add(list.join()));
}

/** An in-memory database with the same tables, indexes and views as `db`, and no rows. */
function scratchCopy(db: Database.Database): Database.Database {
  const scratch = new Database(':memory:');
  const rows = db
    .prepare(
      `SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'
       ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END`,
    )
    .all() as { sql: string }[];
  for (const row of rows) scratch.exec(row.sql);
  return scratch;
}

/**
 * Runs EXPLAIN QUERY PLAN for `sql`, flags full scans, temp B-trees and automatic indexes, and
 * proposes `CREATE INDEX` statements, keeping only those that the planner actually uses and that
 * remove a finding when the query is re-planned on an empty in-memory copy of the schema
 * (the method of sqlite3's `.expert`). Nothing is written to `db`.
 */
export function analyzeQuery(db: Database.Database, sql: string, params?: Params): QueryAdvice {
  let plan: string[];
  try {
    plan = explain(db, sql, params);
  } catch (error) {
    throw new UnplannableQueryError(sql, { cause: error });
  }
  const findings = findingsOf(plan);
  const advice: QueryAdvice = { sql, plan, findings, suggestions: [] };
  if (findings.length === 0) return advice;

  const tables = (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).all() as { name: string }[]).map(
    (row) => row.name,
  );
  const names = aliases(sql, tables);
  const scratch = scratchCopy(db);
  try {
    for (const [alias, table] of names) {
      const best = bestIndex(scratch, sql, params, table, alias, findings);
      if (best && !advice.suggestions.some((s) => s.sql === best.sql)) advice.suggestions.push(best);
    }
  } finally {
    scratch.close();
  }
  return advice;
}

function bestIndex(
  scratch: Database.Database,
  sql: string,
  params: Params | undefined,
  table: string,
  alias: string,
  before: readonly PlanFinding[],
): IndexSuggestion | undefined {
  let best: IndexSuggestion | undefined;
  for (const columns of candidates(scratch, sql, table, alias)) {
    const name = `pilms_advice_${table}_${columns.join('_')}`;
    const create = `CREATE INDEX ${quote(`${table}_${columns.join('_')}`)} ON ${quote(table)}(${columns.map(quote).join(', ')})`;
    scratch.exec(`CREATE INDEX ${quote(name)} ON ${quote(table)}(${columns.map(quote).join(', ')})`);
    const planAfter = explain(scratch, sql, params);
    scratch.exec(`DROP INDEX ${quote(name)}`);
    if (!planAfter.some((line) => line.includes(name))) continue;
    const after = findingsOf(planAfter).map((f) => f.detail);
    const resolves = before.filter((finding) => !after.includes(finding.detail));
    if (resolves.length === 0) continue;
    if (!best || resolves.length > best.resolves.length) {
      best = {
        table,
        columns,
        sql: create,
        planAfter: planAfter.map((line) => line.replace(name, `${table}_${columns.join('_')}`)),
        resolves,
      };
    }
  }
  return best;
}
