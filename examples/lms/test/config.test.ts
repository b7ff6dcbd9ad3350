import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { defaults, loadConfig } from '../src/config.js';
import { withConfigFile } from '../src/config-file.js';
import { defaultWorkers } from '../src/workers.js';

describe('the operations settings', () => {
  it('uses daily backups, 7 kept, a one-minute upkeep and one reader thread by default', () => {
    const config = loadConfig({});
    expect([config.backupIntervalMs, config.backupKeep, config.maintenanceIntervalMs, config.readers]).toEqual([
      86_400_000, 7, 60_000, 1,
    ]);
    expect(config.readers).toBe(defaults.readers);
  });

  it('reads them from the environment', () => {
    const config = loadConfig({
      BACKUP_INTERVAL_MS: '5000',
      BACKUP_KEEP: '2',
      MAINTENANCE_INTERVAL_MS: '100',
      READERS: '3',
    });
    expect([config.backupIntervalMs, config.backupKeep, config.maintenanceIntervalMs, config.readers]).toEqual([
      5000, 2, 100, 3,
    ]);
  });

  for (const [name, value] of [
    ['BACKUP_KEEP', '0'],
    ['BACKUP_INTERVAL_MS', 'daily'],
    ['READERS', '1.5'],
    ['MAINTENANCE_INTERVAL_MS', '-1'],
  ] as const) {
    it(`refuses ${name}=${value} with a message naming the variable`, () => {
      expect(() => loadConfig({ [name]: value })).toThrow(`Expected \`${name}\` to be an integer >= 1, got ${value}`);
    });
  }
});

describe('the config file named by PILMS_CONFIG', () => {
  async function file(content: string): Promise<string> {
    const path = join(await tempDir('pilms-lms-config-'), 'pilms-lms.json');
    writeFileSync(path, content);
    return path;
  }

  it('supplies settings the environment does not set, and the environment wins', async () => {
    const path = await file(JSON.stringify({ PORT: 9090, BACKUP_KEEP: 3, WORKERS: '2', PILMS_PERF: 'off' }));
    const env = withConfigFile({ PILMS_CONFIG: path, PORT: '7070' });
    const config = loadConfig(env);
    expect([config.port, config.backupKeep, config.perf]).toEqual([7070, 3, false]);
    expect(defaultWorkers(env)).toBe(2);
  });

  it('leaves the environment alone without PILMS_CONFIG', () => {
    const env = { PORT: '1234' };
    expect(withConfigFile(env)).toBe(env);
  });

  it('refuses an unknown setting, naming it and the file', async () => {
    const path = await file('{"PROT": 8080}');
    expect(() => withConfigFile({ PILMS_CONFIG: path })).toThrow(`Unknown setting \`PROT\` in ${path}`);
  });

  it('refuses a nested value and a file that is not a JSON object', async () => {
    const nested = await file('{"REDIS_URL": {"host": "x"}}');
    expect(() => withConfigFile({ PILMS_CONFIG: nested })).toThrow('Expected `REDIS_URL`');
    const broken = await file('PORT=8080');
    expect(() => withConfigFile({ PILMS_CONFIG: broken })).toThrow(`Could not read the config file ${broken}`);
    const list = await file('[1, 2]');
    expect(() => withConfigFile({ PILMS_CONFIG: list })).toThrow('to hold a JSON object of settings');
  });
});
