import { describe, expect, it } from 'vitest';
import { defaults, loadConfig } from '../src/config.js';

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
