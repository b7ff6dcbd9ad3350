import { spawn } from 'node:child_process';
import { FfmpegError, MediaCancelledError } from './errors.js';

/** One progress report parsed from ffmpeg's `-progress pipe:1` output. */
export interface MediaProgress {
  /** 0-100, from the output time over the probed duration; 100 when ffmpeg reports the end. */
  percent: number;
  /** Frames encoded per second (0 for audio). */
  fps: number;
  /** Encoding speed as a multiple of real time. */
  speed: number;
  /** Seconds left at the current speed, or `null` while unknown. */
  etaSec: number | null;
  /** Seconds of output written so far. */
  outTimeSec: number;
}

/** How ffmpeg children are started; shared by every encode. */
export interface ProcessOptions {
  /** Path of `ffmpeg`. Default `'ffmpeg'` (from PATH). */
  ffmpegPath?: string;
  /** Path of `ffprobe`. Default `'ffprobe'` (from PATH). */
  ffprobePath?: string;
  /** Run under `nice -n <level>` (0-19) so encodes yield to the web process. Default: not niced (the job queue passes 10). */
  nice?: number;
  /** Pin to these CPUs with `taskset -c`, e.g. `'0-3'` for the RK3588's A55 efficiency cores. Default: not pinned. */
  cpus?: string;
  /** Cancels the work: the child is killed and partial outputs removed. */
  signal?: AbortSignal;
  /** Receives ffmpeg's stderr line by line (for job logs). */
  onLog?: (line: string) => void;
  /** Called with the child's pid once it started (for supervision). */
  onSpawn?: (pid: number) => void;
}

/** Options of one ffmpeg run. */
export interface RunFfmpegOptions extends ProcessOptions {
  /** Duration of the input in seconds, to turn output time into a percentage. */
  durationSec?: number;
  onProgress?: (progress: MediaProgress) => void;
}

const stderrKeepBytes = 64 * 1024;

/** Builds the argv, wrapping the tool in `taskset`/`nice` when asked. */
export function wrapCommand(tool: string, args: readonly string[], options: ProcessOptions): [string, string[]] {
  let argv = [tool, ...args];
  if (options.nice !== undefined && options.nice > 0) argv = ['nice', '-n', String(options.nice), ...argv];
  if (options.cpus !== undefined) argv = ['taskset', '-c', options.cpus, ...argv];
  return [argv[0] as string, argv.slice(1)];
}

/**
 * Runs a tool with an argument array (never a shell), collects stdout and the tail of stderr,
 * and turns failure, kill or abort into typed errors.
 */
export function runTool(
  tool: 'ffmpeg' | 'ffprobe',
  args: readonly string[],
  options: ProcessOptions & { onStdoutLine?: (line: string) => void },
): Promise<{ stdout: string; stderr: string }> {
  const path = tool === 'ffmpeg' ? (options.ffmpegPath ?? 'ffmpeg') : (options.ffprobePath ?? 'ffprobe');
  const [command, argv] = wrapCommand(path, args, options);
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new MediaCancelledError());
      return;
    }
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let stdoutRest = '';
    let stderrRest = '';
    const onAbort = () => child.kill('SIGKILL');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (child.pid !== undefined) options.onSpawn?.(child.pid);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (!options.onStdoutLine) {
        stdout += chunk;
        return;
      }
      const lines = (stdoutRest + chunk).split('\n');
      stdoutRest = lines.pop() ?? '';
      for (const line of lines) options.onStdoutLine(line);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-stderrKeepBytes);
      if (!options.onLog) return;
      const lines = (stderrRest + chunk).split(/\r?\n|\r/);
      stderrRest = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') options.onLog(line);
    });
    child.once('error', (cause) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(new FfmpegError(tool, null, null, `${path} could not be started: ${cause.message}`, { cause }));
    });
    child.once('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (options.signal?.aborted) reject(new MediaCancelledError());
      else if (code === 0) resolve({ stdout, stderr });
      else reject(new FfmpegError(tool, code, signal, stderr.trim()));
    });
  });
}

/** Runs ffmpeg with `-progress pipe:1` and reports percent, fps and ETA as it goes. */
export async function runFfmpeg(args: readonly string[], options: RunFfmpegOptions = {}): Promise<{ stderr: string }> {
  const fields = new Map<string, string>();
  const duration = options.durationSec ?? 0;
  const onStdoutLine = (line: string) => {
    const eq = line.indexOf('=');
    if (eq < 0) return;
    const key = line.slice(0, eq).trim();
    fields.set(key, line.slice(eq + 1).trim());
    if (key !== 'progress' || !options.onProgress) return;
    options.onProgress(toProgress(fields, duration));
  };
  const fullArgs = ['-hide_banner', '-nostdin', '-y', '-nostats', '-progress', 'pipe:1', ...args];
  const { stderr } = await runTool('ffmpeg', fullArgs, { ...options, onStdoutLine });
  return { stderr };
}

function toProgress(fields: Map<string, string>, durationSec: number): MediaProgress {
  const outUs = Number(fields.get('out_time_us') ?? fields.get('out_time_ms') ?? 0);
  const outTimeSec = Number.isFinite(outUs) && outUs > 0 ? outUs / 1e6 : 0;
  const ended = fields.get('progress') === 'end';
  const fps = Number(fields.get('fps') ?? 0) || 0;
  const speed = Number.parseFloat(fields.get('speed') ?? '') || 0;
  const percent = ended ? 100 : durationSec > 0 ? Math.min(99.9, (outTimeSec / durationSec) * 100) : 0;
  const etaSec = ended ? 0 : speed > 0 && durationSec > 0 ? Math.max(0, (durationSec - outTimeSec) / speed) : null;
  return { percent, fps, speed, etaSec, outTimeSec };
}
