/**
 * The aggregator's topic following: the telemetry topics are listed (at start and every topic refresh)
 * and, when the list changed or the consumer does not run, the consumer is replaced by one on the new
 * list (same group: the committed offsets and their window state carry over).
 *
 *  - the old consumer is closed, not only stopped, before the new one starts: it leaves the group and
 *    its admin connection is closed (a stopped AggregatorConsumer kept its admin connection open, which
 *    kept the process alive after its shutdown);
 *  - one refresh at a time: a refresh asked for while one runs joins it (the interval does not wait for
 *    a slow group join; two overlapping refreshes could both start a consumer, two members of the group
 *    in one process, one of them never closed);
 *  - once closed, no refresh starts a consumer: close() waits for the refresh under way, then closes
 *    the consumer it has (the process exits after SIGTERM).
 */

/** What the follower needs of a consumer (AggregatorConsumer fits). */
export interface FollowedConsumer {
  readonly running: boolean;
  start(topics: string[]): Promise<void>;
  /** Leaves the group and releases every connection. */
  close(): Promise<void>;
}

export interface TopicFollowerOptions<C extends FollowedConsumer> {
  /** The topics to consume now (any order). */
  list(): Promise<string[]>;
  /** A new consumer (not started). */
  create(): C;
  /** The consumer is about to be replaced for `topics` (logs). */
  onChange?(topics: string[]): void;
}

export class TopicFollower<C extends FollowedConsumer> {
  private current: C | undefined;
  private list: string[] = [];
  private inFlight: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly o: TopicFollowerOptions<C>) {}

  /** The consumer (while one is open; the old one while it is being replaced). */
  get consumer(): C | undefined {
    return this.current;
  }

  /** The topics consumed (or being started). */
  get topics(): string[] {
    return [...this.list];
  }

  /** Lists the topics and replaces the consumer if needed; rejects when listing or the start failed (the next refresh tries again). */
  refresh(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.step().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  private async step(): Promise<void> {
    if (this.closed) return;
    const next = [...new Set(await this.o.list())].sort();
    if (this.closed) return;
    const same = next.length === this.list.length && next.every((t, i) => t === this.list[i]);
    if (same && (this.current?.running || next.length === 0)) return;
    this.o.onChange?.(next);
    // the old consumer keeps serving its last batches (their commits) until it is closed
    const old = this.current;
    if (old) await old.close();
    this.current = undefined;
    this.list = next;
    if (next.length === 0 || this.closed) return;
    const c = this.o.create();
    // kept when the start fails: the next refresh closes it before it makes another
    this.current = c;
    await c.start(next);
  }

  /** Starts no consumer any more, waits for the refresh under way, then closes the consumer. */
  async close(): Promise<void> {
    this.closed = true;
    await this.inFlight?.catch(() => undefined);
    const c = this.current;
    this.current = undefined;
    await c?.close();
  }
}
