import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { defaults } from './defaults.js';
import { CorruptMediaError, InvalidOptionError } from './errors.js';
import { runFfmpeg } from './ffmpeg.js';
import { buildMediaAsset, type MediaJobOptions, stageOptions } from './media-input.js';
import { assertNumber, assertOneOf } from './validate.js';

/** Stages reported by {@link transcodeAudio}'s progress events. */
export type AudioStage = 'measure' | 'encode';

/** Options of {@link transcodeAudio}. */
export interface TranscodeAudioOptions extends MediaJobOptions<AudioStage> {
  /** AAC bitrate in kbit/s. Default 128. */
  bitrateKbps?: number;
  /** Output sample rate in Hz. Default 48000 (what loudnorm works at). */
  sampleRate?: number;
  /** 1 (mono, voice recordings) or 2 (stereo). Default 2. */
  channels?: 1 | 2;
  /** Integrated loudness target in LUFS. Default -16 (speech on phones; -23 is EBU R128 broadcast). */
  loudnessI?: number;
  /** True-peak ceiling in dBTP. Default -1.5. */
  truePeak?: number;
  /** Loudness range target in LU. Default 11. */
  loudnessRange?: number;
}

/** Loudness measured by the first `loudnorm` pass. */
export interface LoudnessMeasurement {
  inputI: number;
  inputTP: number;
  inputLRA: number;
  inputThresh: number;
  targetOffset: number;
}

/** What is stored in an audio asset's `manifest.json`. */
export interface AudioManifest {
  kind: 'audio';
  hash: string;
  file: string;
  bytes: number;
  durationSec: number;
  sampleRate: number;
  channels: number;
  bitrateKbps: number;
  /** The first pass's measurement, or `null` for silence (nothing to normalise: it is copied as silence). */
  measured: LoudnessMeasurement | null;
  targetI: number;
}

/** What {@link transcodeAudio} returns. */
export interface AudioResult extends AudioManifest {
  dir: string;
  cached: boolean;
}

function resolveAudioSettings(options: TranscodeAudioOptions) {
  const a = defaults.audio;
  const settings = {
    bitrateKbps: options.bitrateKbps ?? a.bitrateKbps,
    sampleRate: options.sampleRate ?? a.sampleRate,
    channels: options.channels ?? a.channels,
    loudnessI: options.loudnessI ?? a.loudnessI,
    truePeak: options.truePeak ?? a.truePeak,
    loudnessRange: options.loudnessRange ?? a.loudnessRange,
  };
  assertNumber('bitrateKbps', settings.bitrateKbps, 16, true);
  assertNumber('sampleRate', settings.sampleRate, 8000, true);
  assertOneOf('channels', String(settings.channels), ['1', '2']);
  assertNumber('loudnessRange', settings.loudnessRange, 1);
  if (!(settings.loudnessI >= -70 && settings.loudnessI <= -5)) {
    throw new InvalidOptionError('loudnessI', 'a number of LUFS between -70 and -5', settings.loudnessI);
  }
  if (!(settings.truePeak >= -9 && settings.truePeak <= 0)) {
    throw new InvalidOptionError('truePeak', 'a number of dBTP between -9 and 0', settings.truePeak);
  }
  return settings;
}

/** Parses the JSON block `loudnorm=print_format=json` prints at the end of stderr. */
export function parseLoudnorm(stderr: string): LoudnessMeasurement | null {
  const start = stderr.lastIndexOf('{');
  const end = stderr.lastIndexOf('}');
  if (start < 0 || end < start) throw new CorruptMediaError('the loudness measurement pass printed no result');
  const raw = JSON.parse(stderr.slice(start, end + 1)) as Record<string, string>;
  const m = {
    inputI: Number(raw.input_i),
    inputTP: Number(raw.input_tp),
    inputLRA: Number(raw.input_lra),
    inputThresh: Number(raw.input_thresh),
    targetOffset: Number(raw.target_offset),
  };
  // Pure silence measures -inf LUFS: there is no loudness to correct, and loudnorm rejects -inf.
  return Object.values(m).every(Number.isFinite) ? m : null;
}

/**
 * Transcodes speech or music to AAC with two-pass EBU R128 loudness normalisation: pass one
 * measures, pass two applies the measured values (linear mode), so every recording plays
 * equally loud on students' phones.
 */
export async function transcodeAudio(input: string, options: TranscodeAudioOptions): Promise<AudioResult> {
  const s = resolveAudioSettings(options);
  return buildMediaAsset(input, options, { kind: 'audio', ...s }, async ({ info, tempDir, hash }) => {
    if (!info.audio) throw new CorruptMediaError('it has no audio stream');
    const target = `I=${s.loudnessI}:TP=${s.truePeak}:LRA=${s.loudnessRange}`;
    const { stderr } = await runFfmpeg(
      ['-i', input, '-map', '0:a:0', '-af', `loudnorm=${target}:print_format=json`, '-f', 'null', '-'],
      stageOptions(options, 'measure', info.durationSec),
    );
    const measured = parseLoudnorm(stderr);
    const filter = measured
      ? `loudnorm=${target}:measured_I=${measured.inputI}:measured_TP=${measured.inputTP}:measured_LRA=${measured.inputLRA}:measured_thresh=${measured.inputThresh}:offset=${measured.targetOffset}:linear=true,`
      : '';
    const file = join(tempDir, 'audio.m4a');
    await runFfmpeg(
      [
        '-i',
        input,
        '-map',
        '0:a:0',
        '-af',
        `${filter}aresample=${s.sampleRate}`,
        '-ar',
        String(s.sampleRate),
        '-ac',
        String(s.channels),
        '-c:a',
        'aac',
        '-b:a',
        `${s.bitrateKbps}k`,
        '-movflags',
        '+faststart',
        file,
      ],
      stageOptions(options, 'encode', info.durationSec),
    );
    return {
      kind: 'audio' as const,
      hash,
      file: 'audio.m4a',
      bytes: (await stat(file)).size,
      durationSec: info.durationSec,
      sampleRate: s.sampleRate,
      channels: s.channels,
      bitrateKbps: s.bitrateKbps,
      measured,
      targetI: s.loudnessI,
    };
  });
}
