import { createWriteBehind } from '@pilms/cache-layers';
import type { Db } from './db.js';

/** Seconds one heartbeat of an open lesson page stands for (`public/heartbeat.js` sends one every 30 s). */
export const heartbeatSeconds = 30;

/**
 * Reading-time heartbeats. With `batched` they go through `@pilms/cache-layers` write-behind: coalesced per
 * student and lesson and flushed as one transaction per batch (at most ~100 ms of heartbeats can be lost on a
 * crash, acceptable for an approximate reading time; completions and quiz answers are written synchronously).
 * `PILMS_PERF=off` writes each heartbeat at once.
 */
export function createHeartbeats(db: Db, batched: boolean) {
  const add = db.prepare(
    `INSERT INTO reading_time (user_id, lesson_id, seconds) VALUES (?, ?, ?)
     ON CONFLICT(user_id, lesson_id) DO UPDATE SET seconds = seconds + excluded.seconds`,
  );
  const addMany = db.transaction((batch: { key: string; value: number }[]) => {
    for (const { key, value } of batch) {
      const [user, lesson] = key.split(':').map(Number);
      add.run(user, lesson, value);
    }
  });
  const behind = batched
    ? createWriteBehind<number>({ flush: async (batch) => addMany(batch), merge: (a, b) => a + b })
    : undefined;

  return {
    async beat(userId: number, lessonId: number): Promise<void> {
      if (behind) await behind.write(`${userId}:${lessonId}`, heartbeatSeconds);
      else add.run(userId, lessonId, heartbeatSeconds);
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
