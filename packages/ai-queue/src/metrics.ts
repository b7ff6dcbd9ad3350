import { Percentiles } from './percentiles.js';
import { type Priority, priorities } from './scheduler.js';

/** Per-class event counters. */
export const classCounters = [
  'completed',
  'failed',
  'cancelled',
  'rejected',
  'cacheHits',
  'dedupeJoins',
  'retries',
] as const;
/** One of {@link classCounters}. */
export type ClassCounter = (typeof classCounters)[number];

/** The part of Ollama's final chunk that carries timing. */
export interface FinalTiming {
  eval_count?: number;
  eval_duration?: number;
  load_duration?: number;
}

class ClassMetrics {
  readonly wait = new Percentiles();
  readonly ttft = new Percentiles();
  readonly counts = Object.fromEntries(classCounters.map((c) => [c, 0])) as Record<ClassCounter, number>;
  evalCount = 0;
  evalNs = 0;

  summary(queued: number) {
    return {
      queued,
      waitMs: this.wait.summary(),
      ttftMs: this.ttft.summary(),
      tokensPerSec: this.evalNs > 0 ? Math.round((this.evalCount / this.evalNs) * 1e10) / 10 : 0,
      ...this.counts,
    };
  }
}

/** Collects per-class waits, time to first token, tokens/s and counters for `stats()`. */
export class QueueMetrics {
  private readonly classes = Object.fromEntries(priorities.map((p) => [p, new ClassMetrics()])) as Record<
    Priority,
    ClassMetrics
  >;
  /** Loads Ollama reported (`load_duration` > 0). */
  reportedLoads = 0;

  count(priority: Priority, counter: ClassCounter): void {
    this.classes[priority].counts[counter]++;
  }

  waited(priority: Priority, ms: number): void {
    this.classes[priority].wait.add(ms);
  }

  firstToken(priority: Priority, ms: number): void {
    this.classes[priority].ttft.add(ms);
  }

  timing(priority: Priority, final: FinalTiming): void {
    const metrics = this.classes[priority];
    if (final.eval_count && final.eval_duration) {
      metrics.evalCount += final.eval_count;
      metrics.evalNs += final.eval_duration;
    }
    if ((final.load_duration ?? 0) > 0) this.reportedLoads++;
  }

  /** Sum of one counter over the classes. */
  total(counter: ClassCounter): number {
    return priorities.reduce((sum, p) => sum + this.classes[p].counts[counter], 0);
  }

  byClass(queued: (priority: Priority) => number) {
    return Object.fromEntries(priorities.map((p) => [p, this.classes[p].summary(queued(p))])) as Record<
      Priority,
      ReturnType<ClassMetrics['summary']>
    >;
  }
}
