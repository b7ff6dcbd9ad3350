import type BetterSqlite3 from 'better-sqlite3';

/** Bind parameters: positional (array) or named (object). */
export type Params = readonly unknown[] | Readonly<Record<string, unknown>>;

/** Calls `run`/`all`/`get` on `statement`, spreading positional parameters and passing named ones as one object. */
export function bind<R>(statement: BetterSqlite3.Statement, method: 'run' | 'all' | 'get', params?: Params): R {
  if (params === undefined) return statement[method]() as R;
  return (Array.isArray(params) ? statement[method](...params) : statement[method](params)) as R;
}
