import { decode, encode } from './codec.js';
import type { EntryMeta } from './l1.js';

/**
 * L2 bytes: one JSON header line with the expiry, grace and tags, then the value text, LZ4-compressed
 * together above the threshold. Infinity is written as null because JSON has no Infinity.
 */
export function pack(meta: EntryMeta, text: string, threshold: number): Buffer {
  const header = JSON.stringify({ e: finite(meta.expiresAt), s: finite(meta.staleUntil), t: meta.tags });
  return encode(`${header}\n${text}`, threshold);
}

/** Reverses {@link pack}; throws on corrupt bytes (the cache counts that as a miss). */
export function unpack(bytes: Uint8Array): { meta: EntryMeta; text: string } {
  const whole = decode(bytes);
  const newline = whole.indexOf('\n');
  if (newline < 0) throw new TypeError('missing header line');
  const header = JSON.parse(whole.slice(0, newline)) as { e: number | null; s: number | null; t: string[] };
  if (!Array.isArray(header.t)) throw new TypeError('malformed header');
  return {
    meta: {
      expiresAt: header.e ?? Number.POSITIVE_INFINITY,
      staleUntil: header.s ?? Number.POSITIVE_INFINITY,
      tags: header.t,
    },
    text: whole.slice(newline + 1),
  };
}

function finite(at: number): number | null {
  return Number.isFinite(at) ? at : null;
}
