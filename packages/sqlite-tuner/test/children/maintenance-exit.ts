// Starts maintenance and never closes it: the process must still exit on its own (timers are unref'd).
import { createMaintenance, openDatabase } from '../../src/index.js';

const db = openDatabase(process.argv[2] as string);
createMaintenance(db, { intervalMs: 10 });
process.stdout.write('ready\n');
