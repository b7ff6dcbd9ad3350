import { Agent, request } from 'node:http';

/** A response as the virtual students see it. */
export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** One browser-like session: keeps cookies, sends forms, times each request. */
export class Session {
  private readonly cookies = new Map<string, string>();

  constructor(private readonly base: URL) {}

  async send(
    method: string,
    path: string,
    body?: Record<string, string> | string,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const payload =
      body === undefined ? undefined : typeof body === 'string' ? body : new URLSearchParams(body).toString();
    const allHeaders: Record<string, string> = { accept: 'text/html,image/avif,image/webp,*/*', ...headers };
    if (this.cookies.size > 0) allHeaders.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (payload !== undefined) {
      allHeaders['content-type'] ??= 'application/x-www-form-urlencoded';
      allHeaders['content-length'] = String(Buffer.byteLength(payload));
    }
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.base.hostname, port: this.base.port, path, method, headers: allHeaders, agent, timeout: 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            for (const line of [res.headers['set-cookie'] ?? []].flat()) {
              const [pair] = line.split(';');
              const eq = pair?.indexOf('=') ?? -1;
              if (pair && eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
            }
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}
