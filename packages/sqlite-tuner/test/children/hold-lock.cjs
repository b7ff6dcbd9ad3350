// Holds the write lock of a SQLite file until killed: a second process misbehaving.
const Database = require('better-sqlite3');
const db = new Database(process.argv[2]);
db.exec('BEGIN IMMEDIATE');
db.prepare("INSERT INTO notes (body) VALUES ('from the lock holder')").run();
process.stdout.write('locked\n');
setInterval(() => {}, 1000);
