import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { probe } from '@pilms/media-optimizer';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fixture, requireFfmpeg, tempDir } from '../../../test/support/index.js';
import { buildApp, type LmsApp } from '../src/app.js';
import { avDefaults, createAvUploads, transcodeLessonMedia } from '../src/av.js';
import { loadConfig } from '../src/config.js';
import { openDb } from '../src/db.js';
import { seededDataDir } from './seeded.js';

const form = { 'content-type': 'application/x-www-form-urlencoded' };
let lms: LmsApp;
let dir = '';
let cookie = '';
let video = '';
let audio = '';

beforeAll(async () => {
  requireFfmpeg();
  dir = await seededDataDir('pilms-lms-media-');
  lms = buildApp(loadConfig({ DATA_DIR: dir }));
  cookie = await login('student1@school.test', 'student-demo');
  const lesson2 = (await lms.app.inject({ url: '/lessons/2', headers: { cookie } })).body;
  const lesson4 = (await lms.app.inject({ url: '/lessons/4', headers: { cookie } })).body;
  video = /<video [^>]*src="([^"]+)"/.exec(lesson2)?.[1] ?? '';
  audio = /<audio [^>]*src="([^"]+)"/.exec(lesson4)?.[1] ?? '';
}, 60_000);

afterAll(async () => {
  await lms?.close();
});

async function login(email: string, password: string): Promise<string> {
  const reply = await lms.app.inject({
    method: 'POST',
    url: '/login',
    headers: form,
    payload: new URLSearchParams({ email, password }).toString(),
  });
  return String(reply.headers['set-cookie']).split(';')[0] as string;
}

async function csrfOf(session: string): Promise<string> {
  const home = await lms.app.inject({ url: '/', headers: { cookie: session } });
  return /name="_csrf" value="([^"]+)"/.exec(home.body)?.[1] ?? '';
}

async function upload(bytes: Buffer, type: string, session: string, headers: Record<string, string> = {}) {
  return lms.app.inject({
    method: 'POST',
    url: '/teacher/media',
    headers: { cookie: session, 'content-type': type, 'x-csrf-token': await csrfOf(session), ...headers },
    payload: bytes,
  });
}

const onDisk = (url: string) => join(dir, 'media', url.slice('/media/'.length));

describe('video and audio lessons', () => {
  it('renders the seeded video and audio lessons as players that only preload metadata', async () => {
    expect(video).toMatch(/^\/media\/av\/[0-9a-f]{64}\/video\.mp4$/);
    expect(audio).toMatch(/^\/media\/av\/[0-9a-f]{64}\/audio\.m4a$/);
    const lesson = (await lms.app.inject({ url: '/lessons/2', headers: { cookie } })).body;
    expect(lesson).toMatch(/<video controls preload="metadata" playsinline src="[^"]+" poster="[^"]+poster\.jpg"/);
    expect(lesson).toContain('aria-label="Big Buck Bunny (video), Blender Foundation, CC BY 3.0"');
    expect((await lms.app.inject({ url: '/lessons/4', headers: { cookie } })).body).toMatch(
      /<audio controls preload="metadata" src=/,
    );
  });

  it('stores the video as a faststart h264 MP4 and the audio as AAC', async () => {
    const mp4 = readFileSync(onDisk(video));
    // faststart: the index (moov) comes before the media data, so playback starts before the download ends.
    expect(mp4.indexOf('moov')).toBeGreaterThan(0);
    expect(mp4.indexOf('moov')).toBeLessThan(mp4.indexOf('mdat'));
    const info = await probe(onDisk(video));
    expect([info.video?.codec, info.video?.width, info.video?.height]).toEqual(['h264', 320, 180]);
    expect(Math.round(info.durationSec)).toBe(10);
    const sound = await probe(onDisk(audio));
    expect([sound.video, sound.audio?.codec]).toEqual([undefined, 'aac']);
  });

  it('answers Range requests for the first bytes, the middle and a suffix with 206 and the exact bytes', async () => {
    const bytes = readFileSync(onDisk(video));
    const size = bytes.length;
    const cases = [
      { range: 'bytes=0-99', start: 0, end: 99 },
      { range: 'bytes=1000-1999', start: 1000, end: 1999 },
      { range: 'bytes=-500', start: size - 500, end: size - 1 },
      { range: `bytes=${size - 10}-`, start: size - 10, end: size - 1 },
    ];
    for (const { range, start, end } of cases) {
      const reply = await lms.app.inject({ url: video, headers: { range } });
      expect([range, reply.statusCode]).toEqual([range, 206]);
      expect(reply.headers['content-range']).toBe(`bytes ${start}-${end}/${size}`);
      expect(reply.headers['accept-ranges']).toBe('bytes');
      expect(reply.headers['content-type']).toBe('video/mp4');
      expect(Buffer.compare(reply.rawPayload, bytes.subarray(start, end + 1))).toBe(0);
    }
    const whole = await lms.app.inject({ url: video });
    expect([whole.statusCode, whole.rawPayload.length, whole.headers['accept-ranges']]).toEqual([200, size, 'bytes']);
  });

  it('refuses ranges outside the file or malformed with 416 and the file size', async () => {
    const size = readFileSync(onDisk(video)).length;
    for (const range of [`bytes=${size}-`, 'bytes=500-100', 'bytes=-0', 'bytes=x-y']) {
      const reply = await lms.app.inject({ url: video, headers: { range } });
      expect([range, reply.statusCode]).toEqual([range, 416]);
      expect(reply.headers['content-range']).toBe(`bytes */${size}`);
    }
  });

  it('serves nothing outside the video directory, whatever the encoding', async () => {
    for (const path of [
      '..%2Flms.sqlite',
      '..%2F..%2Fmedia%2F..%2Flms.sqlite',
      '%2e%2e/lms.sqlite',
      '....//lms.sqlite',
    ]) {
      const reply = await lms.app.inject({ url: `/media/av/${path}` });
      // A `..` the URL parser resolves lands on the signed-in-only originals route, which sends to the login.
      expect([path, [303, 400, 404].includes(reply.statusCode)]).toEqual([path, true]);
      expect(reply.body).not.toContain('SQLite');
    }
    expect((await lms.app.inject({ url: '/media/av', headers: { cookie } })).statusCode).toBe(404);
  });
});

