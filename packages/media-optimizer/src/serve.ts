import { createHash } from 'node:crypto';
import { realpath, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { defaults } from './defaults.js';
import type { ImageManifest } from './image.js';
import { formatPreference, type ImageVariant, mimeTypes } from './markup.js';
import { acceptedImageFormats, parseRange } from './range.js';
import { type FileLayer, nodeFileLayer, readManifest } from './store.js';

/** A framework-free request: what the adapters pass in. */
export interface MediaRequest {
  method: string;
  /** Path below the mount point, e.g. `/<hash>/640.avif`, already without the query string. */
  path: string;
  /** Requested width (`?w=`), for negotiated image URLs. */
  width?: number;
  headers: { accept?: string; range?: string; 'if-none-match'?: string };
}

/** A framework-free response: adapters stream `body.path` from `start` to `end` (inclusive). */
export interface MediaResponse {
  status: number;
  headers: Record<string, string>;
  body: { path: string; start: number; end: number } | string | null;
}

/** A request handler plus its counters. */
export interface MediaServer {
  handle(request: MediaRequest): Promise<MediaResponse>;
  stats(): {
    requests: number;
    notModified: number;
    partial: number;
    notFound: number;
    rangeNotSatisfiable: number;
    bytesServed: number;
  };
}

const contentTypes: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.ts': 'video/mp2t',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.gif': 'image/gif',
  '.png': 'image/png',
  '.json': 'application/json',
};

const text = (status: number, message: string, headers: Record<string, string> = {}): MediaResponse => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
  body: message,
});

function createCounters() {
  const counters = { requests: 0, notModified: 0, partial: 0, notFound: 0, rangeNotSatisfiable: 0, bytesServed: 0 };
  const count = (response: MediaResponse): MediaResponse => {
    counters.requests += 1;
    if (response.status === 304) counters.notModified += 1;
    if (response.status === 206) counters.partial += 1;
    if (response.status === 404) counters.notFound += 1;
    if (response.status === 416) counters.rangeNotSatisfiable += 1;
    if (response.body !== null && typeof response.body === 'object')
      counters.bytesServed += response.body.end - response.body.start + 1;
    return response;
  };
  return { count, stats: () => ({ ...counters }) };
}

/** Serves a file (or a byte range of it) with validators; shared by the image and static servers. */
function fileResponse(
  request: MediaRequest,
  path: string,
  size: number,
  etag: string,
  headers: Record<string, string>,
): MediaResponse {
  const base = { ...headers, etag, 'accept-ranges': 'bytes' };
  if (request.headers['if-none-match']?.split(',').some((tag) => tag.trim() === etag)) {
    return { status: 304, headers: base, body: null };
  }
  const range = parseRange(request.headers.range, size);
  if (range.kind === 'unsatisfiable') return text(416, 'Range not satisfiable', { 'content-range': `bytes */${size}` });
  const [status, start, end] = range.kind === 'partial' ? [206, range.start, range.end] : [200, 0, size - 1];
  const response: MediaResponse = {
    status,
    headers: { ...base, 'content-length': String(end - start + 1) },
    body: request.method === 'HEAD' || size === 0 ? null : { path, start, end },
  };
  if (status === 206) response.headers['content-range'] = `bytes ${start}-${end}/${size}`;
  return response;
}

/** Options of {@link createImageServer}. */
export interface ImageServerOptions {
  /** The `outDir` given to `optimizeImage`. Required. */
  dir: string;
  /** Default `defaults.immutableCacheControl` (one year, immutable: URLs are content hashes). */
  cacheControl?: string;
  fileLayer?: FileLayer;
}

const hashPattern = /^[a-f0-9]{64}$/;
const filePattern = /^\d+\.(avif|webp|jpg|gif)$/;

/** Picks the variant for a client: best accepted format, then the smallest width >= the request (else the largest). */
export function pickVariant(variants: readonly ImageVariant[], accept: string | undefined, width: number | undefined) {
  const accepted = acceptedImageFormats(accept);
  const format = formatPreference.find(
    (f) => variants.some((v) => v.format === f) && (f === 'jpeg' || f === 'gif' || accepted.has(f)),
  );
  const candidates = variants.filter((v) => v.format === format).sort((a, b) => a.width - b.width);
  return candidates.find((v) => v.width >= (width ?? Number.POSITIVE_INFINITY)) ?? candidates.at(-1);
}

