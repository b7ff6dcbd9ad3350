import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, tempDir } from '../../../test/support/index.js';
import { createSqliteJobStore, type SqliteJobStore } from '../src/adapters/sqlite.js';
import { createJobQueue, InvalidOptionError, JobNotFoundError, type JobQueue } from '../src/index.js';
import { makeClip } from './clips.js';
import { mediaHandlers } from './handlers.js';

let clips: string;
let clip: string;
const here = fileURLToPath(new URL('.', import.meta.url));

beforeAll(async () => {
  clips = await tempDir();
  clip = makeClip(clips, 'clip.mp4', { seconds: 2 });
});

async function openQueue(outDir: string, extra: Partial<Parameters<typeof createJobQueue>[0]> = {}) {
  const store = createSqliteJobStore({ path: join(outDir, '..', `jobs-${Math.random()}.db`) });
  const queue = await createJobQueue({ store, handlers: mediaHandlers(outDir), ...extra });
  return { store, queue };
}

async function settled(queue: JobQueue, id: string) {
  await queue.idle();
  return queue.get(id);
}

const niceOf = (pid: number) =>
  Number((spawnSync('ps', ['-o', 'ni=', '-p', String(pid)]).stdout ?? '').toString().trim());

describe('createJobQueue', () => {
  it('runs a video job in the background under nice and taskset, with persisted progress, result and logs', async () => {
    const outDir = await tempDir();
    let nice = Number.NaN;
    let cpus = '';
    const store = createSqliteJobStore({ path: join(await tempDir(), 'jobs.db') });
    const queue = await createJobQueue({
      store,
      cpus: '0',
      handlers: mediaHandlers(outDir, {
        onRunning: (pid) => {
          nice = niceOf(pid);
          cpus = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '';
        },
      }),
    });
    const percents: number[] = [];
    queue.on('progress', (_, percent) => percents.push(percent));
    const id = queue.add('video', { input: clip });
    expect(queue.get(id).status).toBe('queued');
    const job = await settled(queue, id);
    expect(job).toMatchObject({ status: 'done', progress: 100, attempts: 1, error: null });
    expect(job.result).toMatchObject({ hash: expect.stringMatching(/^[a-f0-9]{64}$/) });
    expect(percents.at(-1)).toBe(100);
    expect(nice).toBe(10);
    expect(cpus).toBe('0');
    expect(queue.logs(id).length).toBeGreaterThan(0);
    expect(queue.stats()).toMatchObject({ done: 1, queued: 0, running: 0, failed: 0 });
    await queue.close();
    store.close();
  });

  it('runs one job at a time by default', async () => {
    const outDir = await tempDir();
    let active = 0;
    let maxActive = 0;
    const store = createSqliteJobStore({ path: join(await tempDir(), 'jobs.db') });
    const handlers = mediaHandlers(outDir);
    const counting = await createJobQueue({
      store,
      handlers: {
        image: async (payload: { input: string }, context) => {
          active += 1;
          maxActive = Math.max(maxActive, active);
          try {
            return await handlers.image?.(payload, context);
          } finally {
            active -= 1;
          }
        },
      },
    });
    const ids = ['320x240.jpg', 'Landscape_1.jpg', 'Portrait_8.jpg'].map((name) =>
      counting.add('image', { input: fixture(name) }),
    );
    await counting.idle();
    expect(ids.map((id) => counting.get(id).status)).toEqual(['done', 'done', 'done']);
    expect(maxActive).toBe(1);
    await counting.close();
    store.close();
  });

  it('cancels a running job (killing ffmpeg, leaving no output) and a queued one', async () => {
    const outDir = await tempDir();
    const { queue, store } = await openQueue(outDir);
    const running = queue.add('video', { input: clip });
    const waiting = queue.add('video', { input: clip });
    queue.cancel(waiting);
    const off = queue.on('progress', (id) => {
      if (id === running) queue.cancel(running);
    });
    await queue.idle();
    off();
    expect(queue.get(running)).toMatchObject({ status: 'cancelled', error: { code: 'PILMS_MEDIA_CANCELLED' } });
    expect(queue.get(waiting)).toMatchObject({ status: 'cancelled', attempts: 0 });
    expect(await readdir(outDir)).toEqual([]);
    await queue.close();
    store.close();
  });

  it('marks a job with bad input failed with its typed error code and logs why', async () => {
    const outDir = await tempDir();
    const { queue, store } = await openQueue(outDir);
    const id = queue.add('image', { input: fixture('truncated.jpg') });
    const job = await settled(queue, id);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'PILMS_MEDIA_CORRUPT' } });
    expect(queue.logs(id).join('\n')).toContain('Input cannot be decoded');
    expect(() => queue.get('nope')).toThrow(JobNotFoundError);
    expect(() => queue.add('pdf', {})).toThrow(InvalidOptionError);
    await expect(createJobQueue({ store, handlers: {}, cpus: '0-3; rm -rf /' })).rejects.toThrow(
      "Expected `cpus` to be a CPU list for taskset such as '0-3' or '4,5', got \"0-3; rm -rf /\"",
    );
    await queue.close();
    store.close();
  });
});

