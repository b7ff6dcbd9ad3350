/** Anything with plain-data `stats()`, as every @pilms package exposes. */
export interface StatsSource {
  stats(): object;
}

/** One numeric leaf of a stats object. */
export interface NumericLeaf {
  /** Prometheus-safe name: the prefix and the path joined by `_`. */
  name: string;
  value: number;
}

/** snake_case: what `promtool check metrics` accepts. */
const sanitize = (part: string): string =>
  part
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_');

// Prometheus wants base units: a millisecond leaf is exposed in seconds.
const milliseconds = /(^|_)ms(?=_|$)/;

// Suffixes Prometheus reserves for counters, histograms and summaries; a gauge must not end with them.
const reservedSuffix = /_(count|sum|bucket|total)$/;

/**
 * Walks nested plain data and returns its finite numeric leaves (booleans as 0/1) under `prefix`,
 * with `…Ms` leaves converted to seconds.
 * Arrays are walked with their index as the path segment; cycles are ignored.
 */
export function flattenStats(value: unknown, prefix: string): NumericLeaf[] {
  const leaves: NumericLeaf[] = [];
  const seen = new Set<object>();
  const walk = (node: unknown, name: string): void => {
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) return;
      const inSeconds = milliseconds.test(name);
      const unitName = inSeconds ? name.replace(milliseconds, '$1seconds') : name;
      leaves.push({
        name: reservedSuffix.test(unitName) ? `${unitName}_value` : unitName,
        value: inSeconds ? node / 1000 : node,
      });
    } else if (typeof node === 'boolean') {
      leaves.push({ name, value: node ? 1 : 0 });
    } else if (typeof node === 'object' && node !== null && !seen.has(node)) {
      seen.add(node);
      for (const [key, child] of Object.entries(node)) walk(child, `${name}_${sanitize(key)}`);
    }
  };
  walk(value, sanitize(prefix));
  return leaves;
}
