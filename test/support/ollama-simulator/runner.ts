import type { ModelProfile } from './profiles.js';

/** Thrown by {@link ModelRunner.acquire} when the pending queue is full (Ollama answers 503 then). */
export class SimulatorBusyError extends Error {}

interface LoadedModel {
  name: string;
  profile: ModelProfile;
  active: number;
  ready: boolean;
  keepAliveMs: number;
  expiresAt: number;
  unloadTimer: NodeJS.Timeout | undefined;
}

interface Pending {
  name: string;
  profile: ModelProfile;
  keepAliveMs: number;
  signal: AbortSignal;
  resolve(slot: Slot): void;
  reject(error: unknown): void;
  onAbort(): void;
}

/** A running request's hold on a loaded model. */
export interface Slot {
  /** Model-time spent loading the model for this request, ms (0 when it was already loaded). */
  loadMs: number;
  release(): void;
}

export interface RunnerOptions {
  timeScale: number;
  maxQueue: number;
  maxLoadedModels: number;
}

export interface RunnerStats {
  queued: number;
  running: number;
  maxQueued: number;
  maxRunning: number;
  loads: number;
  unloads: number;
  /** Loads that had to evict another resident model first. */
  evictions: number;
}

/**
 * Ollama's scheduler in miniature: one FIFO of pending requests, served strictly in order (head-of-line blocking,
 * as Ollama does), a cap on loaded models with idle-model eviction, per-model parallel slots and keep_alive expiry.
 */
export class ModelRunner {
  readonly loaded = new Map<string, LoadedModel>();
  private readonly queue: Pending[] = [];
  private readonly counters = { maxQueued: 0, maxRunning: 0, loads: 0, unloads: 0, evictions: 0 };
  private pendingLoadMs = new Map<string, number>();

  constructor(private readonly options: RunnerOptions) {}

  acquire(name: string, profile: ModelProfile, keepAliveMs: number, signal: AbortSignal): Promise<Slot> {
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(
        new SimulatorBusyError('server busy, please try again.  maximum pending requests exceeded'),
      );
    }
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Slot>((resolve, reject) => {
      const pending: Pending = {
        name,
        profile,
        keepAliveMs,
        signal,
        resolve,
        reject,
        onAbort: () => {
          const index = this.queue.indexOf(pending);
          if (index >= 0) this.queue.splice(index, 1);
          reject(signal.reason);
          this.pump();
        },
      };
      signal.addEventListener('abort', pending.onAbort, { once: true });
      this.queue.push(pending);
      this.counters.maxQueued = Math.max(this.counters.maxQueued, this.queue.length);
      this.pump();
    });
  }

  stats(): RunnerStats {
    let running = 0;
    for (const model of this.loaded.values()) running += model.active;
    return { queued: this.queue.length, running, ...this.counters };
  }

  close(): void {
    for (const model of this.loaded.values()) clearTimeout(model.unloadTimer);
    for (const pending of this.queue.splice(0)) pending.reject(new Error('simulator closed'));
  }

  private pump(): void {
    for (;;) {
      const head = this.queue[0];
      if (!head || !this.tryStart(head)) return;
      this.queue.shift();
      head.signal.removeEventListener('abort', head.onAbort);
    }
  }

  private tryStart(pending: Pending): boolean {
    const model = this.loaded.get(pending.name);
    if (model) {
      if (!model.ready || model.active >= model.profile.parallel) return false;
      model.active++;
      model.keepAliveMs = pending.keepAliveMs;
      clearTimeout(model.unloadTimer);
      model.unloadTimer = undefined;
      this.trackRunning();
      const loadMs = this.pendingLoadMs.get(pending.name) ?? 0;
      this.pendingLoadMs.delete(pending.name);
      pending.resolve({ loadMs, release: () => this.release(model) });
      return true;
    }
    if (this.loaded.size >= this.options.maxLoadedModels && !this.evictIdle()) return false;
    this.load(pending);
    return false;
  }

  private load(pending: Pending): void {
    const model: LoadedModel = {
      name: pending.name,
      profile: pending.profile,
      active: 0,
      ready: false,
      keepAliveMs: pending.keepAliveMs,
      expiresAt: Number.POSITIVE_INFINITY,
      unloadTimer: undefined,
    };
    this.loaded.set(pending.name, model);
    this.counters.loads++;
    setTimeout(() => {
      model.ready = true;
      this.pendingLoadMs.set(model.name, model.profile.loadMs);
      this.pump();
      if (model.active === 0) this.scheduleUnload(model);
    }, pending.profile.loadMs / this.options.timeScale);
  }

  private evictIdle(): boolean {
    for (const model of this.loaded.values()) {
      if (model.ready && model.active === 0) {
        this.unload(model);
        this.counters.evictions++;
        return true;
      }
    }
    return false;
  }

  private release(model: LoadedModel): void {
    model.active--;
    if (model.active === 0) this.scheduleUnload(model);
    this.pump();
  }

  private scheduleUnload(model: LoadedModel): void {
    if (model.keepAliveMs < 0) return;
    if (model.keepAliveMs === 0) {
      this.unload(model);
      return;
    }
    model.expiresAt = Date.now() + model.keepAliveMs / this.options.timeScale;
    model.unloadTimer = setTimeout(() => {
      this.unload(model);
      this.pump();
    }, model.keepAliveMs / this.options.timeScale);
    model.unloadTimer.unref();
  }

  private unload(model: LoadedModel): void {
    clearTimeout(model.unloadTimer);
    this.loaded.delete(model.name);
    this.pendingLoadMs.delete(model.name);
    this.counters.unloads++;
  }

  private trackRunning(): void {
    this.counters.maxRunning = Math.max(this.counters.maxRunning, this.stats().running);
  }
}
