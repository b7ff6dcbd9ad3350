import { RequestCancelledError } from './errors.js';

/** A listener of a {@link Broadcast}: the chunks as an async iterable, and `leave()` for one that never reads. */
export interface Listener<C> extends AsyncIterable<C> {
  leave(): void;
}

/**
 * One generation shared by several listeners: each gets the chunks already produced, then the live ones. A listener
 * whose signal fires leaves alone; when the last one leaves, `onEmpty` stops the generation.
 */
export class Broadcast<C> {
  private readonly chunks: C[] = [];
  private ended = false;
  private failure: { error: unknown } | undefined;
  private listeners = 0;
  private readonly wakers = new Set<() => void>();

  constructor(private readonly onEmpty: () => void) {}

  /** Reads `source` to its end (or error) into the shared buffer. */
  async drain(source: AsyncIterable<C>): Promise<void> {
    try {
      for await (const chunk of source) {
        this.chunks.push(chunk);
        this.wake();
      }
    } catch (error) {
      this.failure = { error };
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  listen(signal: AbortSignal | undefined): Listener<C> {
    this.listeners++;
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      if (--this.listeners === 0 && !this.ended) this.onEmpty();
    };
    const read = async function* (this: Broadcast<C>): AsyncGenerator<C> {
      try {
        for (let next = 0; ; ) {
          if (signal?.aborted) throw new RequestCancelledError('running', { cause: signal.reason });
          const chunk = this.chunks[next];
          if (next < this.chunks.length) {
            next++;
            yield chunk as C;
          } else if (this.failure) throw this.failure.error;
          else if (this.ended) return;
          else await this.changed(signal);
        }
      } finally {
        leave();
      }
    }.bind(this);
    return { [Symbol.asyncIterator]: () => read(), leave };
  }

  /** Resolves at the next chunk, the end, or when `signal` fires. */
  private changed(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.wakers.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.wakers.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  private wake(): void {
    for (const waker of [...this.wakers]) waker();
  }
}
