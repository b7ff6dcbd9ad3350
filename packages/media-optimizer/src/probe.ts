import { CorruptMediaError, FfmpegError } from './errors.js';
import { type ProcessOptions, runTool } from './ffmpeg.js';

/** A video stream as reported by ffprobe. */
export interface VideoStreamInfo {
  kind: 'video';
  index: number;
  codec: string;
  width: number;
  height: number;
  /** Frames per second, or 0 when unknown. */
  fps: number;
  /** Display rotation in degrees (phone videos), 0 when none. */
  rotation: number;
  pixelFormat: string | null;
  profile: string | null;
}

/** An audio stream as reported by ffprobe. */
export interface AudioStreamInfo {
  kind: 'audio';
  index: number;
  codec: string;
  sampleRate: number;
  channels: number;
  profile: string | null;
}

/** What {@link probe} returns. */
export interface MediaInfo {
  /** Container name(s) from ffprobe, e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
  container: string;
  durationSec: number;
  /** Overall bitrate in bit/s, 0 when unknown. */
  bitRate: number;
  sizeBytes: number;
  streams: (VideoStreamInfo | AudioStreamInfo)[];
  /** The first video stream, if any. */
  video: VideoStreamInfo | undefined;
  /** The first audio stream, if any. */
  audio: AudioStreamInfo | undefined;
}

interface RawStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  pix_fmt?: string;
  sample_rate?: string;
  channels?: number;
  tags?: { rotate?: string };
  side_data_list?: { rotation?: number }[];
}

interface RawProbe {
  format?: { format_name?: string; duration?: string; bit_rate?: string; size?: string };
  streams?: RawStream[];
}

/** Reads duration, streams, codecs and dimensions with `ffprobe -print_format json`. */
export async function probe(
  input: string,
  options: Pick<ProcessOptions, 'ffprobePath' | 'signal'> = {},
): Promise<MediaInfo> {
  let stdout: string;
  try {
    ({ stdout } = await runTool(
      'ffprobe',
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', input],
      options,
    ));
  } catch (error) {
    if (error instanceof FfmpegError && error.exitCode !== null) {
      throw new CorruptMediaError(`ffprobe could not read it (${error.stderrTail.split('\n')[0] ?? ''})`, {
        cause: error,
      });
    }
    throw error;
  }
  return toMediaInfo(JSON.parse(stdout) as RawProbe);
}

function toMediaInfo(raw: RawProbe): MediaInfo {
  const streams: (VideoStreamInfo | AudioStreamInfo)[] = [];
  for (const s of raw.streams ?? []) {
    if (s.codec_type === 'video' && s.width && s.height) {
      streams.push({
        kind: 'video',
        index: s.index ?? 0,
        codec: s.codec_name ?? 'unknown',
        width: s.width,
        height: s.height,
        fps: parseRate(s.avg_frame_rate) || parseRate(s.r_frame_rate),
        rotation:
          Math.abs(Number(s.tags?.rotate ?? s.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? 0)) %
          360,
        pixelFormat: s.pix_fmt ?? null,
        profile: s.profile ?? null,
      });
    } else if (s.codec_type === 'audio') {
      streams.push({
        kind: 'audio',
        index: s.index ?? 0,
        codec: s.codec_name ?? 'unknown',
        sampleRate: Number(s.sample_rate ?? 0),
        channels: s.channels ?? 0,
        profile: s.profile ?? null,
      });
    }
  }
  const number = (value: string | undefined) => (Number.isFinite(Number(value)) ? Number(value) : 0);
  return {
    container: raw.format?.format_name ?? 'unknown',
    durationSec: number(raw.format?.duration),
    bitRate: number(raw.format?.bit_rate),
    sizeBytes: number(raw.format?.size),
    streams,
    video: streams.find((s): s is VideoStreamInfo => s.kind === 'video'),
    audio: streams.find((s): s is AudioStreamInfo => s.kind === 'audio'),
  };
}

function parseRate(rate: string | undefined): number {
  const [num, den] = (rate ?? '0/0').split('/').map(Number);
  return num && den ? num / den : 0;
}
