import { compressSync, uncompressSync } from 'lz4-napi';
import { SerializationError } from './errors.js';

/** Turns values into strings and back; the default is JSON that rejects what JSON would silently drop. */
export interface Codec {
  stringify(value: unknown): string;
  parse(text: string): unknown;
}

function strictReplacer(): (this: unknown, key: string, value: unknown) => unknown {
  return function replacer(key, value) {
    if (typeof value === 'function') throw new TypeError(`a function at "${key || '(root)'}"`);
    if (typeof value === 'symbol') throw new TypeError(`a symbol at "${key || '(root)'}"`);
    return value;
  };
}

/** JSON codec that fails loudly on functions and symbols instead of dropping them. */
export const jsonCodec: Codec = {
  stringify: (value) => JSON.stringify(value, strictReplacer()),
  parse: (text) => JSON.parse(text),
};

/** Serializes with the codec, turning any failure (cycle, BigInt, function) into a {@link SerializationError}. */
export function serialize(codec: Codec, key: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = codec.stringify(value);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new SerializationError(key, reason, { cause });
  }
  if (typeof text !== 'string') throw new SerializationError(key, `the codec produced ${typeof text}, not a string`);
  return text;
}

const RAW = 0;
const LZ4 = 1;

/** Encodes text as bytes with a one-byte header, LZ4-compressing it when it is at least `threshold` bytes. */
export function encode(text: string, threshold: number): Buffer {
  const raw = Buffer.from(text);
  if (raw.length < threshold) return Buffer.concat([Buffer.of(RAW), raw]);
  return Buffer.concat([Buffer.of(LZ4), compressSync(raw)]);
}

/** Decodes bytes made by {@link encode}; throws on corrupt or unknown input (callers treat that as a miss). */
export function decode(bytes: Uint8Array): string {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset + 1, bytes.byteLength - 1);
  if (bytes[0] === RAW) return body.toString();
  if (bytes[0] === LZ4) return uncompressSync(body).toString();
  throw new TypeError(`unknown encoding header ${bytes[0]}`);
}
