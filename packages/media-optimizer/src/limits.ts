import { open, stat } from 'node:fs/promises';
import { defaults } from './defaults.js';
import { CorruptMediaError, MediaLimitError, UnsupportedFormatError } from './errors.js';
import { type SniffedFormat, sniffFormat } from './sniff.js';

/** Limits checked before any decoding or encoding. */
export interface MediaLimits {
  /** Largest accepted input in bytes. Default: `defaults.limits.maxImageBytes` for images, `maxMediaBytes` for video/audio. */
  maxInputBytes?: number;
  /** Largest decoded image in pixels. Default `defaults.limits.maxPixels` (40 MP). */
  maxPixels?: number;
  /** Longest accepted video/audio in seconds. Default `defaults.limits.maxDurationSec` (3 h). */
  maxDurationSec?: number;
  /** Accepted formats, sniffed from content. Default: common photo formats (no SVG) or common video/audio containers. */
  allowedFormats?: readonly SniffedFormat[];
}

/** Checks size and sniffed format of a file or buffer; returns the detected format. */
export async function checkInput(
  input: string | Uint8Array,
  maxBytes: number,
  allowed: readonly SniffedFormat[],
): Promise<{ format: SniffedFormat; sizeBytes: number }> {
  let head: Uint8Array;
  let sizeBytes: number;
  if (typeof input === 'string') {
    sizeBytes = (await stat(input)).size;
    const handle = await open(input, 'r');
    try {
      head = new Uint8Array(64);
      const { bytesRead } = await handle.read(head, 0, 64, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } else {
    sizeBytes = input.byteLength;
    head = input.subarray(0, 64);
  }
  if (sizeBytes === 0) throw new CorruptMediaError('the file is empty (0 bytes)');
  if (sizeBytes > maxBytes) throw new MediaLimitError('maxInputBytes', maxBytes, sizeBytes);
  const format = sniffFormat(head);
  if (!allowed.includes(format)) throw new UnsupportedFormatError(format, allowed);
  return { format, sizeBytes };
}

/** Throws {@link MediaLimitError} when a duration is over the limit. */
export function checkDuration(durationSec: number, limits: MediaLimits): void {
  const max = limits.maxDurationSec ?? defaults.limits.maxDurationSec;
  if (durationSec > max) throw new MediaLimitError('maxDurationSec', max, durationSec);
}
