import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type Backups, createBackups, createMaintenance } from '@pilms/sqlite-tuner';
import type { Config } from './config.js';
import { openTuned } from './storage.js';

/** The primary's SQLite upkeep: scheduled checkpoints/optimize/vacuum and verified backups with retention. */
export interface Upkeep {
  backups: Backups;
  /** The tuned connection's stats; `extensions` holds `maintenance` and `backups`. */
  stats(): object;
  /** Stops the schedules and closes the connection (final optimize and checkpoint). */
  close(): Promise<void>;
}

/**
 * Runs in the cluster primary only, so one process on the board checkpoints and backs up. The first backup is
 * taken at start when the newest one is older than `backupIntervalMs` (a board switched off every evening
 * still gets its daily backup), then every `backupIntervalMs`; backups go to `DATA_DIR/backups`, the newest
 * `backupKeep` are kept. A failed backup is logged and retried at the next round; the live file is never touched.
 */
export function startUpkeep(
  config: Pick<Config, 'dataDir' | 'maintenanceIntervalMs' | 'backupIntervalMs' | 'backupKeep'>,
  log: (message: string) => void = console.error,
): Upkeep {
  const db = openTuned(config.dataDir);
  createMaintenance(db, { intervalMs: config.maintenanceIntervalMs });
  const backups = createBackups(db, { dir: join(config.dataDir, 'backups'), keep: config.backupKeep });
  let running: Promise<unknown> = Promise.resolve();
  const backup = () => {
    running = backups.run().catch((error: Error) => log(`backup failed, retrying in the next round: ${error.message}`));
  };
  const newest = backups.list().at(-1);
  if (newest === undefined || Date.now() - statSync(newest).mtimeMs >= config.backupIntervalMs) backup();
  const timer = setInterval(backup, config.backupIntervalMs).unref();
  return {
    backups,
    stats: () => db.stats(),
    async close() {
      clearInterval(timer);
      await running;
      await db.close();
    },
  };
}
