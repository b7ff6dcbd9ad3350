// Writes through a WriteBatcher and appends the id of every acknowledged write to a file, until killed.
// A file, not stdout: a pipe the parent drains slowly would block this process inside write().
import { appendFileSync } from 'node:fs';
import { createWriteBatcher, openDatabase } from '../../src/index.js';

const db = openDatabase(process.argv[2] as string, { profile: 'pi5' });
db.raw.exec(`CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS counter (n INTEGER NOT NULL);
  INSERT INTO counter SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM counter);
  CREATE TRIGGER IF NOT EXISTS count_entries AFTER INSERT ON entries BEGIN UPDATE counter SET n = n + 1; END;`);
const batcher = createWriteBatcher(db, { maxDelayMs: 1, maxBatchSize: 50 });
let next = 1;
process.stdout.write('ready\n');
// Many concurrent callers, forever: the parent kills this process at some point mid-stream.
for (let caller = 0; caller < 20; caller++) {
  void (async () => {
    for (;;) {
      const id = next++;
      await batcher.run('INSERT INTO entries (id, payload) VALUES (?, ?)', [id, `payload-${id}`.repeat(20)]);
      appendFileSync(process.argv[3] as string, `${id}\n`);
    }
  })();
}
