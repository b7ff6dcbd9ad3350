import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultProfiles, findProfile, type ModelProfile } from './profiles.js';
import { ModelRunner, type RunnerStats, SimulatorBusyError, type Slot } from './runner.js';
import { countTokens, embed, generateJsonTokens, generateTokens } from './text.js';

/**
 * Faults the simulator can inject into the next requests:
 * - `hang`: accept generation requests and never answer (until the client gives up or the simulator closes);
 * - `malformed`: stream `afterChunks` good NDJSON lines, then a broken one;
 * - `die`: stream `afterChunks` lines, then destroy the socket (Ollama crashing mid-stream);
 * - `busy`: answer the next `count` requests with 503 like a full Ollama queue.
 */
export type SimulatorFault =
  | { type: 'hang' }
  | { type: 'malformed'; afterChunks?: number }
  | { type: 'die'; afterChunks?: number }
  | { type: 'busy'; count: number };

export interface OllamaSimulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Model time runs this many times faster than real time (100 = a 3 s load takes 30 ms). Default 1. */
  timeScale?: number;
  /** Installed models and their timing; default {@link defaultProfiles}. */
  profiles?: Record<string, ModelProfile>;
  /** Overrides every profile's parallel slots (OLLAMA_NUM_PARALLEL). */
  parallel?: number;
  /** Models resident at once (OLLAMA_MAX_LOADED_MODELS). Default 1, what an 8 GB board holds comfortably. */
  maxLoadedModels?: number;
  /** Pending requests before 503 (OLLAMA_MAX_QUEUE). Default 512. */
  maxQueue?: number;
  /** keep_alive when a request sets none, ms. Default 5 minutes (OLLAMA_KEEP_ALIVE). */
  keepAliveMs?: number;
}

export interface SimulatorStats extends RunnerStats {
  /** Chat, generate and embed requests received (listing endpoints are not counted). */
  requests: number;
  completed: number;
  /** Requests whose client went away before the answer was complete. */
  aborted: number;
  /** Tokens generated, including those for clients that later disconnected. */
  generatedTokens: number;
  /** Model loads that evicted another model. */
  swaps: number;
  /** Models resident right now. */
  loaded: string[];
}

export interface OllamaSimulator {
  /** Base URL for `new Ollama({ host })`. */
  host: string;
  port: number;
  stats(): SimulatorStats;
  /** Injects a fault for the following requests; `undefined` clears it. */
  setFault(fault: SimulatorFault | undefined): void;
  close(): Promise<void>;
}

const NS_PER_MS = 1e6;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

interface GenerationRequest {
  model: string;
  prompt: string;
  chat: boolean;
  stream: boolean;
  predict: number | undefined;
  /** `format: 'json'` or a JSON schema: the reply is a JSON object. */
  json: boolean;
  seed: number;
  keepAliveMs: number;
}

/** Parses Ollama's keep_alive: seconds as a number, or a Go-style duration string ("5m", "30s", "-1"). */
function parseKeepAlive(value: unknown, fallbackMs: number): number {
  if (typeof value === 'number') return value < 0 ? -1 : value * 1000;
  if (typeof value !== 'string' || value === '') return fallbackMs;
  const match = /^(-?\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) throw new HttpError(400, `time: invalid duration "${value}"`);
  const amount = Number(match[1]);
  if (amount < 0) return -1;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 's'] ?? 1000;
  return amount * unit;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // fall through to the 400 below, as Ollama answers for an unparsable body
  }
  throw new HttpError(400, 'invalid request body');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Starts an HTTP server that speaks the parts of Ollama's API the kit uses, with a timing model of a small board.
 * Durations in responses are model time (unscaled) in nanoseconds, like Ollama's.
 */
