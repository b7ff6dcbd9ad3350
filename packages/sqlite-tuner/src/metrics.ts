import { type Percentiles, SampleRing } from './latency.js';

/** Per-statement latency, as reported by `stats().statements.bySql`. */
export interface StatementStats extends Percentiles {
  count: number;
}

/** Counts executed statements and keeps latency samples for the most used ones. */
export class StatementMetrics {
  private readonly bySql = new Map<string, SampleRing>();
  private readonly started = performance.now();
  total = 0;

  constructor(
    private readonly samplesPerStatement: number,
    private readonly trackedStatements: number,
  ) {}

  /** Records one execution of `sql` that took `ms`. */
  record(sql: string, ms: number): void {
    this.total++;
    let ring = this.bySql.get(sql);
    if (ring === undefined) {
      // Past the limit new statements only count towards the totals, keeping memory bounded.
      if (this.bySql.size >= this.trackedStatements) return;
      ring = new SampleRing(this.samplesPerStatement);
      this.bySql.set(sql, ring);
    }
    ring.add(ms);
  }

  snapshot(): { total: number; perSecond: number; bySql: Record<string, StatementStats> } {
    const bySql: Record<string, StatementStats> = {};
    for (const [sql, ring] of this.bySql) bySql[sql] = { count: ring.count, ...ring.percentiles() };
    const seconds = (performance.now() - this.started) / 1000;
    return { total: this.total, perSecond: seconds > 0 ? this.total / seconds : 0, bySql };
  }
}
