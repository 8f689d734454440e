/**
 * Batches points from concurrent partition handlers into InfluxDB writes of up to `maxPoints` points
 * and `maxBytes` bytes of line protocol (each line's UTF-8 bytes plus its newline): a write starts
 * when either budget is full, when nothing new arrived for `lingerMs` (every handler has handed over
 * its records), or `maxDelayMs` after the oldest waiting point. Up to `maxInFlight` writes run at
 * once. The byte budget keeps a batch of wide topics (thousands of fields, tens of kB a line) from
 * becoming one huge request that InfluxDB takes seconds to parse and index; a single line larger
 * than the budget is written alone. `submit()` resolves once every one of its points was acknowledged or rejected
 * by InfluxDB — only then may the caller commit the Kafka offsets of those records.
 */
import type { Rejection } from './writer';

/** Default byte budget of one write request: 2 MiB of line protocol. */
export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

export interface BatcherOptions<T> {
  maxPoints: number;
  /** Line-protocol bytes per write (UTF-8, newlines included). @default {@link DEFAULT_MAX_BYTES} */
  maxBytes?: number;
  maxDelayMs: number;
  /** @default 5 */
  lingerMs?: number;
  /** @default 4 */
  maxInFlight?: number;
  /** Writes the lines of `items`; resolves with refused indices (into `items`). */
  write: (lines: string[]) => Promise<Rejection[]>;
  /** Line of an item. */
  lineOf: (item: T) => string;
}

interface Ticket<T> {
  remaining: number;
  rejected: { item: T; reason: string }[];
  resolve: (r: { item: T; reason: string }[]) => void;
  reject: (err: Error) => void;
  failed: boolean;
}

/** Bytes `line` adds to a write request: its UTF-8 length and the newline that ends it. */
export function lineBytes(line: string): number {
  return Buffer.byteLength(line, 'utf8') + 1;
}

interface Entry<T> {
  item: T;
  line: string;
  bytes: number;
  ticket: Ticket<T>;
}

export class Batcher<T> {
  private buffer: Entry<T>[] = [];
  private bufferedBytes = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private firstAt = 0;
  private readonly linger: number;
  private readonly maxInFlight: number;
  private readonly maxBytes: number;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: BatcherOptions<T>) {
    this.linger = o.lingerMs ?? 5;
    this.maxInFlight = o.maxInFlight ?? 4;
    this.maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    if (!(this.maxBytes >= 1)) throw new Error(`batcher: maxBytes must be at least 1, got ${o.maxBytes}`);
  }

  /** Points waiting to be written. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Line-protocol bytes waiting to be written. */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  submit(items: T[]): Promise<{ item: T; reason: string }[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const ticket: Ticket<T> = { remaining: items.length, rejected: [], resolve, reject, failed: false };
      if (this.buffer.length === 0) this.firstAt = Date.now();
      for (const item of items) {
        const line = this.o.lineOf(item);
        const bytes = lineBytes(line);
        this.bufferedBytes += bytes;
        this.buffer.push({ item, line, bytes, ticket });
      }
      this.schedule();
    });
  }

  /** Resolves when nothing waits and no write is in flight. */
  idle(): Promise<void> {
    if (this.buffer.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** A full batch waits: maxPoints points or maxBytes bytes. */
  private full(): boolean {
    return this.buffer.length >= this.o.maxPoints || this.bufferedBytes >= this.maxBytes;
  }

  private schedule(): void {
    while (this.buffer.length > 0 && this.full() && this.inFlight < this.maxInFlight) this.dispatch();
    if (this.buffer.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    const untilMax = this.firstAt + this.o.maxDelayMs - Date.now();
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        if (this.inFlight < this.maxInFlight) this.dispatch();
        if (this.buffer.length) this.schedule();
      },
      Math.max(0, Math.min(this.linger, untilMax)),
    );
  }

  private dispatch(): void {
    if (this.buffer.length === 0) return;
    // As many points as fit both budgets, at least one (a line over maxBytes goes alone).
    let n = 1;
    let bytes = this.buffer[0].bytes;
    while (n < this.buffer.length && n < this.o.maxPoints && bytes + this.buffer[n].bytes <= this.maxBytes) bytes += this.buffer[n++].bytes;
    const batch = this.buffer.splice(0, n);
    this.bufferedBytes -= bytes;
    if (this.buffer.length) this.firstAt = Date.now();
    this.inFlight++;
    this.o
      .write(batch.map((b) => b.line))
      .then(
        (rejections) => {
          for (const r of rejections) batch[r.index].ticket.rejected.push({ item: batch[r.index].item, reason: r.reason });
          for (const b of batch) {
            const t = b.ticket;
            if (--t.remaining === 0 && !t.failed) t.resolve(t.rejected);
          }
        },
        (err: Error) => {
          for (const b of batch) {
            const t = b.ticket;
            t.remaining--;
            if (!t.failed) {
              t.failed = true;
              t.reject(err);
            }
          }
        },
      )
      .finally(() => {
        this.inFlight--;
        if (this.buffer.length && this.full()) this.schedule();
        else if (this.buffer.length && !this.timer) this.schedule();
        if (this.buffer.length === 0 && this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }
}
