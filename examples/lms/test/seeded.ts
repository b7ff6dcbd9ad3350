import { join } from 'node:path';
import { tempDir } from '../../../test/support/index.js';
import { openDb } from '../src/db.js';
import { seedIfEmpty } from '../src/seed.js';

/** A fresh data dir holding the migrated, seeded demo school, as `main.ts`'s primary leaves it (`tuned: false` as with `PILMS_PERF=off`). */
export async function seededDataDir(prefix: string, tuned = true): Promise<string> {
  const dir = await tempDir(prefix);
  const db = openDb(dir, tuned);
  await seedIfEmpty(db, join(dir, 'media'));
  db.close();
  return dir;
}
