import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture, tempDir } from '../../../test/support/index.js';
import {
  CorruptMediaError,
  FfmpegError,
  MediaCancelledError,
  MediaLimitError,
  type MediaProgress,
  probe,
  transcodeVideo,
  UnsupportedFormatError,
} from '../src/index.js';
import { makeClip } from './clips.js';

let clips: string;
let clip: string;

beforeAll(async () => {
  clips = await tempDir();
  clip = makeClip(clips, 'clip.mp4');
});

describe('probe', () => {
  it('returns typed duration, streams, codecs and dimensions', async () => {
    const info = await probe(fixture('video-1080p-60fps-2s.mp4'));
    expect(info.durationSec).toBeCloseTo(2.02, 1);
    expect(info.video).toMatchObject({ kind: 'video', codec: 'h264', width: 1920, height: 1080, fps: 60 });
    expect(info.audio).toMatchObject({ kind: 'audio', codec: 'aac', sampleRate: 48000, channels: 6 });
    expect(info.container).toContain('mp4');
  });

  it('reports an unreadable file as corrupt', async () => {
    await expect(probe(fixture('truncated.jpg').replace('truncated.jpg', 'SOURCES.md'))).rejects.toBeInstanceOf(
      CorruptMediaError,
    );
  });
});

describe('transcodeVideo', () => {
  it('writes a faststart h264 High MP4 with AAC, a poster, thumbnails and progress events', async () => {
    const outDir = await tempDir();
    const events: (MediaProgress & { stage: string })[] = [];
    const result = await transcodeVideo(clip, { outDir, onProgress: (p) => events.push(p) });
    expect(result.mp4).toMatchObject({ width: 320, height: 240, profile: 'High' });
    const out = await probe(join(result.dir, result.mp4.file));
    expect(out.video?.codec).toBe('h264');
    expect(out.audio?.codec).toBe('aac');
    const head = (await readFile(join(result.dir, 'video.mp4'))).subarray(0, 4096).toString('latin1');
    expect(head.indexOf('moov')).toBeGreaterThan(-1);
    expect(head.indexOf('moov')).toBeLessThan(head.indexOf('mdat') === -1 ? 4096 : head.indexOf('mdat'));
    expect(result.poster).toBe('poster.jpg');
    expect(result.thumbnails).toEqual(['thumb-1.jpg', 'thumb-2.jpg', 'thumb-3.jpg']);
    expect((await readdir(result.dir)).sort()).toEqual(
      ['manifest.json', 'poster.jpg', 'thumb-1.jpg', 'thumb-2.jpg', 'thumb-3.jpg', 'video.mp4'].sort(),
    );
    expect(events.at(-1)).toMatchObject({ stage: 'mp4', percent: 100, etaSec: 0 });
    expect(events.every((e) => e.percent >= 0 && e.percent <= 100 && e.fps >= 0)).toBe(true);
    const again = await transcodeVideo(clip, { outDir });
    expect(again.cached).toBe(true);
  });

  it('scales a 1080p60 source into the box keeping its aspect ratio and never upscales', async () => {
    const outDir = await tempDir();
    const result = await transcodeVideo(fixture('video-1080p-60fps-2s.mp4'), {
      outDir,
      maxWidth: 640,
      maxHeight: 640,
      thumbnails: 0,
      poster: false,
      preset: 'ultrafast',
      rateControl: 'target',
      bitrateKbps: 600,
    });
    expect(result.mp4).toMatchObject({ width: 640, height: 360 });
    expect(result.source).toMatchObject({ width: 1920, height: 1080, hasAudio: true });
  });

  it('writes HLS renditions and a master playlist', async () => {
    const outDir = await tempDir();
    const result = await transcodeVideo(clip, { outDir, hlsHeights: [120, 240, 720], thumbnails: 0 });
    expect(result.hls?.renditions.map((r) => r.height)).toEqual([120, 240]);
    const master = await readFile(join(result.dir, result.hls?.master ?? ''), 'utf8');
    expect(master).toContain('#EXT-X-STREAM-INF');
    expect(master).toContain('0/index.m3u8');
    expect(master).toContain('1/index.m3u8');
    const playlist = await readFile(join(result.dir, 'hls/1/index.m3u8'), 'utf8');
    expect(playlist).toContain('#EXT-X-ENDLIST');
  });

  it('transcodes a video without an audio track', async () => {
    const outDir = await tempDir();
    const result = await transcodeVideo(fixture('Big_Buck_Bunny_180_10s.webm'), {
      outDir,
      thumbnails: 1,
      preset: 'ultrafast',
    });
    expect(result.source).toMatchObject({ codec: 'vp9', hasAudio: false });
    const out = await probe(join(result.dir, result.mp4.file));
    expect(out.audio).toBeUndefined();
    expect(out.video?.codec).toBe('h264');
  });
});

describe('transcodeVideo with bad input and faults', () => {
  it('rejects a truncated MP4 as corrupt and writes nothing', async () => {
    const outDir = await tempDir();
    const whole = makeClip(clips, 'moov-at-end.mp4', { seconds: 1, faststart: false });
    const bytes = await readFile(whole);
    const truncated = join(clips, 'truncated.mp4');
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expect(transcodeVideo(truncated, { outDir })).rejects.toBeInstanceOf(CorruptMediaError);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('rejects a zero-byte file and a text file by content', async () => {
    const outDir = await tempDir();
    const empty = join(clips, 'empty.mp4');
    await writeFile(empty, '');
    await expect(transcodeVideo(empty, { outDir })).rejects.toBeInstanceOf(CorruptMediaError);
    const text = join(clips, 'notes.mp4');
    await writeFile(text, 'lecture notes, not a video\n');
    await expect(transcodeVideo(text, { outDir })).rejects.toBeInstanceOf(UnsupportedFormatError);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('rejects a clip longer than maxDurationSec before encoding', async () => {
    const outDir = await tempDir();
    const error = await transcodeVideo(clip, { outDir, limits: { maxDurationSec: 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaLimitError);
    expect(error).toMatchObject({ limit: 'maxDurationSec', max: 1 });
    expect(await readdir(outDir)).toEqual([]);
  });

  it('fails cleanly when ffmpeg is killed mid-encode, leaving no partial output', async () => {
    const outDir = await tempDir();
    const error = await transcodeVideo(clip, {
      outDir,
      onSpawn: (pid) => process.kill(pid, 'SIGKILL'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegError);
    expect((error as FfmpegError).signal).toBe('SIGKILL');
    expect(await readdir(outDir)).toEqual([]);
  });

  it('stops and cleans up when cancelled through its AbortSignal', async () => {
    const outDir = await tempDir();
    const controller = new AbortController();
    const error = await transcodeVideo(clip, {
      outDir,
      signal: controller.signal,
      onSpawn: () => controller.abort(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaCancelledError);
    expect(await readdir(outDir)).toEqual([]);
  });
});
