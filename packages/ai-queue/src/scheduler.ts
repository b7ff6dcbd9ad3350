/** Priority classes, most urgent first. */
export const priorities = ['interactive', 'normal', 'background'] as const;
/** One of {@link priorities}. */
export type Priority = (typeof priorities)[number];

/** One queued unit of work. */
export interface Ticket {
  priority: Priority;
  user: string;
  enqueuedAt: number;
  /** Estimated tokens (prompt + answer): the share of the board this request takes. */
  cost: number;
}

/** A candidate returned by {@link FairScheduler.peek}: the ticket and its class rank after aging (lower runs first). */
export interface Pick<T> {
  ticket: T;
  rank: number;
}

interface Entry<T> {
  ticket: T;
  /** When the ticket became its user's head: aging starts there, so a bulk backlog ages one request at a time. */
  headSince: number;
}

interface ClassQueue<T extends Ticket> {
  /** Users in arrival order (Map insertion order, the tie-break); each keeps its own FIFO. */
  users: Map<string, Entry<T>[]>;
  /** Tokens each queued user has been served, counted from the class clock when it joined. */
  served: Map<string, number>;
  /** Served tokens of the user picked last: a user joining starts here, without credit for its absence. */
  clock: number;
  size: number;
}

/**
 * Picks the next ticket: strict priority between classes, except that every `agingMs` a user's head request waits
 * promotes it by one class (so background work still progresses), and a fair share of tokens across users inside a
 * class, like deficit round-robin with cost = estimated tokens: the user served the fewest tokens goes next, so a user
 * with 200 queued requests delays a user with 1 request by one turn, not 200, and short questions are not held
 * behind another user's long essays. Aging counts from when a request reached the head of its user's queue, so a
 * teacher's 300 gradings submitted at once age one at a time and never turn the queue back into FIFO.
 */
export class FairScheduler<T extends Ticket> {
  private readonly classes = new Map<Priority, ClassQueue<T>>(
    priorities.map((p) => [
      p,
      { users: new Map<string, Entry<T>[]>(), served: new Map<string, number>(), clock: 0, size: 0 },
    ]),
  );

  constructor(private readonly agingMs: number) {}

  size(priority?: Priority): number {
    if (priority) return this.queueOf(priority).size;
    let total = 0;
    for (const queue of this.classes.values()) total += queue.size;
    return total;
  }

  push(ticket: T): void {
    const queue = this.queueOf(ticket.priority);
    const list = queue.users.get(ticket.user);
    const entry = { ticket, headSince: ticket.enqueuedAt };
    if (list) list.push(entry);
    else {
      queue.users.set(ticket.user, [entry]);
      queue.served.set(ticket.user, Math.max(queue.served.get(ticket.user) ?? 0, queue.clock));
    }
    queue.size++;
  }

  /** Every queued ticket, most urgent class first. */
  *tickets(): IterableIterator<T> {
    for (const queue of this.classes.values())
      for (const list of queue.users.values()) for (const entry of list) yield entry.ticket;
  }

  /**
   * The ticket that should run next among those `accept` allows, without removing it: the class with the lowest aged
   * rank (ties go to the more urgent class), inside it the accepted ticket of the user served the fewest tokens.
   */
  peek(now: number, accept: (ticket: T) => boolean = () => true): Pick<T> | undefined {
    let best: { priority: Priority; rank: number } | undefined;
    for (const [index, priority] of priorities.entries()) {
      let oldestHead: number | undefined;
      for (const list of this.queueOf(priority).users.values()) {
        const first = list.find((entry) => accept(entry.ticket));
        if (first && (oldestHead === undefined || first.headSince < oldestHead)) oldestHead = first.headSince;
      }
      if (oldestHead === undefined) continue;
      const rank = index - Math.floor((now - oldestHead) / this.agingMs);
      if (!best || rank < best.rank) best = { priority, rank };
    }
    if (!best) return undefined;
    const queue = this.queueOf(best.priority);
    let pick: { ticket: T; served: number } | undefined;
    for (const [user, list] of queue.users) {
      const served = queue.served.get(user) ?? 0;
      if (pick && served >= pick.served) continue;
      const first = list.find((entry) => accept(entry.ticket));
      if (first) pick = { ticket: first.ticket, served };
    }
    return pick && { ticket: pick.ticket, rank: best.rank };
  }

  /** Removes a ticket (normally one returned by {@link peek}) and charges its user the ticket's cost. */
  take(ticket: T, now: number): void {
    const queue = this.queueOf(ticket.priority);
    const served = queue.served.get(ticket.user) ?? queue.clock;
    if (!this.detach(ticket, now)) return;
    queue.clock = Math.max(queue.clock, served);
    if (queue.users.has(ticket.user)) queue.served.set(ticket.user, served + ticket.cost);
    // Moving the user behind the others breaks later ties in round-robin order.
    const list = queue.users.get(ticket.user);
    if (list) {
      queue.users.delete(ticket.user);
      queue.users.set(ticket.user, list);
    }
  }

  /** Removes a ticket still queued; false when it already left. */
  remove(ticket: T): boolean {
    return this.detach(ticket, Date.now()) !== undefined;
  }

  private detach(ticket: T, now: number): Entry<T>[] | undefined {
    const queue = this.queueOf(ticket.priority);
    const list = queue.users.get(ticket.user);
    const index = list ? list.findIndex((entry) => entry.ticket === ticket) : -1;
    if (!list || index < 0) return undefined;
    list.splice(index, 1);
    const head = list[0];
    if (index === 0 && head) head.headSince = Math.max(head.headSince, now);
    if (list.length === 0) {
      queue.users.delete(ticket.user);
      queue.served.delete(ticket.user);
    }
    queue.size--;
    return list;
  }

  private queueOf(priority: Priority): ClassQueue<T> {
    const queue = this.classes.get(priority);
    if (!queue) throw new RangeError(`Expected \`priority\` to be one of ${priorities.join(', ')}, got ${priority}`);
    return queue;
  }
}
