import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The shared media fixtures: `../shared/fixtures/media` beside the clone (as CI lays it out),
 * or the directory named by PILMS_FIXTURES.
 */
export const fixturesDir: string = process.env.PILMS_FIXTURES ?? resolve(repoRoot, '../shared/fixtures/media');

/** Absolute path of one shared media fixture; throws a clear error when the fixtures are not there. */
export function fixture(name: string): string {
  const path = join(fixturesDir, name);
  if (!existsSync(path)) {
    throw new Error(
      `Fixture ${name} not found in ${fixturesDir}. Put ../shared beside the clone or set PILMS_FIXTURES.`,
    );
  }
  return path;
}

/** A fresh temp directory removed after the current test file. */
export async function tempDir(prefix = 'pilms-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}
