// Builds the gate's benchmark set into one plain-Node file and says how to run it in each mode.
// Bundling first keeps tsx's start-up out of every run, which matters 50-fold under valgrind.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
// Inside node_modules so the bundle resolves the native peers (better-sqlite3, lz4-napi) from the repo.
const bundle = join(repo, 'node_modules/.cache/pilms-perf-gate/suite.mjs');

/** Gate settings per mode: gated metrics, threshold (%), runs and how many run at once. */
export type GateMode = 'instructions' | 'wall';

interface ModeSettings {
  args: string[];
  nodeArgs: string[];
  metrics: string[];
  threshold: number;
  /** Runs of the candidate per gate. */
  runs: number;
  /** Runs stored by `--record`. */
  baselineRuns: number;
  concurrency: number;
}

export const modes: Record<GateMode, ModeSettings> = {
  // Whole-process instruction count of a scaled-down set (about 16 % of it is the measured operations); --single-threaded keeps V8's background
  // compiler and GC threads from making the count depend on scheduling (runs spread over ~15 % without,
  // ~1 % with).
  instructions: {
    args: ['--count', '--scale', '0.1'],
    nodeArgs: ['--single-threaded'],
    metrics: ['instructions'],
    threshold: 1,
    // One round of two concurrent valgrind runs (~20-30 s idle): the count spreads over ~1 %, so two suffice.
    runs: 2,
    baselineRuns: 4,
    concurrency: 2,
  },
  wall: {
    args: [],
    nodeArgs: [],
    metrics: ['cacheL1GetRel', 'statementGetRel', 'requestRecordRel'],
    threshold: 10,
    runs: 10,
    baselineRuns: 10,
    concurrency: 1,
  },
};

export const valgrindAvailable = (): boolean => spawnSync('valgrind', ['--version']).status === 0;

/** Bundles bench/perf-gate/suite.ts with esbuild (a dependency of tsx and tsup) and returns the file. */
export async function bundleSuite(): Promise<string> {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [join(repo, 'bench/perf-gate/suite.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    tsconfig: join(repo, 'tsconfig.json'),
    packages: 'bundle',
    external: ['better-sqlite3', 'lz4-napi', 'ioredis', 'prom-client', 'fastify', 'sharp', 'ollama'],
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return bundle;
}

/** The command line of one run, with an optional injected slowdown factor. */
export function suiteCommand(file: string, mode: GateMode, slowdown = 1): string[] {
  const settings = modes[mode];
  return [process.execPath, ...settings.nodeArgs, file, ...settings.args, '--slowdown', String(slowdown)];
}
