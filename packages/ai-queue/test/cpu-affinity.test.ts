import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import { CpuTopologyError, detectBigCores, formatCpuList, planCpuAffinity } from '../src/cpu-affinity.js';

type FakeCpu = { capacity?: number; maxFreqKHz?: number };

async function fakeSysfs(cpus: FakeCpu[]): Promise<string> {
  const root = await tempDir();
  await Promise.all(
    cpus.map(async (cpu, id) => {
      const dir = join(root, `cpu${id}`);
      await mkdir(join(dir, 'cpufreq'), { recursive: true });
      if (cpu.capacity !== undefined) await writeFile(join(dir, 'cpu_capacity'), `${cpu.capacity}\n`);
      if (cpu.maxFreqKHz !== undefined)
        await writeFile(join(dir, 'cpufreq', 'cpuinfo_max_freq'), `${cpu.maxFreqKHz}\n`);
    }),
  );
  // Entries that are not cpuN must be ignored, as in the real /sys/devices/system/cpu.
  await mkdir(join(root, 'cpufreq'));
  await writeFile(join(root, 'online'), '0-7\n');
  return root;
}

const rk3588 = [
  ...Array.from({ length: 4 }, () => ({ capacity: 414, maxFreqKHz: 1800000 })),
  ...Array.from({ length: 4 }, () => ({ capacity: 1024, maxFreqKHz: 2400000 })),
];

describe('CPU affinity helper', () => {
  it('finds the four A76 cores of an RK3588 from cpu_capacity', async () => {
    const topology = await detectBigCores({ sysfsRoot: await fakeSysfs(rk3588) });
    expect(topology).toMatchObject({ big: [4, 5, 6, 7], little: [0, 1, 2, 3], source: 'cpu_capacity' });
  });

  it('falls back to cpuinfo_max_freq when cpu_capacity is missing', async () => {
    const cpus = rk3588.map(({ maxFreqKHz }) => ({ maxFreqKHz }));
    const topology = await detectBigCores({ sysfsRoot: await fakeSysfs(cpus) });
    expect(topology).toMatchObject({ big: [4, 5, 6, 7], source: 'cpuinfo_max_freq' });
  });

  it('treats every core as big when all cores look alike', async () => {
    const topology = await detectBigCores({ sysfsRoot: await fakeSysfs([{}, {}]) });
    expect(topology).toMatchObject({ big: [0, 1], little: [], source: 'uniform' });
  });

  it('produces the taskset command, num_thread and a systemd drop-in', async () => {
    const plan = await planCpuAffinity({ sysfsRoot: await fakeSysfs(rk3588) });
    expect(plan.tasksetCommand).toBe('taskset -c 4-7 ollama serve');
    expect(plan.numThread).toBe(4);
    expect(plan.systemdDropIn).toBe('[Service]\nCPUAffinity=4 5 6 7\n');
  });

  it('collapses runs of CPU ids into ranges', () => {
    expect(formatCpuList([6, 4, 5, 0, 2])).toBe('0,2,4-6');
  });

  it('rejects a sysfs root without CPUs with a typed error', async () => {
    await expect(detectBigCores({ sysfsRoot: await tempDir() })).rejects.toBeInstanceOf(CpuTopologyError);
    await expect(detectBigCores({ sysfsRoot: '/nonexistent/cpu' })).rejects.toMatchObject({
      code: 'ERR_AI_QUEUE_CPU_TOPOLOGY',
    });
  });
});
