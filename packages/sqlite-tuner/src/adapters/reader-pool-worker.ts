// Worker entry of the reader pool: one read-only connection answering { id, method, sql, params } messages.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { bind, type Params } from '../bind.js';

/** A query sent to a reader worker. */
export interface ReaderRequest {
  id: number;
  method: 'all' | 'get';
  sql: string;
  params: Params | undefined;
}

/** A reader worker's answer. */
export type ReaderResponse =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; message: string; code: string | undefined };

/** What the pool hands each worker. */
export interface ReaderWorkerData {
  path: string;
  pragmas: string[];
  busyTimeoutMs: number;
}

if (parentPort) {
  const port = parentPort;
  const { path, pragmas, busyTimeoutMs } = workerData as ReaderWorkerData;
  // Sleeping in the native busy handler is fine here: it blocks this worker, not the main event loop.
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  for (const pragma of pragmas) db.pragma(pragma);
  const statements = new Map<string, Database.Statement>();
  port.on('message', ({ id, method, sql, params }: ReaderRequest) => {
    try {
      let statement = statements.get(sql);
      if (!statement) {
        statement = db.prepare(sql);
        statements.set(sql, statement);
      }
      const value = bind(statement, method, params);
      port.postMessage({ id, ok: true, value } satisfies ReaderResponse);
    } catch (error) {
      const { message, code } = error as { message: string; code?: string };
      port.postMessage({ id, ok: false, message, code } satisfies ReaderResponse);
    }
  });
}
