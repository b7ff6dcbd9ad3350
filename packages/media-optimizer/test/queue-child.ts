// A separate process that runs the job queue so a test can SIGKILL it mid-encode.
import { createSqliteJobStore } from '../src/adapters/sqlite.js';
import { createJobQueue } from '../src/index.js';
import { mediaHandlers } from './handlers.js';

const [dbPath = '', outDir = '', clip = '', maxAttempts = '2'] = process.argv.slice(2);
const store = createSqliteJobStore({ path: dbPath });
const queue = await createJobQueue({
  store,
  maxAttempts: Number(maxAttempts),
  handlers: mediaHandlers(outDir, {
    onRunning: (pid) => process.stdout.write(`${JSON.stringify({ ffmpegPid: pid })}\n`),
  }),
});
queue.add('video', { input: clip });
setInterval(() => undefined, 1000);
