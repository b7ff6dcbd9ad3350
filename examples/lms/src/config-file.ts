import { readFileSync } from 'node:fs';

/** Every setting the LMS reads, by its environment variable name (README "Configuration"); add new ones here. */
export const settingNames: readonly string[] = [
  'PORT',
  'DATA_DIR',
  'WORKERS',
  'REDIS_URL',
  'OLLAMA_HOST',
  'OLLAMA_MODEL',
  'READERS',
  'MAINTENANCE_INTERVAL_MS',
  'BACKUP_INTERVAL_MS',
  'BACKUP_KEEP',
  'PILMS_PERF',
];

function parse(path: string): object {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`Could not read the config file ${path} (PILMS_CONFIG): ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`Expected the config file ${path} to hold a JSON object of settings, like {"PORT": 8080}`);
  }
  return parsed;
}

/**
 * `env` plus the settings of the JSON file named by `PILMS_CONFIG` (keys are the environment variable names,
 * values strings, numbers or booleans); a variable set in the environment wins over the file. Without
 * `PILMS_CONFIG`, `env` unchanged. An unknown key, a nested value or unreadable JSON stops the start with a
 * message naming the file and the key.
 */
export function withConfigFile(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const path = env.PILMS_CONFIG;
  if (!path) return env;
  const fromFile: Record<string, string> = {};
  for (const [name, value] of Object.entries(parse(path))) {
    if (!settingNames.includes(name)) {
      throw new Error(`Unknown setting \`${name}\` in ${path}; known settings: ${settingNames.join(', ')}`);
    }
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new Error(
        `Expected \`${name}\` in ${path} to be a string, number or boolean, got ${JSON.stringify(value)}`,
      );
    }
    fromFile[name] = String(value);
  }
  return { ...fromFile, ...env };
}
