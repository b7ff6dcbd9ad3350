import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { defaults } from './defaults.js';
import { CorruptMediaError, InvalidOptionError } from './errors.js';
import { type ProcessOptions, type RunFfmpegOptions, runFfmpeg, runTool } from './ffmpeg.js';
import { buildMediaAsset, type MediaJobOptions, stageOptions } from './media-input.js';
import { type MediaInfo, probe } from './probe.js';
import { assertNumber, assertOneOf } from './validate.js';

/** Stages reported by {@link transcodeVideo}'s progress events. */
export type VideoStage = 'mp4' | 'hls';

/** Options of {@link transcodeVideo}. */
export interface TranscodeVideoOptions extends MediaJobOptions<VideoStage> {
  /** Bounding box of the output; never upscaled, aspect kept. Default 1920x1080. */
  maxWidth?: number;
  maxHeight?: number;
  /** x264 preset. Default `'veryfast'` (a slow-CPU choice; `medium` is ~2-3x slower for ~10 % smaller files). */
  preset?: 'ultrafast' | 'superfast' | 'veryfast' | 'faster' | 'fast' | 'medium' | 'slow';
  /** `'capped-crf'` (CRF with a maxrate cap) or `'target'` (average bitrate). Default `'capped-crf'`. */
  rateControl?: 'capped-crf' | 'target';
  /** x264 CRF (0-51). Default 23. */
  crf?: number;
  /** Cap or target in kbit/s; bufsize is twice this. Default 1500. */
  bitrateKbps?: number;
  /** AAC bitrate in kbit/s. Default 128. */
  audioBitrateKbps?: number;
  /** Also write HLS renditions at these heights (each <= the output height) and a master playlist. Default: none. */
  hlsHeights?: readonly number[];
  /** Write `poster.jpg`. Default `true`. */
  poster?: boolean;
  /** Number of thumbnails spread over the clip. Default 3. */
  thumbnails?: number;
}

/** What is stored in a video asset's `manifest.json`. */
export interface VideoManifest {
  kind: 'video';
  hash: string;
  source: { container: string; codec: string; width: number; height: number; durationSec: number; hasAudio: boolean };
  mp4: { file: string; width: number; height: number; bytes: number; bitrateKbps: number; profile: string | null };
  poster: string | null;
  thumbnails: string[];
  hls: { master: string; renditions: { height: number; bitrateKbps: number; playlist: string }[] } | null;
}

/** What {@link transcodeVideo} returns. */
export interface VideoResult extends VideoManifest {
  dir: string;
  cached: boolean;
}

const presets = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'] as const;

function resolveVideoSettings(options: TranscodeVideoOptions) {
  const v = defaults.video;
  const settings = {
    maxWidth: options.maxWidth ?? v.maxWidth,
    maxHeight: options.maxHeight ?? v.maxHeight,
    preset: options.preset ?? v.preset,
    rateControl: options.rateControl ?? v.rateControl,
    crf: options.crf ?? v.crf,
    bitrateKbps: options.bitrateKbps ?? v.bitrateKbps,
    audioBitrateKbps: options.audioBitrateKbps ?? v.audioBitrateKbps,
    hlsHeights: [...(options.hlsHeights ?? [])].sort((a, b) => a - b),
    poster: options.poster ?? true,
    thumbnails: options.thumbnails ?? v.thumbnails,
  };
  assertNumber('maxWidth', settings.maxWidth, 16, true);
  assertNumber('maxHeight', settings.maxHeight, 16, true);
  assertOneOf('preset', settings.preset, presets);
  assertOneOf('rateControl', settings.rateControl, ['capped-crf', 'target']);
  assertNumber('crf', settings.crf, 0, true);
  if (settings.crf > 51) throw new InvalidOptionError('crf', 'an integer between 0 and 51', settings.crf);
  assertNumber('bitrateKbps', settings.bitrateKbps, 100, true);
  assertNumber('audioBitrateKbps', settings.audioBitrateKbps, 16, true);
  assertNumber('thumbnails', settings.thumbnails, 0, true);
  for (const [i, h] of settings.hlsHeights.entries()) assertNumber(`hlsHeights[${i}]`, h, 16, true);
  return settings;
}

type VideoSettings = ReturnType<typeof resolveVideoSettings>;

/** Output size inside the box, aspect kept, never upscaled, even for yuv420p. */
export function fitBox(width: number, height: number, maxWidth: number, maxHeight: number): [number, number] {
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  const even = (n: number) => Math.max(2, Math.round((n * scale) / 2) * 2);
  return [even(width), even(height)];
}

function rateArgs(settings: VideoSettings, kbps: number, stream = ''): string[] {
  const quality =
    settings.rateControl === 'capped-crf' ? ['-crf', String(settings.crf)] : [`-b:v${stream}`, `${kbps}k`];
  return [...quality, `-maxrate${stream}`, `${kbps}k`, `-bufsize${stream}`, `${kbps * 2}k`];
}

