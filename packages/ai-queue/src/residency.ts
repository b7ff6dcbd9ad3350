/** A model resident on a host, as `/api/ps` lists it. */
export interface ResidentModel {
  name: string;
  /** Resident size in bytes; 0 when unknown. */
  size: number;
}

/** Limits of what one host keeps loaded at once. */
export interface ResidencyBudget {
  /** Models loaded at once (OLLAMA_MAX_LOADED_MODELS). */
  maxLoadedModels: number;
  /** Memory the loaded models may take together, bytes; `undefined` counts models only. */
  memoryBudgetBytes: number | undefined;
  /** Known model sizes, bytes, used before `/api/ps` or `/api/tags` reported them. */
  modelSizes: Record<string, number>;
}

/**
 * What one host has loaded, learned from `/api/ps` and from the requests this queue started there, and what starting
 * a request for another model would cost: nothing, an eviction of idle models (a swap), or waiting until the models
 * it would evict finish their running requests.
 */
export class ModelResidency {
  /** Loaded models in least-recently-used order (Map insertion order). */
  private readonly loaded = new Map<string, number>();
  private readonly running = new Map<string, number>();
  private readonly sizes = new Map<string, number>();
  loads = 0;
  swaps = 0;
  /** Bumped by every start, so a `/api/ps` answer older than a start is not trusted over it. */
  version = 0;

  constructor(private readonly budget: ResidencyBudget) {
    for (const [name, size] of Object.entries(budget.modelSizes)) this.sizes.set(name, size);
  }

  isLoaded(model: string): boolean {
    return this.loaded.has(model);
  }

  /** Models in use by running requests of this queue. */
  busyModels(): string[] {
    return [...this.running.keys()];
  }

  /** Loaded model names. */
  models(): string[] {
    return [...this.loaded.keys()];
  }

  /** Remembers sizes from `/api/tags` or `/api/show` for models not yet seen in `/api/ps`. */
  learnSizes(models: ResidentModel[]): void {
    for (const { name, size } of models) if (size > 0 && !this.sizes.has(name)) this.sizes.set(name, size);
  }

  /** Replaces the view with `/api/ps`; models with running requests stay (they may still be loading). */
  sync(models: ResidentModel[]): void {
    const listed = new Set(models.map((m) => m.name));
    for (const name of [...this.loaded.keys()])
      if (!listed.has(name) && !this.running.has(name)) this.loaded.delete(name);
    for (const { name, size } of models) {
      if (size > 0) this.sizes.set(name, size);
      if (!this.loaded.has(name)) this.loaded.set(name, this.sizeOf(name));
    }
  }

  /**
   * Whether a request for `model` can start now without waiting for another model's running requests: it is loaded,
   * or room can be made by evicting idle models only.
   */
  canStart(model: string): boolean {
    return this.evictionsFor(model) !== undefined;
  }

  /** Records a request starting on `model`: it becomes the most recently used, idle models it displaces are gone. */
  started(model: string): void {
    this.version++;
    this.running.set(model, (this.running.get(model) ?? 0) + 1);
    if (this.loaded.has(model)) {
      const size = this.loaded.get(model) ?? 0;
      this.loaded.delete(model);
      this.loaded.set(model, size);
      return;
    }
    const evicted = this.evictionsFor(model) ?? [];
    for (const name of evicted) this.loaded.delete(name);
    this.loads++;
    if (evicted.length > 0) this.swaps++;
    this.loaded.set(model, this.sizeOf(model));
  }

  finished(model: string): void {
    const left = (this.running.get(model) ?? 1) - 1;
    if (left > 0) this.running.set(model, left);
    else this.running.delete(model);
  }

  /** Idle models that must be unloaded to fit `model`, least recently used first; `undefined` if busy ones would. */
  private evictionsFor(model: string): string[] | undefined {
    if (this.loaded.has(model)) return [];
    const { maxLoadedModels, memoryBudgetBytes } = this.budget;
    let count = this.loaded.size + 1;
    let bytes = this.sizeOf(model);
    for (const size of this.loaded.values()) bytes += size;
    const evicted: string[] = [];
    for (const [name, size] of this.loaded) {
      if (count <= maxLoadedModels && (memoryBudgetBytes === undefined || bytes <= memoryBudgetBytes)) break;
      if (this.running.has(name)) continue;
      evicted.push(name);
      count--;
      bytes -= size;
    }
    const fits = count <= maxLoadedModels && (memoryBudgetBytes === undefined || bytes <= memoryBudgetBytes);
    // A model bigger than the whole budget still loads once the others are gone (Ollama does the same).
    if (fits || evicted.length === this.loaded.size) return evicted;
    return undefined;
  }

  private sizeOf(model: string): number {
    return this.sizes.get(model) ?? 0;
  }
}
