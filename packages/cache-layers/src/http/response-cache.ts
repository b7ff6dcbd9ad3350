import { createHash } from 'node:crypto';
import { InvalidOptionError } from '../errors.js';
import { checkFunction, checkNumber } from '../validate.js';
import {
  type CacheControlPreset,
  cacheControlPresets,
  createEtag,
  isNotModified,
  type RequestHeaders,
} from './validators.js';

/** What the response cache needs from a cache: the structural subset of `Cache`. */
export interface ResponseCacheStore {
  get(key: string): Promise<unknown>;
  set(key: string, value: CachedResponse, options?: { ttl?: number; tags?: readonly string[] }): Promise<unknown>;
  deleteByTag(tag: string): Promise<unknown>;
}

/** A stored response. */
export interface CachedResponse {
  status: number;
  headers: Record<string, string>;
  /** Body bytes, base64. */
  body: string;
  etag: string;
  lastModified: number;
}

/** The request facts the response cache looks at. */
export interface CacheableRequest {
  method?: string | undefined;
  url?: string | undefined;
  headers: RequestHeaders;
}

/** Options of {@link createResponseCache} and the HTTP adapters. */
export interface ResponseCacheOptions {
  /** Where responses are kept, e.g. `cache.namespace('http')`. Omit to only add ETags and answer 304s. */
  cache?: ResponseCacheStore;
  /** Request headers the response varies on; part of the key and sent as `Vary`. Default `['accept-encoding']`. */
  vary?: readonly string[];
  /** Who the response is for (a session or user id), part of the key; undefined for shared responses. Default: none. */
  user?: (request: CacheableRequest) => string | undefined;
  /** Which GET requests to cache server-side. Default: all. */
  include?: (request: CacheableRequest) => boolean;
  /** Tags of a response, for invalidation with {@link ResponseCache.invalidate}. Default none. */
  tags?: (request: CacheableRequest) => readonly string[];
  /** Server-side time to live, ms. Default 300000. */
  ttl?: number;
  /** Weak ETags (`W/"…"`). Default false (strong). */
  weakEtag?: boolean;
  /** Cache-Control sent when the handler set none: a preset name or a literal value. Default `api`. */
  cacheControl?: CacheControlPreset | (string & {});
}

/** What to send for a request: status, headers and body (empty for 304). */
export interface PreparedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

function header(headers: RequestHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/**
 * Framework-free HTTP caching: validators (ETag, Last-Modified), 304 answers, Cache-Control
 * defaults and a server-side GET response cache keyed by URL + Vary headers + user.
 */
export function createResponseCache(options: ResponseCacheOptions = {}) {
  checkNumber('ttl', options.ttl);
  checkFunction('user', options.user);
  checkFunction('include', options.include);
  checkFunction('tags', options.tags);
  if (options.vary && !Array.isArray(options.vary))
    throw new InvalidOptionError('vary', 'an array of header names', options.vary);
  const vary = (options.vary ?? ['accept-encoding']).map((name) => name.toLowerCase());
  const cacheControl =
    options.cacheControl === undefined
      ? cacheControlPresets.api
      : (cacheControlPresets[options.cacheControl as CacheControlPreset] ?? options.cacheControl);
  const counters = { hits: 0, misses: 0, notModified: 0, stored: 0 };

  const keyOf = (request: CacheableRequest) => {
    const parts = [
      request.url ?? '',
      ...vary.map((name) => header(request.headers, name)),
      options.user?.(request) ?? '',
    ];
    // Hashed so long URLs and header values always fit the cache's key limit.
    return createHash('sha1').update(parts.join('\u0000')).digest('base64url');
  };
  const cacheable = (request: CacheableRequest) =>
    options.cache !== undefined &&
    (request.method === 'GET' || request.method === 'HEAD') &&
    (options.include?.(request) ?? true);

  const prepare = (request: CacheableRequest, response: CachedResponse): PreparedResponse => {
    if (isNotModified(request.headers, response)) {
      counters.notModified++;
      const { 'content-length': _length, 'content-type': _type, ...headers } = response.headers;
      return { status: 304, headers, body: Buffer.alloc(0) };
    }
    return {
      status: response.status,
      headers: response.headers,
      body: request.method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(response.body, 'base64'),
    };
  };

  return {
    /** A cached answer for the request (200 or 304), or undefined to run the handler. */
    async lookup(request: CacheableRequest): Promise<PreparedResponse | undefined> {
      if (!cacheable(request)) return undefined;
      const found = (await options.cache?.get(keyOf(request))) as CachedResponse | undefined;
      if (!found) {
        counters.misses++;
        return undefined;
      }
      counters.hits++;
      return prepare(request, found);
    },
    /**
     * Adds validators and Cache-Control to a fresh response, stores it when cacheable, and turns
     * it into a 304 when the request's validators match.
     */
    async complete(
      request: CacheableRequest,
      status: number,
      responseHeaders: Record<string, string>,
      body: Buffer,
    ): Promise<PreparedResponse> {
      const headers: Record<string, string> = { ...responseHeaders };
      if (status !== 200 || (request.method !== 'GET' && request.method !== 'HEAD')) return { status, headers, body };
      headers.etag ??= createEtag(body, { weak: options.weakEtag ?? false });
      headers['last-modified'] ??= new Date().toUTCString();
      headers['cache-control'] ??= cacheControl;
      const varyHeader = [
        ...new Set([...(headers.vary ? headers.vary.split(',').map((v) => v.trim().toLowerCase()) : []), ...vary]),
      ];
      if (varyHeader.length > 0) headers.vary = varyHeader.join(', ');
      const response: CachedResponse = {
        status,
        headers,
        body: body.toString('base64'),
        etag: headers.etag,
        lastModified: Date.parse(headers['last-modified']),
      };
      const storable =
        cacheable(request) &&
        !varyHeader.includes('*') &&
        !/no-store/.test(headers['cache-control']) &&
        !('set-cookie' in headers);
      if (storable) {
        counters.stored++;
        await options.cache?.set(keyOf(request), response, {
          ttl: options.ttl ?? 300_000,
          tags: options.tags?.(request) ?? [],
        });
      }
      return prepare(request, response);
    },
    /** Drops every cached response tagged `tag`. */
    async invalidate(tag: string): Promise<void> {
      await options.cache?.deleteByTag(tag);
    },
    stats() {
      return { ...counters };
    },
  };
}

/** The response cache created by {@link createResponseCache}. */
export type ResponseCache = ReturnType<typeof createResponseCache>;
