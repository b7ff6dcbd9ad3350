import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { requireTool } from './tools.js';

/** A private `redis-server` started for tests; really a process, never a mock. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILLs the server (a crash), keeping its port for {@link RedisServer.start}. */
  kill(): Promise<void>;
  /** Starts it again on the same port after {@link RedisServer.kill}. */
  start(): Promise<void>;
  /** Stops the server and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline)
          reject(new Error(`redis-server did not listen on port ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts `redis-server` on a free loopback port in a fresh temp dir, without persistence. */
export async function startRedis(): Promise<RedisServer> {
  const binary = requireTool('redis-server');
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'pilms-redis-'));
  let child: ChildProcess | undefined;
  let stopped = false;

  const launch = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
    const proc = spawn(binary, args, { stdio: 'ignore' });
    child = proc;
    const failed = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`redis-server exited with code ${code} before listening`))),
    );
    await Promise.race([waitForPort(port, 10_000), failed]);
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      if (!child) return;
      const proc = child;
      child = undefined;
      proc.kill('SIGKILL');
      await exited(proc);
    },
    async start() {
      if (child) return;
      await launch();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child) {
        const proc = child;
        child = undefined;
        proc.kill('SIGTERM');
        await exited(proc);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
