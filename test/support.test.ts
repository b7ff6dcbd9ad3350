import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { launchChromium, MissingToolError, requireFfmpeg, requireTool, startRedis, tempDir } from './support/index.js';

describe('test support', () => {
  it('provides a real shared redis-server to every test file', async () => {
    const client = new Redis(inject('redisUrl'), { lazyConnect: true });
    await client.connect();
    await client.set('support:probe', 'ok');
    expect(await client.get('support:probe')).toBe('ok');
    expect((await client.info('server')).includes('redis_version')).toBe(true);
    client.disconnect();
  });

  it('starts a private redis-server that can be killed and restarted on the same port', async () => {
    const redis = await startRedis();
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await client.connect();
    await client.set('k', 'v');
    client.disconnect();
    await redis.kill();
    const refused = await new Promise<NodeJS.ErrnoException>((resolve) =>
      connect(redis.port, '127.0.0.1').once('error', resolve),
    );
    expect(refused.code).toBe('ECONNREFUSED');
    await redis.start();
    const again = new Redis(redis.url, { lazyConnect: true });
    await again.connect();
    // The server keeps nothing on disk, so a crash really loses its data.
    expect(await again.get('k')).toBeNull();
    again.disconnect();
    await redis.stop();
  });

  it('finds ffmpeg and ffprobe, which encode and probe a real file', async () => {
    const { ffmpeg, ffprobe } = requireFfmpeg();
    const out = join(await tempDir(), 'tone.m4a');
    execFileSync(ffmpeg, ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', '-c:a', 'aac', out]);
    const probe = JSON.parse(
      execFileSync(ffprobe, ['-v', 'error', '-print_format', 'json', '-show_streams', out], { encoding: 'utf8' }),
    ) as { streams: { codec_name: string }[] };
    expect(probe.streams[0]?.codec_name).toBe('aac');
  });

  it('names the setup command when a tool is missing', () => {
    expect(() => requireTool('pilms-no-such-tool')).toThrow(MissingToolError);
    expect(() => requireTool('pilms-no-such-tool')).toThrow(/npm run setup/);
  });

  it('drives headless Debian chromium through playwright-core', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<title>probe</title><button onclick="this.textContent=\'clicked\'">click me</button>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const chromium = await launchChromium();
    try {
      const page = await chromium.context.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.click('button');
      expect(await page.textContent('button')).toBe('clicked');
      expect(await page.title()).toBe('probe');
    } finally {
      await chromium.close();
      server.close();
    }
  });
});
