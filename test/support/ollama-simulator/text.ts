import { createHash } from 'node:crypto';

const vocabulary = [
  'the',
  'student',
  'learns',
  'by',
  'asking',
  'questions',
  'and',
  'a',
  'teacher',
  'explains',
  'each',
  'step',
  'with',
  'examples',
  'so',
  'that',
  'ideas',
  'become',
  'clear',
  'over',
  'time',
  'practice',
  'helps',
];

/** Rough token count the way the simulator charges prompt evaluation: ~4 characters per token. */
export function countTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function seedOf(parts: string[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32LE(0);
}

/** Mulberry32: small, seedable, and identical on every run so outputs are reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Deterministic "generation": echoes the start of the prompt, then seeded words. Each array element is one token
 * (a word with its leading space), so streaming chunks match the token count.
 */
export function generateTokens(model: string, prompt: string, count: number, seed: number): string[] {
  const echo = prompt
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, Math.min(8, Math.floor(count / 2)));
  const next = random(seedOf([model, prompt, String(seed)]));
  const tokens = echo.map((word, i) => (i === 0 ? word : ` ${word}`));
  while (tokens.length < count) {
    const word = vocabulary[Math.floor(next() * vocabulary.length)] ?? 'the';
    tokens.push(tokens.length === 0 ? word : ` ${word}`);
  }
  return tokens;
}

/** Deterministic unit-length embedding of `text`. */
export function embed(model: string, text: string, dim: number): number[] {
  const next = random(seedOf([model, text]));
  const vector = Array.from({ length: dim }, () => next() * 2 - 1);
  const norm = Math.hypot(...vector) || 1;
  return vector.map((x) => x / norm);
}
