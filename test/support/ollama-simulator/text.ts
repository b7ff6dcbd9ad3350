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

/** The first JSON object in `text` that parses, e.g. the example reply a prompt shows the model. */
function exampleObject(text: string): Record<string, unknown> | undefined {
  for (let start = text.indexOf('{'); start !== -1; start = text.indexOf('{', start + 1)) {
    for (let end = text.indexOf('}', start); end !== -1; end = text.indexOf('}', end + 1)) {
      try {
        const value: unknown = JSON.parse(text.slice(start, end + 1));
        if (typeof value === 'object' && value !== null && !Array.isArray(value))
          return value as Record<string, unknown>;
      } catch {
        // not a whole object yet: try the next closing brace
      }
    }
  }
  return undefined;
}

/**
 * Deterministic `format: 'json'` output: an object with the keys of the first example object in the prompt (else
 * `response`), numbers replaced by seeded integers 0-10 and strings by a seeded sentence. Like a real model it
 * stops when the object is complete, or is cut off (invalid JSON) after `count` tokens.
 */
export function generateJsonTokens(model: string, prompt: string, count: number, seed: number): string[] {
  const next = random(seedOf([model, prompt, String(seed), 'json']));
  const sentence = () => {
    const words = Array.from(
      { length: 3 + Math.floor(next() * 6) },
      () => vocabulary[Math.floor(next() * vocabulary.length)],
    );
    const text = words.join(' ');
    return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
  };
  const example = exampleObject(prompt) ?? { response: '' };
  const reply = Object.fromEntries(
    Object.entries(example).map(([key, value]) => [
      key,
      typeof value === 'number' ? Math.floor(next() * 11) : sentence(),
    ]),
  );
  const words = JSON.stringify(reply).replace(/,"/g, ', "').replace(/":/g, '": ').split(' ');
  return words.map((word, i) => (i === 0 ? word : ` ${word}`)).slice(0, count);
}

/** Deterministic unit-length embedding of `text`. */
export function embed(model: string, text: string, dim: number): number[] {
  const next = random(seedOf([model, text]));
  const vector = Array.from({ length: dim }, () => next() * 2 - 1);
  const norm = Math.hypot(...vector) || 1;
  return vector.map((x) => x / norm);
}
