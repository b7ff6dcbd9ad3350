import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { freePort, tempDir } from '../../../test/support/index.js';

const lmsDir = resolve(import.meta.dirname, '..');

/** `npm start` as a real process tree: the primary, its workers, and what they printed. */
export interface RunningLms {
  primary: ChildProcess;
  base: string;
  dataDir: string;
  log(): string;
  /** The cluster workers: the primary's children running main.ts (tsx's esbuild service is a child too). */
  workerPids(): number[];
  /** SIGTERM, then the primary's exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Starts `src/main.ts` on a free port with `env` added and waits until a worker serves. */
export async function startLms(env: Record<string, string>, dataDir?: string): Promise<RunningLms> {
  const port = await freePort();
  const dir = dataDir ?? (await tempDir('pilms-lms-process-'));
  const primary = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: lmsDir,
    env: { ...process.env, PORT: String(port), DATA_DIR: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(primary);
  let log = '';
  primary.stdout?.on('data', (chunk: Buffer) => (log += chunk));
  primary.stderr?.on('data', (chunk: Buffer) => (log += chunk));
  const base = `http://127.0.0.1:${port}`;
  await until('the first worker', async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined));
  return {
    primary,
    base,
    dataDir: dir,
    log: () => log,
    workerPids() {
      try {
        return execFileSync('pgrep', ['-P', String(primary.pid), '-f', 'src/main.ts'], { encoding: 'utf8' })
          .trim()
          .split('\n')
          .map(Number);
      } catch {
        return [];
      }
    },
    async stop() {
      primary.kill('SIGTERM');
      const [code] = primary.exitCode === null ? await once(primary, 'exit') : [primary.exitCode];
      running.delete(primary);
      return code as number | null;
    },
  };
}

/** Kills every process `startLms` started that is still running (afterAll). */
export function killAll(): void {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  running.clear();
}

/** Polls `probe` until it returns a value (errors count as "not yet"), for up to a minute. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** A signed-in browser session against a running LMS. */
export interface Client {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  /** A form post; resolves with the response (303 means acknowledged). */
  post(path: string, fields?: Record<string, string>): Promise<Response>;
}

/** Logs in with the demo credentials and reads the CSRF token from the home page. */
export async function signIn(base: string, email: string, password: string): Promise<Client> {
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password }).toString(),
  });
  if (login.status !== 303) throw new Error(`Login of ${email} answered ${login.status}`);
  const cookie = String(login.headers.get('set-cookie')).split(';')[0] as string;
  const home = await (await fetch(`${base}/`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(home)?.[1] ?? '';
  return {
    cookie,
    csrf,
    get: (path) => fetch(`${base}${path}`, { headers: { cookie } }),
    post: (path, fields = {}) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, ...fields }).toString(),
      }),
  };
}
