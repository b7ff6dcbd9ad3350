import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, signIn, startLms, until } from './processes.js';

afterAll(killAll);

describe('the cluster started by npm start', () => {
  it('replaces a worker killed with SIGKILL without losing an acknowledged progress write, backs up at start and stops on SIGTERM', async () => {
    const lms = await startLms({ WORKERS: '1' });
    expect(lms.log()).toContain('student1@school.test / student-demo');
    const backups = await until('the start-up backup', async () => {
      const files = readdirSync(join(lms.dataDir, 'backups'));
      return files.some((file) => file.endsWith('.db')) ? files : undefined;
    });
    expect(backups.filter((file) => file.endsWith('.partial'))).toEqual([]);

    const student = await signIn(lms.base, 'student1@school.test', 'student-demo');
    expect((await student.post('/lessons/3/complete')).status).toBe(303);

    const [worker] = lms.workerPids();
    process.kill(worker as number, 'SIGKILL');
    await until('a replacement worker', async () => {
      const pids = lms.workerPids();
      return pids.length === 1 && pids[0] !== worker ? true : undefined;
    });
    const after = await until('the replacement to serve', async () => {
      const reply = await student.get('/lessons/3');
      return reply.ok ? reply.text() : undefined;
    });
    expect(after).toContain('You completed this lesson.');
    await until('the primary to log the replacement', async () =>
      /worker \d+ died \(SIGKILL\); starting a replacement/.test(lms.log()) ? true : undefined,
    );
    expect(await lms.stop()).toBe(0);
  }, 120_000);

  it('serves /metrics of every worker through the primary, labelled by worker', async () => {
    const lms = await startLms({ WORKERS: '2' });
    const text = await until('metrics from both workers', async () => {
      const body = await (await fetch(`${lms.base}/metrics`)).text();
      return body.includes('worker="1"') && body.includes('worker="2"') ? body : undefined;
    });
    expect(text).toMatch(/pilms_lms_requests_requests\{worker="\d"\} \d/);
    expect(text).toMatch(/pilms_lms_cache_hits\{worker="\d"\} \d/);
    expect(await lms.stop()).toBe(0);
  }, 120_000);
});
