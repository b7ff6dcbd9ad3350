import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { requireTool, tempDir } from '../../../test/support/index.js';
import { createPrometheusExporter } from '../src/adapters/prometheus.js';
import { createProcessMonitor, createSystemCollector, flattenStats } from '../src/index.js';

const rk3588 = join(import.meta.dirname, 'fixtures/rk3588');

describe('flattenStats', () => {
  it('exposes numeric and boolean leaves of nested data with sanitized names', () => {
    const leaves = flattenStats(
      { hits: 3, latency: { p50: 1.5 }, 'bad-key': { ok: true }, label: 'x', list: [4], waitMs: 2, count: 1 },
      'cache',
    );
    expect(leaves).toEqual([
      { name: 'cache_hits', value: 3 },
      { name: 'cache_latency_p50', value: 1.5 },
      { name: 'cache_bad_key_ok', value: 1 },
      { name: 'cache_list_0', value: 4 },
      { name: 'cache_wait_seconds', value: 0.002 },
      { name: 'cache_count_value', value: 1 },
    ]);
  });
});

describe('createPrometheusExporter', () => {
  it('produces exposition text that promtool check metrics accepts', async () => {
    const promtool = requireTool('promtool');
    const monitor = createProcessMonitor();
    const exporter = await createPrometheusExporter({
      system: createSystemCollector({ root: rk3588 }),
      process: monitor,
      sources: { cache: { stats: () => ({ hits: 10, misses: 2, latency: { p50: 1, p95: 2, p99: 3 } }) } },
    });
    const text = await exporter.metrics();
    await monitor.close();
    expect(text).toContain('pilms_thermal_celsius{zone="bigcore0-thermal"} 47.1');
    expect(text).toContain('pilms_cpu_cluster_max_frequency_mhz{cluster="1"} 2400');
    expect(text).toContain('pilms_cache_latency_p95 2');
    expect(text).toContain('pilms_process_heap_used_bytes');
    const file = join(await tempDir(), 'metrics.txt');
    await writeFile(file, text);
    const { stdout, stderr } = await promisify(execFile)('sh', ['-c', `${promtool} check metrics < ${file}`]);
    expect(`${stdout}${stderr}`.trim()).toBe('');
  });
});
