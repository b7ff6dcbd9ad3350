// One of several processes writing and reading the same file. Prints one JSON line of figures at the end.
// Modes: `tuned` (@pilms/sqlite-tuner: WriteBatcher + async busy retry) and `seed` (busy_timeout=30000,
// one autocommit statement per write, as the seed design did) and `control` (no SQLite at all, to show
// how much the shared machine itself stalls the loop).
import { createWriteBatcher, openDatabase } from '@pilms/sqlite-tuner';
import Database from 'better-sqlite3';
import { startStallMeter } from './stall-meter.js';

const [path, mode, durationText] = process.argv.slice(2) as [string, 'tuned' | 'seed' | 'control', string];
const end = performance.now() + Number(durationText);
const tickMs = 10;
/** 1,000 write+read requests per second per process. */
const requestsPerTick = 10;
const latencies: number[] = [];
let errors = 0;
let reads = 0;

function seedHandle() {
  const raw = new Database(path);
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.pragma('busy_timeout = 30000');
  const insert = raw.prepare('INSERT INTO events (pid, body) VALUES (?, ?)');
  const latest = raw.prepare('SELECT id, body FROM events ORDER BY id DESC LIMIT 1');
  return {
    write: async (body: string) => insert.run(process.pid, body),
    read: () => latest.get(),
    close: async () => raw.close(),
  };
}

function tunedHandle() {
  const db = openDatabase(path);
  const batcher = createWriteBatcher(db);
  return {
    write: (body: string) => batcher.run('INSERT INTO events (pid, body) VALUES (?, ?)', [process.pid, body]),
    read: () => db.get('SELECT id, body FROM events ORDER BY id DESC LIMIT 1'),
    close: () => db.close(),
  };
}

const control = { write: async (_body: string) => undefined, read: () => undefined, close: async () => undefined };
const handle = { seed: seedHandle, tuned: tunedHandle, control: () => control }[mode]();
const stalls = startStallMeter();
// Requests arrive at a steady offered rate (as from 40-50 students), not as a CPU-bound spin, so a stall
// measures lock waits on the event loop rather than the two shared cores being oversubscribed.
const inFlight = new Set<Promise<void>>();
async function request(): Promise<void> {
  const start = performance.now();
  try {
    await handle.write('x'.repeat(100));
    latencies.push(performance.now() - start);
    handle.read();
    reads++;
  } catch {
    errors++;
  }
}
await new Promise<void>((resolve) => {
  const timer = setInterval(() => {
    if (performance.now() >= end) {
      clearInterval(timer);
      resolve();
      return;
    }
    for (let i = 0; i < requestsPerTick; i++) {
      const pending = request().finally(() => inFlight.delete(pending));
      inFlight.add(pending);
    }
  }, tickMs);
});
await Promise.all(inFlight);
const maxLoopDelayMs = stalls.stop();
await handle.close();
latencies.sort((a, b) => a - b);
const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
process.stdout.write(`${JSON.stringify({ writes: latencies.length, reads, errors, p99Ms: p99, maxLoopDelayMs })}\n`);
