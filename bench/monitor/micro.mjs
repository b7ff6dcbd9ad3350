// Deterministic micro-bench for the pilms-perf gate: fixed work, prints its metrics as the last JSON line.
// WORK scales the loop (the gate tests use it to inject a known regression).
const work = Number(process.env.WORK ?? 1_000_000);
const started = performance.now();
let hash = 0;
for (let i = 0; i < work; i++) hash = (Math.imul(hash, 31) + i) | 0;
// Using the hash keeps the loop from being optimised away.
if (hash === 1) process.stderr.write('unlikely\n');
console.log(JSON.stringify({ loopMs: performance.now() - started }));
