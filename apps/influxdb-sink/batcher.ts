/**
 * Batches points from concurrent partition handlers into InfluxDB writes of up to `maxPoints`:
 * a write starts when `maxPoints` wait, when nothing new arrived for `lingerMs` (every handler has
 * handed over its records), or `maxDelayMs` after the oldest waiting point. Up to `maxInFlight`
 * writes run at once. `submit()` resolves once every one of its points was acknowledged or rejected
 * by InfluxDB — only then may the caller commit the Kafka offsets of those records.
 */
import type { Rejection } from './writer';

export interface BatcherOptions<T> {
  maxPoints: number;
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

export class Batcher<T> {
  private buffer: { item: T; ticket: Ticket<T> }[] = [];
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private firstAt = 0;
  private readonly linger: number;
  private readonly maxInFlight: number;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly o: BatcherOptions<T>) {
    this.linger = o.lingerMs ?? 5;
    this.maxInFlight = o.maxInFlight ?? 4;
  }

  /** Points waiting or being written. */
  get pending(): number {
    return this.buffer.length;
  }

  submit(items: T[]): Promise<{ item: T; reason: string }[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const ticket: Ticket<T> = { remaining: items.length, rejected: [], resolve, reject, failed: false };
      if (this.buffer.length === 0) this.firstAt = Date.now();
      for (const item of items) this.buffer.push({ item, ticket });
      this.schedule();
    });
  }

  /** Resolves when nothing waits and no write is in flight. */
  idle(): Promise<void> {
    if (this.buffer.length === 0 && this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private schedule(): void {
    while (this.buffer.length >= this.o.maxPoints && this.inFlight < this.maxInFlight) this.dispatch();
    if (this.buffer.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    const untilMax = this.firstAt + this.o.maxDelayMs - Date.now();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.inFlight < this.maxInFlight) this.dispatch();
      if (this.buffer.length) this.schedule();
    }, Math.max(0, Math.min(this.linger, untilMax)));
  }

  private dispatch(): void {
    if (this.buffer.length === 0) return;
    const batch = this.buffer.splice(0, this.o.maxPoints);
    if (this.buffer.length) this.firstAt = Date.now();
    this.inFlight++;
    this.o
      .write(batch.map((b) => this.o.lineOf(b.item)))
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
        if (this.buffer.length >= this.o.maxPoints) this.schedule();
        else if (this.buffer.length && !this.timer) this.schedule();
        if (this.buffer.length === 0 && this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }
}
