import { Ollama } from 'ollama';
import { ModelResidency, type ResidencyBudget } from './residency.js';

/** A poll unanswered for this long marks the host down (a hung Ollama). */
const pollTimeoutMs = 5_000;

/** How a host is watched. */
export interface HostOptions {
  url: string;
  fetch: typeof fetch;
  /** Requests sent to this host at once. */
  slots: number;
  budget: ResidencyBudget;
  /** Health (`/api/version`) and loaded models (`/api/ps`) are polled this often, ms, and after each request. */
  pollIntervalMs: number;
  /** First re-probe delay of a host marked down, doubling up to `pollIntervalMs`. */
  probeBaseMs: number;
}

/**
 * One Ollama host: its slots, health, installed models (`/api/tags`, re-read each interval), what it has loaded
 * (`/api/ps`) and its counters. A poll in flight is not doubled: a request finishing meanwhile marks the view stale
 * and one more follows. A host that fails is marked down and re-probed with a doubling delay until it answers again.
 */
export class Host {
  readonly residency: ModelResidency;
  inFlight = 0;
  completed = 0;
  failures = 0;
  up = true;
  /** Installed models from `/api/tags`; `undefined` until read. */
  installed: Set<string> | undefined;
  private polling = false;
  /** A poll was asked for while one ran: `full` if it should re-read `/api/tags` too. */
  private stale: { full: boolean } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private probeDelayMs: number;
  private closed = false;

  constructor(
    readonly options: HostOptions,
    private readonly onChange: () => void,
  ) {
    this.residency = new ModelResidency(options.budget);
    this.probeDelayMs = options.probeBaseMs;
  }

  get url(): string {
    return this.options.url;
  }

  hasFreeSlot(): boolean {
    return this.inFlight < this.options.slots;
  }

  /** Whether the host has `model` installed, as far as known (unknown lists count as yes). */
  has(model: string): boolean {
    if (!this.installed) return true;
    return this.installed.has(model) || this.installed.has(`${model}:latest`);
  }

  /** An ollama client whose requests end when `signal` fires. */
  client(signal: AbortSignal): Ollama {
    const { fetch: fetchImpl, url } = this.options;
    return new Ollama({
      host: url,
      fetch: (input, init) =>
        fetchImpl(input, { ...init, signal: AbortSignal.any([signal, ...(init?.signal ? [init.signal] : [])]) }),
    });
  }

  /** Starts polling (idempotent); the timers never keep the process alive. */
  watch(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.poll(true), this.options.pollIntervalMs);
    this.timer.unref();
    this.poll(true);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.probeTimer);
    this.timer = undefined;
  }

  /** Marks the host down after a failed request and schedules re-probes. */
  markDown(): void {
    if (this.up) {
      this.up = false;
      this.probeDelayMs = this.options.probeBaseMs;
    }
    this.scheduleProbe();
  }

  /** Re-reads health and `/api/ps` (and, when `full`, the installed models); a failure marks the host down. */
  poll(full = false): void {
    if (this.polling) {
      this.stale = { full: full || (this.stale?.full ?? false) };
      return;
    }
    this.polling = true;
    void this.read(full)
      .then(
        () => this.markUp(),
        () => this.markDown(),
      )
      .finally(() => {
        this.polling = false;
        const again = this.stale;
        this.stale = undefined;
        if (again) this.poll(again.full);
      });
  }

  private markUp(): void {
    if (this.up) return;
    this.up = true;
    clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    this.onChange();
  }

  private scheduleProbe(): void {
    if (this.probeTimer || this.closed) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      this.probeDelayMs = Math.min(this.probeDelayMs * 2, this.options.pollIntervalMs);
      this.poll(true);
    }, this.probeDelayMs);
    this.probeTimer.unref();
  }

  private async read(full: boolean): Promise<void> {
    // Short poll intervals must not turn a slow answer into a host marked down.
    const client = this.client(AbortSignal.timeout(Math.max(this.options.pollIntervalMs, pollTimeoutMs)));
    await client.version();
    if (full || !this.installed) {
      const tags = await client.list();
      this.residency.learnSizes(tags.models.map((m) => ({ name: m.name, size: m.size })));
      this.installed = new Set(tags.models.map((m) => m.name));
    }
    const version = this.residency.version;
    const ps = await client.ps();
    // A request started meanwhile knows better than this answer; the poll after it finishes will catch up.
    if (version !== this.residency.version) return;
    this.residency.sync(ps.models.map((m) => ({ name: m.name, size: m.size })));
    this.onChange();
  }
}
