import { createWriteBehind } from '@pilms/cache-layers';
import type { Storage } from './storage.js';

/** Seconds one heartbeat of an open lesson page stands for (`public/heartbeat.js` sends one every 30 s). */
export const heartbeatSeconds = 30;

/**
 * Reading-time heartbeats. With `batched` they go through `@pilms/cache-layers` write-behind: coalesced per
 * student and lesson and flushed as one transaction per batch (at most ~100 ms of heartbeats can be lost on a
 * crash, acceptable for an approximate reading time; completions and quiz answers are acknowledged only after
 * their commit, see `progress.ts`), and each flush is one group commit of `storage`.
 * `PILMS_PERF=off` writes each heartbeat at once.
 */
export function createHeartbeats(storage: Storage, batched: boolean) {
  const add = (userId: number, lessonId: number, seconds: number) => ({
    sql: `INSERT INTO reading_time (user_id, lesson_id, seconds) VALUES (?, ?, ?)
      ON CONFLICT(user_id, lesson_id) DO UPDATE SET seconds = seconds + excluded.seconds`,
    params: [userId, lessonId, seconds],
  });
  const behind = batched
    ? createWriteBehind<number>({
        flush: (batch) =>
          storage.write(
            ...batch.map(({ key, value }) => {
              const [userId, lessonId] = key.split(':').map(Number);
              return add(userId as number, lessonId as number, value);
            }),
          ),
        merge: (a, b) => a + b,
      })
    : undefined;

  return {
    async beat(userId: number, lessonId: number): Promise<void> {
      if (behind) await behind.write(`${userId}:${lessonId}`, heartbeatSeconds);
      else await storage.write(add(userId, lessonId, heartbeatSeconds));
    },
    stats(): object {
      return behind ? behind.stats() : { writeBehind: 'off' };
    },
    /** Flushes every pending heartbeat (graceful shutdown). */
    async close(): Promise<void> {
      await behind?.close();
    },
  };
}

/** The heartbeat service returned by {@link createHeartbeats}. */
export type Heartbeats = ReturnType<typeof createHeartbeats>;
