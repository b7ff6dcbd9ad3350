import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type MediaResponse, type MediaServer, toMediaRequest } from '../serve.js';

/** Options of {@link createHttpHandler}. */
export interface HttpHandlerOptions {
  /** URL prefix the server is mounted at, e.g. `'/media/images'`. Default `''` (everything). */
  prefix?: string;
}

/**
 * Wraps an image or static media server for `node:http`. The returned function answers and resolves
 * `true`, or resolves `false` without touching the response when the URL is not under `prefix`.
 */
export function createHttpHandler(
  server: MediaServer,
  options: HttpHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<boolean> {
  return async (req, res) => {
    const method = req.method ?? 'GET';
    const request = toMediaRequest(method, req.url ?? '/', req.headers, options.prefix);
    if (!request) return false;
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    let response: MediaResponse;
    try {
      response = await server.handle(request);
    } catch {
      // A file vanished or the root is unreadable: answer, never leave the socket hanging.
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Internal error');
      return true;
    }
    res.writeHead(response.status, response.headers);
    if (response.body === null || typeof response.body === 'string') {
      res.end(method === 'HEAD' ? undefined : (response.body ?? undefined));
      return true;
    }
    const stream = createReadStream(response.body.path, { start: response.body.start, end: response.body.end });
    stream.on('error', (error) => res.destroy(error));
    stream.pipe(res);
    return true;
  };
}
