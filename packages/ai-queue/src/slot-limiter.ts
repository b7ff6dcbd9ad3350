/** A held slot; release it exactly once (further calls are no-ops). */
export interface SlotLease {
  release(): Promise<void>;
}

/** Options of {@link SlotLimiter.acquire}. */
export interface AcquireOptions {
  /** Gives up waiting; the promise rejects with the signal's reason and nothing stays queued. */
  signal?: AbortSignal;
  /** Lower is served first; default 0. Equal priorities are FIFO. */
  priority?: number;
}

/**
 * A global cap on concurrent model calls shared by several queues (processes), e.g. Redis-backed or node:cluster IPC.
 * The queue core accepts any object of this shape.
 */
export interface SlotLimiter {
  acquire(options?: AcquireOptions): Promise<SlotLease>;
  stats(): object;
  close(): Promise<void>;
}

interface Waiter {
  priority: number;
  seq: number;
  resolve(lease: SlotLease): void;
}

/** An in-process priority semaphore; the fallback of the Redis limiter and the arbiter of the cluster primary. */
export class LocalSemaphore implements SlotLimiter {
  private readonly waiters: Waiter[] = [];
  private held = 0;
  private seq = 0;
  private granted = 0;

  constructor(readonly slots: number) {}

  acquire(options: AcquireOptions = {}): Promise<SlotLease> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<SlotLease>((resolve, reject) => {
      const waiter: Waiter = {
        priority: options.priority ?? 0,
        seq: this.seq++,
        resolve: (lease) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(lease);
        },
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const at = this.waiters.findIndex(
        (other) => other.priority > waiter.priority || (other.priority === waiter.priority && other.seq > waiter.seq),
      );
      this.waiters.splice(at < 0 ? this.waiters.length : at, 0, waiter);
      this.grant();
    });
  }

  stats(): { slots: number; held: number; waiting: number; granted: number } {
    return { slots: this.slots, held: this.held, waiting: this.waiters.length, granted: this.granted };
  }

  async close(): Promise<void> {}

  private grant(): void {
    while (this.held < this.slots && this.waiters.length > 0) {
      const waiter = this.waiters.shift() as Waiter;
      this.held++;
      this.granted++;
      let released = false;
      waiter.resolve({
        release: async () => {
          if (released) return;
          released = true;
          this.held--;
          this.grant();
        },
      });
    }
  }
}
