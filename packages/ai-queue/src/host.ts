import { Ollama } from 'ollama';
import { ModelResidency, type ResidencyBudget } from './residency.js';

/** How a host is watched. */
export interface HostOptions {
  url: string;
  fetch: typeof fetch;
  /** Requests sent to this host at once. */
  slots: number;
  budget: ResidencyBudget;
  /** `/api/ps` is polled this often, ms (and after each request finishes). */
  psIntervalMs: number;
}

/**
 * One Ollama host: its slots, what it has loaded (polled from `/api/ps`), and its counters. A poll in flight is not
 * doubled: a request finishing meanwhile marks the view stale and one more poll follows.
 */
export class Host {
  readonly residency: ModelResidency;
  inFlight = 0;
  completed = 0;
  failures = 0;
  private polling = false;
  private stale = false;
  private timer: NodeJS.Timeout | undefined;
  private sizesKnown = false;

  constructor(
    readonly options: HostOptions,
    private readonly onChange: () => void,
  ) {
    this.residency = new ModelResidency(options.budget);
  }

  get url(): string {
    return this.options.url;
  }

  hasFreeSlot(): boolean {
    return this.inFlight < this.options.slots;
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

  /** Starts polling `/api/ps` (idempotent); the timer does not keep the process alive. */
  watch(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poll(), this.options.psIntervalMs);
    this.timer.unref();
    this.poll();
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Re-reads `/api/ps`; failures leave the local view as it is. */
  poll(): void {
    if (this.polling) {
      this.stale = true;
      return;
    }
    this.polling = true;
    void this.read()
      .catch(() => undefined)
      .finally(() => {
        this.polling = false;
        if (this.stale) {
          this.stale = false;
          this.poll();
        }
      });
  }

  private async read(): Promise<void> {
    const client = this.client(AbortSignal.timeout(this.options.psIntervalMs));
    if (!this.sizesKnown) {
      const tags = await client.list();
      this.residency.learnSizes(tags.models.map((m) => ({ name: m.name, size: m.size })));
      this.sizesKnown = true;
    }
    const version = this.residency.version;
    const ps = await client.ps();
    // A request started meanwhile knows better than this answer; the poll after it finishes will catch up.
    if (version !== this.residency.version) return;
    this.residency.sync(ps.models.map((m) => ({ name: m.name, size: m.size })));
    this.onChange();
  }
}
