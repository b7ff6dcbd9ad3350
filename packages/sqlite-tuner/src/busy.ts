import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseBusyError } from './errors.js';

/** How async busy retries behave. */
export interface BusyPolicy {
  /** Give up after this long (ms). */
  deadlineMs: number;
  /** First backoff delay (ms); doubles per attempt, full jitter. */
  initialDelayMs: number;
  /** Largest backoff delay (ms). */
  maxDelayMs: number;
}

/** Counters the retry loop feeds, read by `stats()`. */
export interface BusyCounters {
  retries: number;
  timeouts: number;
}

/** True for SQLITE_BUSY / SQLITE_LOCKED and their extended codes. */
export function isBusyError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * Runs `attempt` (a synchronous SQLite call) and, while it fails with SQLITE_BUSY/LOCKED, retries it
 * after an async jittered backoff, so the event loop keeps serving while another connection writes.
 */
export async function retryBusy<T>(
  sql: string,
  policy: BusyPolicy,
  counters: BusyCounters,
  attempt: () => T,
): Promise<T> {
  const started = performance.now();
  let delay = policy.initialDelayMs;
  for (let attempts = 1; ; attempts++) {
    try {
      return attempt();
    } catch (error) {
      if (!isBusyError(error)) throw error;
      const waited = performance.now() - started;
      if (waited >= policy.deadlineMs) {
        counters.timeouts++;
        throw new DatabaseBusyError(sql, Math.round(waited), attempts, { cause: error });
      }
      counters.retries++;
      // Full jitter keeps several waiting processes from retrying in lockstep.
      const remaining = policy.deadlineMs - waited;
      await sleep(Math.min(remaining, Math.random() * delay));
      delay = Math.min(policy.maxDelayMs, delay * 2);
    }
  }
}
