import cluster from 'node:cluster';
import { join } from 'node:path';
import { relayClusterBus } from '@pilms/cache-layers';
import { buildApp } from './app.js';
import { serveClusterMonitoring } from './cluster-monitoring.js';
import { loadConfig } from './config.js';
import { withConfigFile } from './config-file.js';
import { openDb } from './db.js';
import { startUpkeep } from './maintenance.js';
import { demoLogins, seedIfEmpty } from './seed.js';
import { defaultWorkers } from './workers.js';

// Settings: environment variables, over an optional JSON file named by PILMS_CONFIG.
const env = withConfigFile();
const config = loadConfig(env);
/** How long a worker lets in-flight requests finish after SIGTERM before closing their connections. */
const shutdownGraceMs = 5000;

if (cluster.isPrimary) {
  // Migrate and seed once, before any worker opens the file.
  const db = openDb(config.dataDir, config.perf);
  await seedIfEmpty(db, join(config.dataDir, 'media'));
  db.close();
  // PILMS_PERF=off keeps the baseline's default journal mode, so no tuned connection (nor its upkeep) there.
  const upkeep = config.perf ? startUpkeep(config) : undefined;
  const boardHistory = await serveClusterMonitoring({ historyPath: join(config.dataDir, 'monitor-history.sqlite') });
  // Content invalidations from one worker reach the others' L1 (the SQLite L2 is shared already).
  if (config.perf && !config.redisUrl) relayClusterBus();
  const workers = defaultWorkers(env);
  let stopping = false;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      // The last worker has flushed its buffers: a final checkpoint, then the primary may end.
      if (Object.values(cluster.workers ?? {}).every((w) => w?.isDead() !== false)) {
        void Promise.allSettled([upkeep?.close(), boardHistory.close()]).finally(() => process.exit(0));
      }
      return;
    }
    console.error(`worker ${worker.process.pid} died (${signal ?? code}); starting a replacement`);
    cluster.fork();
  });
  console.log(`Pi-LMS on http://localhost:${config.port} with ${workers} worker(s); data in ${config.dataDir}`);
  console.log(`Performance packages: ${config.perf ? 'on' : 'off (PILMS_PERF=off)'}`);
  for (const login of demoLogins) console.log(`  ${login.role.padEnd(8)} ${login.email} / ${login.password}`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true;
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    });
  }
} else {
  const lms = buildApp(config);
  await lms.app.listen({ port: config.port, host: '0.0.0.0' });
  // Finish in-flight requests, then flush and close caches and SQLite so the WAL is checkpointed. A request that
  // does not finish in time (a tutor answer from a hung Ollama) has its connection closed, so the flush still runs.
  process.once('SIGTERM', () => {
    setTimeout(() => lms.app.server.closeAllConnections(), shutdownGraceMs).unref();
    lms.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
