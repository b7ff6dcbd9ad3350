import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, requireTool, tempDir } from '../../../test/support/index.js';
import { brotliModulePath, renderNginxSite } from '../deploy/render-nginx.js';

const lmsDir = resolve(import.meta.dirname, '..');

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitForHttp(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} before serving HTTP`);
    try {
      await get(port, '/');
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`${what} did not serve HTTP on port ${port} within 60 s`);
}

describe('the nginx site from examples/lms/deploy in front of the real app', () => {
  const children: ChildProcess[] = [];
  let nginxPort = 0;
  let appPort = 0;
  let publicDir = '';
  const secret = 'not-for-the-web-7f3a';
  const stylesheet = `${'body { margin: 0; padding: 0; font-family: system-ui, sans-serif; }\n'.repeat(200)}`;

  beforeAll(async () => {
    const nginx = requireTool('nginx');
    const dir = await tempDir('pilms-nginx-');
    publicDir = join(dir, 'public');
    await mkdir(publicDir);
    await mkdir(join(dir, 'logs'));
    await writeFile(join(publicDir, 'app.css'), stylesheet);
    await writeFile(join(dir, 'secret.txt'), secret);
    appPort = await freePort();
    nginxPort = await freePort();

    const app = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: lmsDir,
      env: { ...process.env, PORT: String(appPort), DATA_DIR: join(dir, 'data'), WORKERS: '1' },
      stdio: 'ignore',
    });
    children.push(app);
    await waitForHttp(appPort, app, 'the LMS');

    const brotli = existsSync(brotliModulePath);
    const site = renderNginxSite({ listenPort: nginxPort, appPort, publicDir, cacheDir: join(dir, 'cache'), brotli });
    // The board's /etc/nginx/nginx.conf provides this outer part; the test supplies its own on loopback.
    const conf = [
      ...(brotli ? [`load_module ${brotliModulePath};`] : []),
      'daemon off;',
      'worker_processes 1;',
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'logs', 'error.log')} warn;`,
      'events { worker_connections 256; }',
      'http {',
      '  include /etc/nginx/mime.types;',
      `  access_log ${join(dir, 'logs', 'access.log')};`,
      `  client_body_temp_path ${join(dir, 'client_body')};`,
      `  proxy_temp_path ${join(dir, 'proxy')};`,
      `  fastcgi_temp_path ${join(dir, 'fastcgi')};`,
      `  uwsgi_temp_path ${join(dir, 'uwsgi')};`,
      `  scgi_temp_path ${join(dir, 'scgi')};`,
      site,
      '}',
    ].join('\n');
    const confPath = join(dir, 'nginx.conf');
    await writeFile(confPath, conf);
    execFileSync(nginx, ['-t', '-q', '-p', dir, '-c', confPath], { stdio: 'pipe' });
    const server = spawn(nginx, ['-p', dir, '-c', confPath], { stdio: 'ignore' });
    children.push(server);
    await waitForHttp(nginxPort, server, 'nginx');
  });

  afterAll(() => {
    for (const child of children.reverse()) child.kill('SIGTERM');
  });

  it('proxies pages to the app with the same status and body', async () => {
    const direct = await get(appPort, '/');
    const proxied = await get(nginxPort, '/');
    expect(proxied.status).toBe(direct.status);
    expect(proxied.body.toString()).toBe(direct.body.toString());
  });

  it('serves static assets from disk without the app, with a cache lifetime', async () => {
    const reply = await get(nginxPort, '/static/app.css');
    expect(reply.status).toBe(200);
    expect(reply.headers['x-served-by']).toBe('nginx-static');
    expect(reply.headers['cache-control']).toContain('max-age=604800');
    expect(reply.body.toString()).toBe(stylesheet);
  });

  it('compresses text with gzip, and with brotli when the module is installed', async () => {
    const gzip = await get(nginxPort, '/static/app.css', { 'accept-encoding': 'gzip' });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzip.body).toString()).toBe(stylesheet);
    expect(gzip.body.length).toBeLessThan(stylesheet.length / 5);
    if (existsSync(brotliModulePath)) {
      const br = await get(nginxPort, '/static/app.css', { 'accept-encoding': 'br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(brotliDecompressSync(br.body).toString()).toBe(stylesheet);
    }
  });

  it('refuses to serve files outside the public directory', async () => {
    // A file right beside public/: any traversal out of the alias would expose it.
    for (const path of ['/static/../secret.txt', '/static/..%2fsecret.txt', '/static/%2e%2e/secret.txt']) {
      const reply = await get(nginxPort, path);
      expect(reply.body.toString(), path).not.toContain(secret);
    }
  });
});