describe('createJobQueue after the process is killed mid-encode', () => {
  /** Starts the queue in a child process, waits until ffmpeg encodes, then SIGKILLs the child. */
  async function crashMidEncode(dbPath: string, outDir: string, maxAttempts: number): Promise<number> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'queue-child.ts'), dbPath, outDir, clip, String(maxAttempts)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const ffmpegPid = await new Promise<number>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (line: string) => resolve(JSON.parse(line).ffmpegPid));
      child.once('exit', (code) => reject(new Error(`queue child exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // ffmpeg loses its progress pipe with its parent and must not run on as an orphan.
    for (let i = 0; i < 100 && isAlive(ffmpegPid); i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(ffmpegPid)).toBe(false);
    return ffmpegPid;
  }

  function isAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  async function reopen(dbPath: string, outDir: string, maxAttempts: number) {
    const store: SqliteJobStore = createSqliteJobStore({ path: dbPath });
    const queue = await createJobQueue({ store, maxAttempts, handlers: mediaHandlers(outDir), sweepDirs: [outDir] });
    return { store, queue };
  }

  it('resumes the interrupted job on restart and leaves only the finished output', async () => {
    const dir = await tempDir();
    const outDir = join(dir, 'out');
    const dbPath = join(dir, 'jobs.db');
    await crashMidEncode(dbPath, outDir, 2);
    const { store, queue } = await reopen(dbPath, outDir, 2);
    expect(queue.stats().recovered).toEqual({ resumed: 1, failed: 0 });
    await queue.idle();
    const [job] = queue.list();
    if (!job) throw new Error('the job was lost across the restart');
    expect(job).toMatchObject({ status: 'done', attempts: 2 });
    const entries = await readdir(outDir);
    expect(entries).toEqual([(job.result as { hash: string }).hash]);
    expect(JSON.parse(await readFile(join(outDir, entries[0] ?? '', 'manifest.json'), 'utf8'))).toMatchObject({
      kind: 'video',
    });
    expect(queue.logs(job.id).join('\n')).toContain('resumed after the previous process stopped');
    await queue.close();
    store.close();
  });

  it('fails the job cleanly once it has used its attempts, and sweeps the partial output', async () => {
    const dir = await tempDir();
    const outDir = join(dir, 'out');
    const dbPath = join(dir, 'jobs.db');
    await crashMidEncode(dbPath, outDir, 1);
    expect((await readdir(outDir)).some((entry) => entry.startsWith('.tmp-'))).toBe(true);
    const { store, queue } = await reopen(dbPath, outDir, 1);
    await queue.idle();
    expect(queue.list()).toMatchObject([{ status: 'failed', error: { code: 'PILMS_MEDIA_JOB_INTERRUPTED' } }]);
    expect(await readdir(outDir)).toEqual([]);
    await queue.close();
    store.close();
  });
});

describe('the package entry point', () => {
  it('does not load better-sqlite3 (only the sqlite adapter does)', () => {
    const entry = join(here, '..', 'src', 'index.ts');
    const script = `import(${JSON.stringify(entry)}).then(() => { const keys = Object.keys(require('node:module')._cache); console.log(JSON.stringify({ sqlite: keys.some((k) => k.includes('better-sqlite3')), sharp: keys.some((k) => k.includes('/sharp/')) })); });`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(run.stdout.trim())).toEqual({ sqlite: false, sharp: true });
  });
});
