// Benchmark runner: `npm run bench -- <name>` runs bench/<name>.bench.ts (no name: every one).
// Each benchmark prints its own table and writes bench/results/<name>.json through bench/support/report.ts.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(benchDir)
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.slice(0, -'.bench.ts'.length))
  .sort();
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${available.join(', ') || '(none yet)'}`);
  process.exit(2);
}
let failures = 0;
for (const name of requested.length > 0 ? requested : available) {
  console.log(`\n=== bench: ${name}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(benchDir, `${name}.bench.ts`)], {
    stdio: 'inherit',
    cwd: join(benchDir, '..'),
  });
  if (run.status !== 0) failures += 1;
}
process.exit(failures > 0 ? 1 : 0);
