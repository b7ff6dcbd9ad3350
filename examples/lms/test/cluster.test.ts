import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, tempDir } from '../../../test/support/index.js';

const lmsDir = resolve(import.meta.dirname, '..');
let primary: ChildProcess | undefined;

afterAll(() => {
  if (primary?.exitCode === null) primary.kill('SIGKILL');
});

/** The cluster workers of `parent`: its children running main.ts (tsx's esbuild service is a child too). */
function workerPids(parent: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(parent), '-f', 'src/main.ts'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
  } catch {
    return [];
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

describe('the cluster started by npm start', () => {
  it('replaces a worker killed with SIGKILL without losing an acknowledged progress write, backs up at start and stops on SIGTERM', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const dataDir = await tempDir('pilms-lms-cluster-');
    primary = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: lmsDir,
      env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, WORKERS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    primary.stdout?.on('data', (chunk: Buffer) => (log += chunk));
    primary.stderr?.on('data', (chunk: Buffer) => (log += chunk));
    await until('the first worker', async () => ((await fetch(`${base}/`)).ok ? true : undefined));
    expect(log).toContain('student1@school.test / student-demo');
    const backups = await until('the start-up backup', async () => {
      const files = readdirSync(join(dataDir, 'backups'));
      return files.some((file) => file.endsWith('.db')) ? files : undefined;
    });
    expect(backups.filter((file) => file.endsWith('.partial'))).toEqual([]);

    const login = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=student1%40school.test&password=student-demo',
    });
    const cookie = String(login.headers.get('set-cookie')).split(';')[0] as string;
    const lesson = await (await fetch(`${base}/lessons/3`, { headers: { cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(lesson)?.[1] as string;
    const ack = await fetch(`${base}/lessons/3/complete`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: `_csrf=${csrf}`,
    });
    expect(ack.status).toBe(303);

    const [worker] = workerPids(primary.pid as number);
    process.kill(worker as number, 'SIGKILL');
    await until('a replacement worker', async () => {
      const pids = workerPids(primary?.pid as number);
      return pids.length === 1 && pids[0] !== worker ? true : undefined;
    });
    const after = await until('the replacement to serve', async () => {
      const reply = await fetch(`${base}/lessons/3`, { headers: { cookie } });
      return reply.ok ? reply.text() : undefined;
    });
    expect(after).toContain('You completed this lesson.');
    await until('the primary to log the replacement', async () =>
      /worker \d+ died \(SIGKILL\); starting a replacement/.test(log) ? true : undefined,
    );

    primary.kill('SIGTERM');
    const [code] = await once(primary, 'exit');
    expect(code).toBe(0);
  }, 120_000);
});
