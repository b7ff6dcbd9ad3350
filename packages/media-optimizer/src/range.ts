/** The outcome of reading a `Range` header against a file size. */
export type RangeResult =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * Reads a single byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`). Several ranges are answered with
 * the whole file (RFC 9110 lets a server ignore Range), because multipart responses are rarely
 * needed by players and are a known amplification vector; malformed or out-of-file ranges are unsatisfiable.
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined || header === '') return { kind: 'full' };
  const match = /^bytes=(.*)$/i.exec(header.trim());
  if (!match) return { kind: 'full' };
  const spec = match[1] ?? '';
  if (spec.includes(',')) return { kind: 'full' };
  const parts = /^\s*(\d*)-(\d*)\s*$/.exec(spec);
  if (!parts || (parts[1] === '' && parts[2] === '') || size === 0) return { kind: 'unsatisfiable' };
  const [, first = '', last = ''] = parts;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end };
}

/** Preferred image format the client accepts, from the `Accept` header; JPEG/GIF are always acceptable. */
export function acceptedImageFormats(accept: string | undefined): Set<string> {
  const accepted = new Set<string>();
  for (const part of (accept ?? '').split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q !== undefined && Number(q.slice(2)) <= 0) continue;
    if (type === 'image/avif') accepted.add('avif');
    if (type === 'image/webp') accepted.add('webp');
  }
  return accepted;
}
