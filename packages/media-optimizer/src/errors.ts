const brand = Symbol.for('@pilms/media-optimizer/error');

/**
 * Base class of every error thrown by @pilms/media-optimizer. Each subclass has a stable `code`;
 * check with `PilmsMediaError.isInstance(err)`, which also works across two installed copies.
 */
export class PilmsMediaError extends Error {
  readonly [brand] = true;
  constructor(
    message: string,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  static isInstance(value: unknown): value is PilmsMediaError {
    return typeof value === 'object' && value !== null && brand in value;
  }
}

/** An option failed validation at construction or call time. */
export class InvalidOptionError extends PilmsMediaError {
  constructor(
    readonly option: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {
    super(`Expected \`${option}\` to be ${expected}, got ${formatValue(actual)}`, 'PILMS_MEDIA_INVALID_OPTION');
  }
}

/** The input is over a configured limit (bytes, pixels, duration); checked before any heavy work. */
export class MediaLimitError extends PilmsMediaError {
  constructor(
    readonly limit: 'maxInputBytes' | 'maxPixels' | 'maxDurationSec',
    readonly max: number,
    readonly actual: number,
  ) {
    super(
      `Input exceeds \`${limit}\`: ${actual} > ${max}. Ask the uploader for a smaller file or raise \`${limit}\`.`,
      'PILMS_MEDIA_LIMIT',
    );
  }
}

/** The input's content (sniffed from its bytes, never its name) is not an allowed format. */
export class UnsupportedFormatError extends PilmsMediaError {
  constructor(
    readonly detected: string,
    readonly allowed: readonly string[],
  ) {
    super(
      `Input content is ${detected === 'unknown' ? 'not a recognised media format' : `\`${detected}\``}; allowed: ${allowed.join(', ')}. Upload one of those formats.`,
      'PILMS_MEDIA_UNSUPPORTED_FORMAT',
    );
  }
}

/** The input looks like an allowed format but cannot be decoded (empty, truncated, corrupt). */
export class CorruptMediaError extends PilmsMediaError {
  constructor(reason: string, options?: ErrorOptions) {
    super(
      `Input cannot be decoded: ${reason}. Ask the uploader to export the file again.`,
      'PILMS_MEDIA_CORRUPT',
      options,
    );
  }
}

/** ffmpeg or ffprobe failed or was killed; `stderrTail` holds its last lines. */
export class FfmpegError extends PilmsMediaError {
  constructor(
    readonly tool: 'ffmpeg' | 'ffprobe',
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stderrTail: string,
    options?: ErrorOptions,
  ) {
    super(
      `${tool} ${signal ? `was killed by ${signal}` : `exited with code ${exitCode}`}: ${stderrTail.split('\n').slice(-3).join(' | ') || '(no output)'}. Check the input file and that ${tool} is installed.`,
      'PILMS_MEDIA_FFMPEG',
      options,
    );
  }
}

/** Writing an output failed (disk full, permissions); no partial output was left behind. */
export class MediaWriteError extends PilmsMediaError {
  constructor(
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(
      `Could not write ${path}; partial outputs were removed. Free disk space or check permissions.`,
      'PILMS_MEDIA_WRITE',
      options,
    );
  }
}

/** The work was cancelled through its AbortSignal or `queue.cancel(id)`. */
export class MediaCancelledError extends PilmsMediaError {
  constructor() {
    super('Media work was cancelled; partial outputs were removed.', 'PILMS_MEDIA_CANCELLED');
  }
}

/** A job id that the queue does not know. */
export class JobNotFoundError extends PilmsMediaError {
  constructor(readonly jobId: string) {
    super(`No media job with id ${jobId}. List jobs with \`queue.list()\`.`, 'PILMS_MEDIA_JOB_NOT_FOUND');
  }
}

/** Every error class of the package by name, for `instanceof`-free handling. */
export const errors = {
  PilmsMediaError,
  InvalidOptionError,
  MediaLimitError,
  UnsupportedFormatError,
  CorruptMediaError,
  FfmpegError,
  MediaWriteError,
  MediaCancelledError,
  JobNotFoundError,
} as const;

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return typeof value;
  }
}
