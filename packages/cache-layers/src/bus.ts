/** An invalidation sent between processes: drop these keys, this prefix or this tag from L1. */
export type BusMessage =
  | { kind: 'delete'; origin: string; sentAt: number; keys: string[] }
  | { kind: 'clear'; origin: string; sentAt: number; prefix: string }
  | { kind: 'tag'; origin: string; sentAt: number; tag: string };

/** The invalidation bus port (Redis pub/sub, SQLite change log, node:cluster IPC). */
export interface CacheBus {
  readonly name: string;
  /** Resolves once messages from others are being received. */
  readonly ready: Promise<void>;
  publish(message: BusMessage): Promise<void>;
  subscribe(handler: (message: BusMessage) => void): void;
  close(): Promise<void>;
}