export async function startOllamaSimulator(options: OllamaSimulatorOptions = {}): Promise<OllamaSimulator> {
  const timeScale = options.timeScale ?? 1;
  const profiles = Object.fromEntries(
    Object.entries(options.profiles ?? defaultProfiles).map(([name, profile]) => [
      name,
      options.parallel === undefined ? profile : { ...profile, parallel: options.parallel },
    ]),
  );
  const defaultKeepAliveMs = options.keepAliveMs ?? 5 * 60_000;
  const runner = new ModelRunner({
    timeScale,
    maxQueue: options.maxQueue ?? 512,
    maxLoadedModels: options.maxLoadedModels ?? 1,
  });
  const counters = { requests: 0, completed: 0, aborted: 0, generatedTokens: 0 };
  const sockets = new Set<Socket>();
  let fault: SimulatorFault | undefined;

  function resolveModel(name: unknown): { name: string; profile: ModelProfile } {
    if (typeof name !== 'string' || name === '') throw new HttpError(400, 'model is required');
    const found = findProfile(profiles, name);
    if (!found) throw new HttpError(404, `model "${name}" not found, try pulling it first`);
    return found;
  }

  /** Waits `modelMs` of model time; rejects when the client goes away. */
  function wait(modelMs: number, signal: AbortSignal): Promise<void> {
    return sleep(modelMs / timeScale, undefined, { signal });
  }

  function parseGeneration(
    body: Record<string, unknown>,
    chat: boolean,
  ): GenerationRequest & { profile: ModelProfile } {
    const { name, profile } = resolveModel(body.model);
    if (profile.genTokensPerSec === 0)
      throw new HttpError(400, `"${name}" does not support ${chat ? 'chat' : 'generate'}`);
    let prompt: string;
    if (chat) {
      if (!Array.isArray(body.messages)) throw new HttpError(400, 'messages must be an array');
      prompt = body.messages
        .map((m: unknown) =>
          typeof m === 'object' && m !== null ? String((m as { content?: unknown }).content ?? '') : '',
        )
        .join('\n');
    } else {
      prompt = typeof body.prompt === 'string' ? body.prompt : '';
    }
    const opts = (typeof body.options === 'object' && body.options !== null ? body.options : {}) as Record<
      string,
      unknown
    >;
    const predict = typeof opts.num_predict === 'number' && opts.num_predict >= 0 ? opts.num_predict : undefined;
    return {
      model: name,
      profile,
      prompt,
      chat,
      stream: body.stream !== false,
      predict,
      json: body.format === 'json' || (typeof body.format === 'object' && body.format !== null),
      seed: typeof opts.seed === 'number' ? opts.seed : 0,
      keepAliveMs: parseKeepAlive(body.keep_alive, defaultKeepAliveMs),
    };
  }

  function takeBusyFault(): boolean {
    if (fault?.type !== 'busy') return false;
    fault.count--;
    if (fault.count <= 0) fault = undefined;
    return true;
  }

  async function generate(
    request: GenerationRequest & { profile: ModelProfile },
    req: IncomingMessage,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> {
    const started = Date.now();
    const activeFault = fault;
    if (activeFault?.type === 'hang') {
      // An unresponsive runner: headers never arrive, the client must time out on its own.
      await new Promise<never>((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      );
    }
    const slot: Slot = await runner.acquire(request.model, request.profile, request.keepAliveMs, signal);
    try {
      const promptTokens = countTokens(request.prompt);
      const promptMs = (promptTokens / request.profile.promptTokensPerSec) * 1000;
      // An empty prompt only loads the model, as in Ollama.
      const count = request.prompt === '' ? 0 : (request.predict ?? request.profile.defaultPredict);
      const tokens = (request.json ? generateJsonTokens : generateTokens)(
        request.model,
        request.prompt,
        count,
        request.seed,
      );
      await wait(promptMs, signal);
      const genStarted = Date.now();
      const tokenMs = 1000 / request.profile.genTokensPerSec;
      const chunk = (text: string, done: boolean): Record<string, unknown> => ({
        model: request.model,
        created_at: new Date().toISOString(),
        ...(request.chat ? { message: { role: 'assistant', content: text } } : { response: text }),
        done,
      });
      if (request.stream) res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      let sent = 0;
      for (const [i, token] of tokens.entries()) {
        // Absolute schedule so timer drift does not accumulate over long answers.
        const due = genStarted + ((i + 1) * tokenMs) / timeScale - Date.now();
        if (due > 0) await sleep(due, undefined, { signal });
        if (signal.aborted) throw signal.reason;
        counters.generatedTokens++;
        if (!request.stream) continue;
        if (
          activeFault &&
          (activeFault.type === 'malformed' || activeFault.type === 'die') &&
          sent === (activeFault.afterChunks ?? 2)
        ) {
          if (activeFault.type === 'die') {
            req.socket.destroy();
            return;
          }
          res.write('{"model":"broken","message":{"content\n');
        }
        res.write(`${JSON.stringify(chunk(token, false))}\n`);
        sent++;
      }
      const evalMs = tokens.length * tokenMs;
      const final = {
        ...chunk(request.stream ? '' : tokens.join(''), true),
        done_reason:
          request.prompt === ''
            ? 'load'
            : request.predict !== undefined && tokens.length >= request.predict
              ? 'length'
              : 'stop',
        total_duration: Math.round((Date.now() - started) * timeScale * NS_PER_MS),
        load_duration: Math.round(slot.loadMs * NS_PER_MS),
        prompt_eval_count: promptTokens,
        prompt_eval_duration: Math.round(promptMs * NS_PER_MS),
        eval_count: tokens.length,
        eval_duration: Math.round(evalMs * NS_PER_MS),
        ...(request.chat ? {} : { context: [1, 2, 3] }),
      };
      if (request.stream) res.end(`${JSON.stringify(final)}\n`);
      else sendJson(res, 200, final);
      counters.completed++;
    } finally {
      slot.release();
    }
  }

  async function embedRoute(body: Record<string, unknown>, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    const { name, profile } = resolveModel(body.model);
    if (!profile.embeddingDim) throw new HttpError(400, `"${name}" does not support embeddings`);
    const inputs =
      typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input.map(String) : [];
    const keepAliveMs = parseKeepAlive(body.keep_alive, defaultKeepAliveMs);
    const slot = await runner.acquire(name, profile, keepAliveMs, signal);
    try {
      const promptTokens = inputs.reduce((sum, text) => sum + countTokens(text), 0);
      await wait((promptTokens / profile.promptTokensPerSec) * 1000, signal);
      const dim = profile.embeddingDim;
      sendJson(res, 200, {
        model: name,
        embeddings: inputs.map((text) => embed(name, text, dim)),
        total_duration: Math.round((Date.now() - started) * timeScale * NS_PER_MS),
        load_duration: Math.round(slot.loadMs * NS_PER_MS),
        prompt_eval_count: promptTokens,
      });
      counters.completed++;
    } finally {
      slot.release();
    }
  }

  function modelEntry(name: string, profile: ModelProfile): Record<string, unknown> {
    return {
      name,
      model: name,
      size: Math.round(profile.sizeBytes),
      digest: Buffer.from(name).toString('hex').padEnd(64, '0').slice(0, 64),
      details: {
        format: 'gguf',
        family: profile.family,
        families: [profile.family],
        parameter_size: profile.parameterSize,
        quantization_level: 'Q4_K_M',
      },
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Ollama is running');
      return;
    }
    if (path === '/api/version') return sendJson(res, 200, { version: '0.12.0' });
    if (path === '/api/tags') {
      const modified = new Date(0).toISOString();
      const models = Object.entries(profiles).map(([name, p]) => ({ ...modelEntry(name, p), modified_at: modified }));
      return sendJson(res, 200, { models });
    }
    if (path === '/api/ps') {
      const models = [...runner.loaded.values()].map((m) => ({
        ...modelEntry(m.name, m.profile),
        size_vram: 0,
        expires_at: new Date(
          Number.isFinite(m.expiresAt) && m.active === 0 ? m.expiresAt : Date.now() + 5 * 60_000,
        ).toISOString(),
      }));
      return sendJson(res, 200, { models });
    }
    if (req.method !== 'POST') throw new HttpError(404, '404 page not found');
    const body = await readJson(req);
    if (path === '/api/show') {
      const { name, profile } = resolveModel(body.model ?? body.name);
      const entry = modelEntry(name, profile);
      return sendJson(res, 200, {
        modelfile: '',
        parameters: '',
        template: '{{ .Prompt }}',
        details: entry.details,
        model_info: {},
      });
    }
    if (path !== '/api/chat' && path !== '/api/generate' && path !== '/api/embed')
      throw new HttpError(404, '404 page not found');
    counters.requests++;
    if (takeBusyFault())
      throw new SimulatorBusyError('server busy, please try again.  maximum pending requests exceeded');
    if (path === '/api/embed') return embedRoute(body, res, signal);
    return generate(parseGeneration(body, path === '/api/chat'), req, res, signal);
  }

  const server = createServer((req, res) => {
    const controller = new AbortController();
    // A client that disconnects before the answer ends aborts its work, as Ollama cancels the runner request.
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    route(req, res, controller.signal).catch((error: unknown) => {
      if (controller.signal.aborted) {
        counters.aborted++;
        return;
      }
      const status = error instanceof HttpError ? error.status : error instanceof SimulatorBusyError ? 503 : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (res.headersSent) {
        // Mid-stream errors travel in-band, as Ollama does.
        res.end(`${JSON.stringify({ error: message })}\n`);
      } else {
        sendJson(res, status, { error: message });
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let closed: Promise<void> | undefined;

  return {
    host: `http://127.0.0.1:${port}`,
    port,
    stats: () => {
      const runnerStats = runner.stats();
      return { ...counters, ...runnerStats, swaps: runnerStats.evictions, loaded: [...runner.loaded.keys()] };
    },
    setFault(next) {
      fault = next && { ...next };
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        runner.close();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