describe('teacher video and audio upload', () => {
  it('transcodes an uploaded video in the background and reports its progress until done', async () => {
    const teacher = await login('teacher1@school.test', 'teacher-demo');
    const started = await upload(readFileSync(fixture('video-1080p-60fps-2s.mp4')), 'video/mp4', teacher);
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ status: 'processing', progress: 0 });
    const seen: number[] = [];
    const job = await vi.waitFor(
      async () => {
        const current = (
          await lms.app.inject({ url: `/teacher/media/jobs/${started.json().id}`, headers: { cookie: teacher } })
        ).json();
        seen.push(current.progress);
        if (current.status === 'processing') throw new Error(`at ${current.progress}%`);
        return current;
      },
      { timeout: 60_000, interval: 50 },
    );
    expect(job).toMatchObject({ status: 'done', progress: 100, error: null });
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    const src = /^!\[Video\]\((\/media\/av\/[0-9a-f]{64}\/video\.mp4)\)$/.exec(job.markdown)?.[1] as string;
    const info = await probe(onDisk(src));
    expect([info.video?.codec, info.video?.height, info.audio?.codec]).toEqual(['h264', 480, 'aac']);
    expect((await lms.app.inject({ url: src, headers: { range: 'bytes=0-7' } })).statusCode).toBe(206);
  });

  it('refuses bytes that are not video or audio, whatever the content type says, keeping no file and no job', async () => {
    const teacher = await login('teacher1@school.test', 'teacher-demo');
    const jobs = () => lms.db.prepare('SELECT count(*) FROM media_jobs').pluck().get();
    const files = () => readdirSync(join(dir, 'media')).length;
    const [jobsBefore, filesBefore] = [jobs(), files()];
    const reply = await upload(Buffer.from('#!/bin/sh\necho not a video\n'.repeat(10)), 'video/mp4', teacher);
    expect(reply.statusCode).toBe(415);
    expect([jobs(), files()]).toEqual([jobsBefore, filesBefore]);
  });

  it('refuses an upload declared larger than the limit before reading it, and uploads by students', async () => {
    const teacher = await login('teacher1@school.test', 'teacher-demo');
    const huge = { 'content-length': String(avDefaults.maxUploadBytes + 1) };
    const reply = await upload(Buffer.alloc(1024), 'video/mp4', teacher, huge);
    expect(reply.statusCode).toBe(413);
    const student = await login('student2@school.test', 'student-demo');
    expect((await upload(readFileSync(fixture('Big_Buck_Bunny_180_10s.webm')), 'video/webm', student)).statusCode).toBe(
      403,
    );
  });
});

