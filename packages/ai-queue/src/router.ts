import type { Host } from './host.js';

/** What routing needs to know of a queued request. */
export interface Routable {
  model: string;
  conversation: string | undefined;
  /** A request that already failed once may probe hosts marked down when none is up. */
  retrying: boolean;
}

/**
 * Chooses hosts: a conversation goes back to the host that served it last (its KV cache is warm) when that host is
 * up and has a free slot, otherwise to the least-loaded up host that has the model. Remembers the last
 * `maxConversations` conversations.
 */
export class HostRouter {
  private readonly conversations = new Map<string, Host>();

  constructor(
    readonly hosts: Host[],
    private readonly maxConversations: number,
  ) {}

  anyUp(): boolean {
    return this.hosts.some((host) => host.up);
  }

  /** Hosts with a free slot, least loaded first. */
  free(): Host[] {
    return this.hosts
      .filter((host) => host.hasFreeSlot())
      .sort((a, b) => a.inFlight / a.options.slots - b.inFlight / b.options.slots);
  }

  /** Whether `host` may run `request` now. */
  accepts(host: Host, request: Routable): boolean {
    if (!host.up && !(request.retrying && !this.anyUp())) return false;
    if (!host.has(request.model) && this.hosts.some((other) => other.up && other.has(request.model))) return false;
    const home = request.conversation === undefined ? undefined : this.conversations.get(request.conversation);
    return !home || home === host || !home.up || !home.hasFreeSlot();
  }

  /** Records that `host` served `conversation`. */
  served(conversation: string | undefined, host: Host): void {
    if (conversation === undefined) return;
    this.conversations.delete(conversation);
    this.conversations.set(conversation, host);
    if (this.conversations.size > this.maxConversations) {
      const oldest = this.conversations.keys().next().value;
      if (oldest !== undefined) this.conversations.delete(oldest);
    }
  }
}
