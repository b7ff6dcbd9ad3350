import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/support/index.js';
import {
  CorruptMediaError,
  InvalidOptionError,
  parseLoudnorm,
  probe,
  runFfmpeg,
  transcodeAudio,
} from '../src/index.js';
import { makeClip, makeWav } from './clips.js';

let clips: string;

beforeAll(async () => {
  clips = await tempDir();
});

async function measureLoudness(file: string): Promise<number> {
  const { stderr } = await runFfmpeg(['-i', file, '-af', 'loudnorm=print_format=json', '-f', 'null', '-']);
  return parseLoudnorm(stderr)?.inputI ?? Number.NEGATIVE_INFINITY;
}

describe('transcodeAudio', () => {
  it('normalises a quiet recording to the loudness target in two passes and encodes AAC 128k', async () => {
    const outDir = await tempDir();
    const quiet = makeWav(clips, 'quiet.wav', 'quiet-tone', 3);
    const stages = new Set<string>();
    const result = await transcodeAudio(quiet, { outDir, onProgress: (p) => stages.add(p.stage) });
    expect(result.measured?.inputI).toBeLessThan(-30);
    const out = join(result.dir, result.file);
    const info = await probe(out);
    expect(info.audio).toMatchObject({ codec: 'aac', sampleRate: 48000, channels: 2 });
    expect(Math.abs((await measureLoudness(out)) - -16)).toBeLessThan(2);
    expect([...stages]).toEqual(['measure', 'encode']);
  });

  it('writes mono at the requested sample rate from a video soundtrack', async () => {
    const outDir = await tempDir();
    const clip = makeClip(clips, 'talk.mp4', { seconds: 1 });
    const result = await transcodeAudio(clip, { outDir, channels: 1, sampleRate: 44100 });
    const info = await probe(join(result.dir, result.file));
    expect(info.audio).toMatchObject({ channels: 1, sampleRate: 44100 });
    expect(info.video).toBeUndefined();
  });

  it('keeps silence silent instead of failing on its -inf loudness', async () => {
    const outDir = await tempDir();
    const silence = makeWav(clips, 'silence.wav', 'silence', 2);
    const result = await transcodeAudio(silence, { outDir });
    expect(result.measured).toBeNull();
    expect((await probe(join(result.dir, result.file))).durationSec).toBeGreaterThan(1.5);
  });

  it('rejects a video without an audio track and writes nothing', async () => {
    const outDir = await tempDir();
    const mute = makeClip(clips, 'mute.mp4', { seconds: 1, audio: 'none' });
    await expect(transcodeAudio(mute, { outDir })).rejects.toBeInstanceOf(CorruptMediaError);
    expect(await readdir(outDir)).toEqual([]);
  });

  it('validates the loudness target', async () => {
    const outDir = await tempDir();
    await expect(transcodeAudio(join(clips, 'x.wav'), { outDir, loudnessI: 3 })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
  });
});
