/** Priority classes, most urgent first. */
export const priorities = ['interactive', 'normal', 'background'] as const;
/** One of {@link priorities}. */
export type Priority = (typeof priorities)[number];

/** One queued unit of work. */
export interface Ticket {
  priority: Priority;
  user: string;
  enqueuedAt: number;
}

interface ClassQueue<T extends Ticket> {
  /** Users in round-robin order (Map insertion order); each keeps its own FIFO. */
  users: Map<string, T[]>;
  size: number;
}

/**
 * Picks the next ticket: strict priority between classes, except that every `agingMs` of waiting promotes a class
 * head by one class (so background work still progresses), and round-robin across users inside a class
 * (a user with 200 queued requests delays a user with 1 request by one turn, not 200).
 */
export class FairScheduler<T extends Ticket> {
  private readonly classes = new Map<Priority, ClassQueue<T>>(
    priorities.map((p) => [p, { users: new Map<string, T[]>(), size: 0 }]),
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
    if (list) list.push(ticket);
    else queue.users.set(ticket.user, [ticket]);
    queue.size++;
  }

  /** Removes a ticket still queued; false when it already left. */
  remove(ticket: T): boolean {
    const queue = this.queueOf(ticket.priority);
    const list = queue.users.get(ticket.user);
    const index = list ? list.indexOf(ticket) : -1;
    if (!list || index < 0) return false;
    list.splice(index, 1);
    if (list.length === 0) queue.users.delete(ticket.user);
    queue.size--;
    return true;
  }

  /** Takes the next ticket; `skip` leaves one class out (used to keep slots free for interactive work). */
  shift(now: number, skip?: Priority): T | undefined {
    let best: { priority: Priority; rank: number } | undefined;
    for (const [index, priority] of priorities.entries()) {
      const oldest = priority === skip ? undefined : this.oldest(priority);
      if (!oldest) continue;
      const rank = index - Math.floor((now - oldest.enqueuedAt) / this.agingMs);
      if (!best || rank < best.rank) best = { priority, rank };
    }
    if (!best) return undefined;
    const queue = this.queueOf(best.priority);
    const first = queue.users.entries().next().value;
    if (!first) return undefined;
    const [user, list] = first;
    const ticket = list.shift();
    queue.users.delete(user);
    if (list.length > 0) queue.users.set(user, list);
    queue.size--;
    return ticket;
  }

  private oldest(priority: Priority): T | undefined {
    let oldest: T | undefined;
    for (const list of this.queueOf(priority).users.values()) {
      const head = list[0];
      if (head && (!oldest || head.enqueuedAt < oldest.enqueuedAt)) oldest = head;
    }
    return oldest;
  }

  private queueOf(priority: Priority): ClassQueue<T> {
    const queue = this.classes.get(priority);
    if (!queue) throw new RangeError(`Expected \`priority\` to be one of ${priorities.join(', ')}, got ${priority}`);
    return queue;
  }
}
