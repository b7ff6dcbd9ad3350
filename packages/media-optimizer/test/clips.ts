import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { requireFfmpeg } from '../../../test/support/index.js';

/** Makes a tiny clip with ffmpeg's lavfi sources (test pattern and a tone), so tests stay fast. */
export function makeClip(
  dir: string,
  name: string,
  { seconds = 2, size = '320x240', audio = 'sine' as 'sine' | 'none', faststart = true } = {},
): string {
  const { ffmpeg } = requireFfmpeg();
  const out = join(dir, name);
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=25:duration=${seconds}`,
  ];
  if (audio === 'sine') args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p');
  if (audio === 'sine') args.push('-c:a', 'aac', '-shortest');
  if (faststart) args.push('-movflags', '+faststart');
  args.push(out);
  const run = spawnSync(ffmpeg, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`could not make ${name}: ${run.stderr}`);
  return out;
}

/** Makes a WAV with lavfi: a quiet tone, or digital silence. */
export function makeWav(dir: string, name: string, source: 'quiet-tone' | 'silence', seconds = 2): string {
  const { ffmpeg } = requireFfmpeg();
  const out = join(dir, name);
  const input =
    source === 'silence'
      ? `anullsrc=channel_layout=stereo:sample_rate=44100:duration=${seconds}`
      : `sine=frequency=300:sample_rate=44100:duration=${seconds},volume=0.05`;
  const run = spawnSync(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', input, '-t', String(seconds), out],
    {
      encoding: 'utf8',
    },
  );
  if (run.status !== 0) throw new Error(`could not make ${name}: ${run.stderr}`);
  return out;
}
