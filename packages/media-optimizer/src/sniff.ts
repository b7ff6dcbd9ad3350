/** Formats recognised from the first bytes of a file. */
export type SniffedFormat =
  | 'jpeg'
  | 'png'
  | 'gif'
  | 'webp'
  | 'avif'
  | 'heic'
  | 'tiff'
  | 'svg'
  | 'mp4'
  | 'mov'
  | 'webm'
  | 'mp3'
  | 'wav'
  | 'ogg'
  | 'flac'
  | 'm4a'
  | 'unknown';

/** Image formats accepted by default. SVG is excluded: it can carry scripts and external references. */
export const imageFormats: readonly SniffedFormat[] = ['jpeg', 'png', 'gif', 'webp', 'avif', 'heic', 'tiff'];
/** Video and audio containers accepted by default. */
export const mediaFormats: readonly SniffedFormat[] = ['mp4', 'mov', 'webm', 'mp3', 'wav', 'ogg', 'flac', 'm4a'];

const ascii = (bytes: Uint8Array, start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));

/** Detects a media format from its first bytes (64 are enough), never from a file name. */
export function sniffFormat(head: Uint8Array): SniffedFormat {
  const b = head;
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (ascii(b, 0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (ascii(b, 0, 4) === 'GIF8') return 'gif';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WAVE') return 'wav';
  if (ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*') return 'tiff';
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'webm';
  if (ascii(b, 0, 4) === 'OggS') return 'ogg';
  if (ascii(b, 0, 4) === 'fLaC') return 'flac';
  if (ascii(b, 0, 3) === 'ID3' || (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0)) return 'mp3';
  if (ascii(b, 4, 8) === 'ftyp') return sniffIsoBrand(ascii(b, 8, 12));
  const text = ascii(b, 0, Math.min(b.length, 64)).trimStart();
  if (text.startsWith('<svg') || (text.startsWith('<?xml') && /<svg/i.test(ascii(b, 0, b.length)))) return 'svg';
  return 'unknown';
}

function sniffIsoBrand(brand: string): SniffedFormat {
  if (brand === 'avif' || brand === 'avis') return 'avif';
  if (brand === 'heic' || brand === 'heix' || brand === 'mif1' || brand === 'msf1') return 'heic';
  if (brand === 'qt  ') return 'mov';
  if (brand.startsWith('M4A') || brand.startsWith('M4B')) return 'm4a';
  return 'mp4';
}
