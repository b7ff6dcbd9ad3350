import { resolve } from 'node:path';

/** Runtime settings, all from environment variables (see README "Configuration"). */
export interface Config {
  /** TCP port. Default 8080 (`PORT`). */
  port: number;
  /** Where the SQLite file and uploaded media live. Default `./data` (`DATA_DIR`). */
  dataDir: string;
  /** Optional Redis for shared caches (`REDIS_URL`). */
  redisUrl: string | undefined;
  /** Ollama server for the AI tutor. Default `http://127.0.0.1:11434` (`OLLAMA_HOST`). */
  ollamaHost: string;
  /** Model of the AI tutor. Default `qwen2.5:1.5b` (`OLLAMA_MODEL`). */
  ollamaModel: string;
  /** `off` switches every performance package off for load comparisons (`PILMS_PERF`). */
  perf: boolean;
  /** Reader-pool threads per worker for reports such as the class overview. Default 1 (`READERS`). */
  readers: number;
  /** Period of the primary's SQLite upkeep (checkpoint, optimize, incremental vacuum). Default 60000 ms (`MAINTENANCE_INTERVAL_MS`). */
  maintenanceIntervalMs: number;
  /** Period of the verified backups into `DATA_DIR/backups`. Default 86400000 ms, nightly (`BACKUP_INTERVAL_MS`). */
  backupIntervalMs: number;
  /** Backups kept (the oldest are deleted). Default 7 (`BACKUP_KEEP`). */
  backupKeep: number;
}

/** Defaults used when an environment variable is absent. */
export const defaults = {
  port: 8080,
  dataDir: './data',
  ollamaHost: 'http://127.0.0.1:11434',
  ollamaModel: 'qwen2.5:1.5b',
  readers: 1,
  maintenanceIntervalMs: 60_000,
  backupIntervalMs: 86_400_000,
  backupKeep: 7,
} as const;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const value = env[name] === undefined ? fallback : Number(env[name]);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`Expected \`${name}\` to be an integer >= ${min}, got ${env[name]}`);
  }
  return value;
}

/** Reads the configuration from `env`, failing with a clear message on a bad PORT. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = env.PORT === undefined ? defaults.port : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`Expected \`PORT\` to be an integer between 0 and 65535, got ${env.PORT}`);
  }
  return {
    port,
    dataDir: resolve(env.DATA_DIR ?? defaults.dataDir),
    redisUrl: env.REDIS_URL || undefined,
    ollamaHost: env.OLLAMA_HOST ?? defaults.ollamaHost,
    ollamaModel: env.OLLAMA_MODEL ?? defaults.ollamaModel,
    perf: env.PILMS_PERF !== 'off',
    readers: integer(env, 'READERS', defaults.readers, 1),
    maintenanceIntervalMs: integer(env, 'MAINTENANCE_INTERVAL_MS', defaults.maintenanceIntervalMs, 1),
    backupIntervalMs: integer(env, 'BACKUP_INTERVAL_MS', defaults.backupIntervalMs, 1),
    backupKeep: integer(env, 'BACKUP_KEEP', defaults.backupKeep, 1),
  };
}