/**
 * Serves optimized images: `/<hash>/<file>` as stored, or `/<hash>?w=640` negotiated by `Accept`
 * (AVIF > WebP > JPEG) with `Vary: Accept`. Only hex hashes and known file names are accepted, so
 * no request can name a path outside `dir`.
 */
export function createImageServer(options: ImageServerOptions): MediaServer {
  const fs = options.fileLayer ?? nodeFileLayer;
  const cacheControl = options.cacheControl ?? defaults.immutableCacheControl;
  const { count, stats } = createCounters();
  const manifests = new Map<string, ImageManifest>();
  const handle = async (request: MediaRequest): Promise<MediaResponse> => {
    const [, hash = '', file, ...rest] = request.path.split('/');
    if (!hashPattern.test(hash) || rest.length > 0 || (file !== undefined && file !== '' && !filePattern.test(file))) {
      return text(404, 'Not found');
    }
    let manifest = manifests.get(hash);
    if (!manifest) {
      manifest = await readManifest<ImageManifest>(fs, join(options.dir, hash));
      if (!manifest) return text(404, 'Not found');
      manifests.set(hash, manifest);
    }
    const negotiated = file === undefined || file === '';
    const variant = negotiated
      ? pickVariant(manifest.variants, request.headers.accept, request.width)
      : manifest.variants.find((v) => v.file === file);
    if (!variant) return text(404, 'Not found');
    const headers: Record<string, string> = {
      'content-type': mimeTypes[variant.format],
      'cache-control': cacheControl,
    };
    if (negotiated) headers.vary = 'Accept';
    const etag = `"${hash.slice(0, 16)}-${variant.file}"`;
    return fileResponse(request, join(options.dir, hash, variant.file), variant.bytes, etag, headers);
  };
  return { handle: async (request) => count(await handle(request)), stats };
}

/** Options of {@link createStaticServer}. */
export interface StaticServerOptions {
  /** Directory served; nothing outside it (including through symlinks) can be read. Required. */
  root: string;
  /** Default `defaults.immutableCacheControl`: serve content-addressed asset directories (video outputs). */
  cacheControl?: string;
}

/**
 * Serves files under `root` with correct HTTP Range support (206; several ranges answered with the
 * whole file; 416 for bad ranges), ETag and `304`, so video seeking works on phones.
 */
export function createStaticServer(options: StaticServerOptions): MediaServer {
  const root = resolve(options.root);
  const cacheControl = options.cacheControl ?? defaults.immutableCacheControl;
  const { count, stats } = createCounters();
  let realRoot: string | undefined;
  const handle = async (request: MediaRequest): Promise<MediaResponse> => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(request.path);
    } catch {
      return text(400, 'Bad request');
    }
    if (decoded.includes('\0')) return text(400, 'Bad request');
    const candidate = resolve(root, `.${sep}${decoded}`);
    realRoot ??= await realpath(root);
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      return text(404, 'Not found');
    }
    if (!real.startsWith(realRoot + sep)) return text(404, 'Not found');
    const info = await stat(real);
    if (!info.isFile()) return text(404, 'Not found');
    const etag = `"${createHash('sha1').update(`${real}:${info.size}:${info.mtimeMs}`).digest('hex').slice(0, 20)}"`;
    return fileResponse(request, real, info.size, etag, {
      'content-type': contentTypes[extname(real).toLowerCase()] ?? 'application/octet-stream',
      'cache-control': cacheControl,
      'last-modified': info.mtime.toUTCString(),
    });
  };
  return { handle: async (request) => count(await handle(request)), stats };
}

/**
 * Turns a raw URL under `prefix` into a {@link MediaRequest}, or `undefined` when the URL is not
 * under the prefix (so adapters can pass it on).
 */
export function toMediaRequest(
  method: string,
  url: string,
  headers: Record<string, string | string[] | undefined>,
  prefix = '',
): MediaRequest | undefined {
  const parsed = new URL(url, 'http://localhost');
  if (prefix !== '' && parsed.pathname !== prefix && !parsed.pathname.startsWith(`${prefix}/`)) return undefined;
  const first = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const request: MediaRequest = { method, path: parsed.pathname.slice(prefix.length) || '/', headers: {} };
  const width = Number(parsed.searchParams.get('w'));
  if (Number.isInteger(width) && width > 0) request.width = width;
  for (const name of ['accept', 'range', 'if-none-match'] as const) {
    const value = first(name);
    if (value !== undefined) request.headers[name] = value;
  }
  return request;
}