const h264 = (preset: string) => ['-c:v', 'libx264', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-preset', preset];

function audioArgs(settings: VideoSettings): string[] {
  return ['-c:a', 'aac', '-b:a', `${settings.audioBitrateKbps}k`, '-ac', '2'];
}

/**
 * Transcodes a video to a web MP4 (h264 High, AAC, `+faststart`), with a poster, thumbnails and
 * optional HLS renditions, stored content-addressed under `outDir`. ffmpeg runs as a child process
 * (niced and pinned when asked), so the web process never blocks on the encode.
 */
export async function transcodeVideo(input: string, options: TranscodeVideoOptions): Promise<VideoResult> {
  const settings = resolveVideoSettings(options);
  return buildMediaAsset(input, options, { kind: 'video', ...settings }, async ({ info, tempDir, hash }) => {
    const video = info.video;
    if (!video) throw new CorruptMediaError('it has no video stream');
    const rotated = video.rotation === 90 || video.rotation === 270;
    const [srcW, srcH] = rotated ? [video.height, video.width] : [video.width, video.height];
    const [width, height] = fitBox(srcW, srcH, settings.maxWidth, settings.maxHeight);
    const hasAudio = info.audio !== undefined;
    const mp4 = join(tempDir, 'video.mp4');
    await runFfmpeg(
      [
        '-i',
        input,
        '-map',
        '0:v:0',
        ...(hasAudio ? ['-map', '0:a:0'] : []),
        '-vf',
        `scale=${width}:${height},setsar=1`,
        ...h264(settings.preset),
        ...rateArgs(settings, settings.bitrateKbps),
        ...(hasAudio ? audioArgs(settings) : []),
        '-movflags',
        '+faststart',
        mp4,
      ],
      stageOptions(options, 'mp4', info.durationSec),
    );
    const out = await probe(mp4, options);
    const bytes = (await stat(mp4)).size;
    const poster = settings.poster
      ? await grabFrame(mp4, info.durationSec * 0.1, join(tempDir, 'poster.jpg'), width, options)
      : null;
    const thumbnails: string[] = [];
    for (let i = 0; i < settings.thumbnails; i += 1) {
      const at = (info.durationSec * (i + 0.5)) / settings.thumbnails;
      thumbnails.push(await grabFrame(mp4, at, join(tempDir, `thumb-${i + 1}.jpg`), Math.min(320, width), options));
    }
    const hls =
      settings.hlsHeights.length > 0
        ? await writeHls(
            input,
            info,
            settings,
            tempDir,
            height,
            hasAudio,
            stageOptions(options, 'hls', info.durationSec),
          )
        : null;
    return {
      kind: 'video' as const,
      hash,
      source: {
        container: info.container,
        codec: video.codec,
        width: srcW,
        height: srcH,
        durationSec: info.durationSec,
        hasAudio,
      },
      mp4: {
        file: 'video.mp4',
        width: out.video?.width ?? width,
        height: out.video?.height ?? height,
        bytes,
        bitrateKbps: Math.round(out.bitRate / 1000),
        profile: out.video?.profile ?? null,
      },
      poster: poster === null ? null : 'poster.jpg',
      thumbnails: thumbnails.map((_, i) => `thumb-${i + 1}.jpg`),
      hls,
    };
  });
}

async function grabFrame(
  mp4: string,
  atSec: number,
  file: string,
  width: number,
  options: ProcessOptions,
): Promise<string> {
  // -ss before -i seeks by keyframe index instead of decoding from the start.
  await runTool(
    'ffmpeg',
    [
      '-hide_banner',
      '-nostdin',
      '-y',
      '-ss',
      atSec.toFixed(3),
      '-i',
      mp4,
      '-frames:v',
      '1',
      '-an',
      '-vf',
      `scale=${width}:-2`,
      '-q:v',
      '3',
      file,
    ],
    options,
  );
  return file;
}

/** Bitrate of a rendition: the 1080p cap scaled by area^0.75, which tracks x264's needs better than area. */
function renditionKbps(height: number, settings: VideoSettings): number {
  return Math.max(200, Math.round(settings.bitrateKbps * (height / 1080) ** 1.5));
}

async function writeHls(
  input: string,
  info: MediaInfo,
  settings: VideoSettings,
  tempDir: string,
  outputHeight: number,
  hasAudio: boolean,
  options: RunFfmpegOptions,
): Promise<NonNullable<VideoManifest['hls']>> {
  const chosen = settings.hlsHeights.filter((h) => h <= outputHeight);
  const heights = chosen.length > 0 ? chosen : [outputHeight];
  const gop = String(Math.max(2, Math.round((info.video?.fps || 30) * 2)));
  const split = `[0:v]split=${heights.length}${heights.map((_, i) => `[s${i}]`).join('')};`;
  const scales = heights.map((h, i) => `[s${i}]scale=-2:${h},setsar=1[v${i}]`).join(';');
  const perStream = heights.flatMap((h, i) => [
    '-map',
    `[v${i}]`,
    ...(hasAudio ? ['-map', '0:a:0'] : []),
    ...rateArgs(settings, renditionKbps(h, settings), `:v:${i}`),
  ]);
  const varMap = heights.map((_, i) => (hasAudio ? `v:${i},a:${i}` : `v:${i}`)).join(' ');
  await runFfmpeg(
    [
      '-i',
      input,
      '-filter_complex',
      split + scales,
      ...perStream,
      ...h264(settings.preset),
      '-g',
      gop,
      '-keyint_min',
      gop,
      '-sc_threshold',
      '0',
      ...(hasAudio ? audioArgs(settings) : []),
      '-f',
      'hls',
      '-hls_time',
      String(defaults.video.hlsSegmentSec),
      '-hls_playlist_type',
      'vod',
      '-hls_segment_filename',
      join(tempDir, 'hls', '%v', 'seg%03d.ts'),
      '-master_pl_name',
      'master.m3u8',
      '-var_stream_map',
      varMap,
      join(tempDir, 'hls', '%v', 'index.m3u8'),
    ],
    options,
  );
  return {
    master: 'hls/master.m3u8',
    renditions: heights.map((h, i) => ({
      height: h,
      bitrateKbps: renditionKbps(h, settings),
      playlist: `hls/${i}/index.m3u8`,
    })),
  };
}
