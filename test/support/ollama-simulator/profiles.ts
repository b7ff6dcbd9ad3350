/**
 * Timing model of one model on the simulated host. Durations are "model time": the simulator divides
 * them by `timeScale` when it actually waits, and reports the unscaled figures in Ollama's `*_duration` fields.
 */
export interface ModelProfile {
  /** Time to load the weights from storage into RAM, ms. */
  loadMs: number;
  /** Prompt evaluation speed, tokens per second. */
  promptTokensPerSec: number;
  /** Generation speed, tokens per second (0 for embedding-only models). */
  genTokensPerSec: number;
  /** Resident size once loaded, bytes (reported by /api/ps). */
  sizeBytes: number;
  /** Requests this model serves at once (Ollama's OLLAMA_NUM_PARALLEL). */
  parallel: number;
  /** Tokens generated when the request sets no `num_predict`. */
  defaultPredict: number;
  /** Embedding dimension; set for embedding models. */
  embeddingDim?: number;
  /** Model family shown by /api/tags and /api/show. */
  family: string;
  /** Parameter size shown by /api/tags and /api/show. */
  parameterSize: string;
}

const GiB = 1024 ** 3;

/**
 * Default profiles for an Orange Pi 5 (RK3588, llama.cpp/Ollama on the 4 A76 cores, Q4_K_M).
 * Figures are rounded from published CPU-only measurements:
 * - llama.cpp discussion "Performance of llama.cpp on ARM SBCs" (github.com/ggml-org/llama.cpp/discussions/4167)
 *   and Jeff Geerling's RK3588 LLM tests (github.com/geerlingguy/ollama-benchmark/issues):
 *   1-1.5B Q4_K_M generates ~10-15 tok/s, 3B ~5-7 tok/s; prompt eval is ~4-6x faster than generation.
 * - Load times of a few seconds from eMMC/SD (~100-200 MB/s sequential read for 1-2 GB of weights).
 * - nomic-embed-text (137M) embeds a short passage in well under 100 ms on A76 cores.
 */
export const defaultProfiles: Record<string, ModelProfile> = {
  'qwen2.5:1.5b': {
    loadMs: 3000,
    promptTokensPerSec: 60,
    genTokensPerSec: 12,
    sizeBytes: 1.3 * GiB,
    parallel: 1,
    defaultPredict: 64,
    family: 'qwen2',
    parameterSize: '1.5B',
  },
  'llama3.2:1b': {
    loadMs: 2500,
    promptTokensPerSec: 80,
    genTokensPerSec: 15,
    sizeBytes: 1.0 * GiB,
    parallel: 1,
    defaultPredict: 64,
    family: 'llama',
    parameterSize: '1.2B',
  },
  'llama3.2:3b': {
    loadMs: 6000,
    promptTokensPerSec: 30,
    genTokensPerSec: 6,
    sizeBytes: 2.6 * GiB,
    parallel: 1,
    defaultPredict: 64,
    family: 'llama',
    parameterSize: '3.2B',
  },
  'nomic-embed-text': {
    loadMs: 800,
    promptTokensPerSec: 400,
    genTokensPerSec: 0,
    sizeBytes: 0.3 * GiB,
    parallel: 4,
    defaultPredict: 0,
    embeddingDim: 768,
    family: 'nomic-bert',
    parameterSize: '137M',
  },
};

/** Resolves `name` or `name:latest` against the profiles. */
export function findProfile(
  profiles: Record<string, ModelProfile>,
  name: string,
): { name: string; profile: ModelProfile } | undefined {
  const candidates = name.includes(':') ? [name, name.replace(/:latest$/, '')] : [name, `${name}:latest`];
  for (const candidate of candidates) {
    const profile = profiles[candidate];
    if (profile) return { name: candidate, profile };
  }
  return undefined;
}
