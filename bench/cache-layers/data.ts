// Course objects of about 1.8 KB of JSON with varied English text (not repeated strings, which
// would flatter LZ4), generated from a seeded PRNG so every run caches the same bytes.
const words =
  'the a of to and in is for on with as by learn read write answer question chapter lesson quiz fraction number equation student teacher course week practice example problem solution graph table figure note review summary history science language music art energy water plant animal map river city country'.split(
    ' ',
  );

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function sentence(random: () => number, length: number): string {
  return Array.from({ length }, () => words[Math.floor(random() * words.length)]).join(' ');
}

/** A course with 8 lessons, ~1.8 KB as JSON. */
export function course(id: number) {
  const random = prng(id + 1);
  return {
    id,
    title: `Course ${id}: ${sentence(random, 4)}`,
    teacher: { id: id % 37, name: `Teacher ${id % 37}` },
    updatedAt: new Date(1_700_000_000_000 + id * 86_400_000).toISOString(),
    lessons: Array.from({ length: 8 }, (_, i) => ({
      id: id * 100 + i,
      title: sentence(random, 5),
      summary: sentence(random, 22),
      durationMin: 5 + Math.floor(random() * 40),
      done: random() > 0.5,
    })),
  };
}
