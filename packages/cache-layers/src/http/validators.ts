import { createHash } from 'node:crypto';

/** Request headers as node:http and Fastify expose them. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/** Cache-Control values for the kit's common cases. */
export const cacheControlPresets = {
  /** Fingerprinted static assets: 30 days, never revalidated. */
  immutable: 'public, max-age=2592000, immutable',
  /** Per-user API responses: 5 minutes in the browser only. */
  api: 'private, max-age=300',
  /** Slow-changing per-user API responses: 15 minutes in the browser only. */
  apiLong: 'private, max-age=900',
  /** Always revalidate with the ETag (cheap 304s). */
  revalidate: 'no-cache',
  /** Never store (secrets, one-time pages). */
  noStore: 'no-store',
} as const;

/** A preset name of {@link cacheControlPresets}. */
export type CacheControlPreset = keyof typeof cacheControlPresets;

/**
 * An entity tag of `body`: SHA-1 in base64url. Strong by default; weak (`W/`) when the same
 * content may come in different byte forms (re-encoded, re-minified).
 */
export function createEtag(body: string | Uint8Array, options: { weak?: boolean } = {}): string {
  const hash = createHash('sha1').update(body).digest('base64url').slice(0, 27);
  return options.weak ? `W/"${hash}"` : `"${hash}"`;
}

function header(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Whether a conditional GET can be answered with 304: `If-None-Match` (weak comparison, RFC 9110
 * 13.1.2) wins over `If-Modified-Since`, which is compared at one-second precision.
 */
export function isNotModified(headers: RequestHeaders, validators: { etag?: string; lastModified?: number }): boolean {
  const ifNoneMatch = header(headers, 'if-none-match');
  if (ifNoneMatch !== undefined) {
    if (!validators.etag) return false;
    if (ifNoneMatch.trim() === '*') return true;
    const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
    const wanted = opaque(validators.etag);
    return ifNoneMatch.split(',').some((tag) => opaque(tag) === wanted);
  }
  const since = header(headers, 'if-modified-since');
  if (since === undefined || !Number.isFinite(validators.lastModified)) return false;
  const sinceMs = Date.parse(since);
  return Number.isFinite(sinceMs) && Math.floor((validators.lastModified ?? 0) / 1000) * 1000 <= sinceMs;
}
