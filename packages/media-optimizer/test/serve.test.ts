import { randomBytes } from 'node:crypto';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, tempDir } from '../../../test/support/index.js';
import { mediaPlugin } from '../src/adapters/fastify.js';
import { createHttpHandler } from '../src/adapters/http.js';
import { createImageServer, createStaticServer, type ImageResult, optimizeImage } from '../src/index.js';

describe('image serving through Fastify', () => {
  let image: ImageResult;
  const app = Fastify();
  let server: ReturnType<typeof createImageServer>;

  beforeAll(async () => {
    const outDir = await tempDir();
    image = await optimizeImage(fixture('320x240.jpg'), { outDir, widths: [160, 320] });
    server = createImageServer({ dir: outDir });
    await app.register(mediaPlugin, { server, prefix: '/media/images' });
  });
  afterAll(() => app.close());

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  it('serves AVIF, then WebP, then JPEG by the Accept header, with Vary, immutable caching and an ETag', async () => {
    const avif = await get(`/media/images/${image.hash}?w=300`, { accept: 'image/avif,image/webp,*/*' });
    expect(avif.statusCode).toBe(200);
    expect(avif.headers['content-type']).toBe('image/avif');
    expect(avif.headers.vary).toBe('Accept');
    expect(avif.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(avif.rawPayload.length).toBe(image.variants.find((v) => v.file === '320.avif')?.bytes);
    const webp = await get(`/media/images/${image.hash}?w=300`, { accept: 'image/webp,image/avif;q=0' });
    expect(webp.headers['content-type']).toBe('image/webp');
    const jpeg = await get(`/media/images/${image.hash}?w=100`, { accept: 'image/*' });
    expect(jpeg.headers['content-type']).toBe('image/jpeg');
    expect(jpeg.headers.etag).toBe(`"${image.hash.slice(0, 16)}-160.jpg"`);
    const again = await get(`/media/images/${image.hash}?w=100`, { 'if-none-match': String(jpeg.headers.etag) });
    expect(again.statusCode).toBe(304);
    expect(again.rawPayload.length).toBe(0);
  });

  it('serves a stored variant by its file name and the largest one when no width is asked', async () => {
    const file = await get(`/media/images/${image.hash}/160.webp`);
    expect(file.headers['content-type']).toBe('image/webp');
    expect(file.headers.vary).toBeUndefined();
    const largest = await get(`/media/images/${image.hash}`);
    expect(largest.headers.etag).toContain('320.jpg');
  });

  it('answers 404 for unknown hashes and anything that looks like a path', async () => {
    for (const url of [
      `/media/images/${'0'.repeat(64)}`,
      '/media/images/../../etc/passwd',
      `/media/images/${image.hash}/manifest.json`,
      `/media/images/${image.hash}/..%2f..%2fpasswd`,
    ]) {
      expect((await get(url)).statusCode).toBe(404);
    }
    // The dot-segment URL may be normalised before routing, so it need not reach the image server.
    expect(server.stats().notFound).toBeGreaterThanOrEqual(3);
    expect(server.stats().notModified).toBe(1);
  });
});

describe('static media serving through node:http', () => {
  let base: string;
  let http: Server;
  const body = randomBytes(1000);

  beforeAll(async () => {
    const parent = await tempDir();
    const root = join(parent, 'public');
    await mkdir(join(root, 'lecture'), { recursive: true });
    await writeFile(join(root, 'lecture', 'video.mp4'), body);
    await writeFile(join(parent, 'secret.txt'), 'teacher passwords');
    await symlink(join(parent, 'secret.txt'), join(root, 'link.txt'));
    const handler = createHttpHandler(createStaticServer({ root }), { prefix: '/files' });
    http = createServer((req, res) => {
      handler(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end('app route');
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => http.close(() => resolve())));

  // Raw requests: fetch would normalise `..` away before it reaches the server.
  const raw = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
      (resolve, reject) => {
        const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        });
        req.on('error', reject);
        req.end();
      },
    );

  it('answers a byte range with 206 and the exact bytes so video seeking works', async () => {
    const first = await raw('/files/lecture/video.mp4', { range: 'bytes=0-99' });
    expect(first.status).toBe(206);
    expect(first.headers['content-range']).toBe('bytes 0-99/1000');
    expect(first.body.equals(body.subarray(0, 100))).toBe(true);
    const suffix = await raw('/files/lecture/video.mp4', { range: 'bytes=-100' });
    expect(suffix.headers['content-range']).toBe('bytes 900-999/1000');
    expect(suffix.body.equals(body.subarray(900))).toBe(true);
    const open = await raw('/files/lecture/video.mp4', { range: 'bytes=950-5000' });
    expect(open.headers['content-range']).toBe('bytes 950-999/1000');
    expect(open.body.length).toBe(50);
  });

  it('answers several ranges with the whole file and bad ranges with 416', async () => {
    const multi = await raw('/files/lecture/video.mp4', { range: 'bytes=0-9,20-29' });
    expect(multi.status).toBe(200);
    expect(multi.body.equals(body)).toBe(true);
    for (const range of ['bytes=1000-', 'bytes=abc', 'bytes=50-10', 'bytes=-0']) {
      const bad = await raw('/files/lecture/video.mp4', { range });
      expect(bad.status).toBe(416);
      expect(bad.headers['content-range']).toBe('bytes */1000');
    }
  });

  it('answers HEAD with headers only and revalidates with the ETag', async () => {
    const head = await raw('/files/lecture/video.mp4', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('1000');
    expect(head.headers['accept-ranges']).toBe('bytes');
    const cached = await raw('/files/lecture/video.mp4', { 'if-none-match': String(head.headers.etag) });
    expect(cached.status).toBe(304);
  });

  it('never serves a file outside its root, through dot segments, encoded slashes or symlinks', async () => {
    for (const path of [
      '/files/../secret.txt',
      '/files/%2e%2e/secret.txt',
      '/files/lecture/..%2f..%2fsecret.txt',
      '/files/link.txt',
      '/files/lecture',
      '/files/%00',
    ]) {
      const response = await raw(path);
      expect([400, 404]).toContain(response.status);
      expect(response.body.toString()).not.toContain('teacher passwords');
    }
    expect((await raw('/elsewhere')).body.toString()).toBe('app route');
  });

  it('answers 500 instead of hanging when its root is missing', async () => {
    const handler = createHttpHandler(createStaticServer({ root: join(await tempDir(), 'gone') }));
    const broken = createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    const address = broken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const response = await fetch(`http://127.0.0.1:${port}/video.mp4`);
    expect(response.status).toBe(500);
    await new Promise<void>((resolve) => broken.close(() => resolve()));
  });
});
