import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * Default worker count: the efficiency (LITTLE) cores on big.LITTLE boards such as the RK3588,
 * leaving the big cores to Ollama; otherwise every CPU. `WORKERS` overrides.
 */
export function defaultWorkers(env: NodeJS.ProcessEnv = process.env, sysCpu = '/sys/devices/system/cpu'): number {
  if (env.WORKERS !== undefined) {
    const n = Number(env.WORKERS);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`Expected \`WORKERS\` to be an integer >= 1, got ${env.WORKERS}`);
    return n;
  }
  try {
    const capacities = readdirSync(sysCpu)
      .filter((name) => /^cpu\d+$/.test(name))
      .map((name) => Number(readFileSync(`${sysCpu}/${name}/cpu_capacity`, 'utf8')));
    const max = Math.max(...capacities);
    const little = capacities.filter((c) => c < max).length;
    if (little > 0) return little;
  } catch {
    // No cpu_capacity (x86, containers): fall through to the CPU count.
  }
  return availableParallelism();
}