describe('video jobs across restarts', () => {
  it('resumes at start the jobs handed back at shutdown or owned by a killed process', async () => {
    const teacher = await login('teacher2@school.test', 'teacher-demo');
    const started = await upload(readFileSync(fixture('Big_Buck_Bunny_180_10s.webm')), 'video/webm', teacher);
    expect(started.statusCode).toBe(202);
    const handedBack = started.json().id as string;
    const original = started.json().name as string;
    expect(original).toMatch(/^upload-[\w-]+\.webm$/);
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    lms.db
      .prepare(
        "INSERT INTO media_jobs (id, status, name, progress, owner, source) VALUES ('orphan', 'processing', ?, 40, ?, ?)",
      )
      .run(original, `${dead}:0000`, original);
    await lms.close();
    expect(lms.db.open).toBe(false);
    const read = openDb(dir, true);
    // Closed right after the 202: ffmpeg was killed and the job handed back, not failed.
    const rows = read.prepare("SELECT id, status, owner FROM media_jobs WHERE id IN (?, 'orphan')").all(handedBack);
    read.close();
    expect(rows).toHaveLength(2);
    expect(rows).toEqual(
      expect.arrayContaining([
        { id: handedBack, status: 'processing', owner: null },
        { id: 'orphan', status: 'processing', owner: `${dead}:0000` },
      ]),
    );

    lms = buildApp(loadConfig({ DATA_DIR: dir }));
    for (const id of [handedBack, 'orphan']) {
      const job = await vi.waitFor(
        () => {
          const row = lms.db.prepare('SELECT status, progress, markdown, owner FROM media_jobs WHERE id = ?').get(id);
          if ((row as { status: string }).status === 'processing') throw new Error('still processing');
          return row;
        },
        { timeout: 60_000, interval: 50 },
      );
      expect(job).toMatchObject({
        status: 'done',
        progress: 100,
        owner: null,
        markdown: expect.stringMatching(/video\.mp4\)$/),
      });
    }
    const served = await lms.app.inject({
      url: `/media/${original}`,
      headers: { cookie: await login('teacher2@school.test', 'teacher-demo') },
    });
    expect([served.statusCode, served.headers['content-type']]).toEqual([200, 'video/webm']);
  });
});

describe('video/audio upload limits', () => {
  it('stops reading a stream that passes the limit without declaring its size, keeping no file and no job', async () => {
    const data = await tempDir('pilms-lms-av-limit-');
    const db = openDb(data, true);
    const media = join(data, 'media');
    mkdirSync(media);
    const uploads = createAvUploads(db, media, { maxUploadBytes: 64 * 1024 });
    try {
      const header = readFileSync(fixture('Big_Buck_Bunny_180_10s.webm')).subarray(0, 16 * 1024);
      const body = Readable.from([header, Buffer.alloc(32 * 1024), Buffer.alloc(32 * 1024)]);
      expect(await uploads.start(body, 0)).toEqual({ refused: 'too-large' });
      expect(readdirSync(media)).toEqual([]);
      expect(db.prepare('SELECT count(*) FROM media_jobs').pluck().get()).toBe(0);
      expect(() => createAvUploads(db, media, { maxUploadBytes: 0 })).toThrow(
        'Expected `maxUploadBytes` to be an integer >= 1, got 0',
      );
    } finally {
      await uploads.close();
      db.close();
    }
  });
});

describe('lesson media transcoding', () => {
  it('reports progress from 0 to 100 in order over both audio passes', async () => {
    const out = await tempDir('pilms-lms-av-');
    const events: number[] = [];
    const asset = await transcodeLessonMedia(fixture('video-1080p-60fps-2s.mp4'), out, {
      kind: 'audio',
      onProgress: (percent) => events.push(percent),
    });
    expect(asset).toMatchObject({ kind: 'audio', poster: null });
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events).toEqual([...events].sort((a, b) => a - b));
    expect(events.at(-1)).toBe(100);
    expect(events.some((p) => p >= 50)).toBe(true);
  });
});
