// Queues writes behind a long batch delay, then waits: only the SIGTERM flush can commit them.
import { createWriteBatcher, openDatabase } from '../../src/index.js';

const db = openDatabase(process.argv[2] as string);
db.raw.exec('CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY)');
const batcher = createWriteBatcher(db, { maxDelayMs: 600_000, flushOnSignals: ['SIGTERM'] });
for (let id = 1; id <= 25; id++) void batcher.run('INSERT INTO entries (id) VALUES (?)', [id]);
process.stdout.write('ready\n');
setInterval(() => {}, 1000);
