/**
 * Writes line-protocol batches to InfluxDB 1.8's `/api/v2/write` through @influxdata/influxdb-client's
 * transport (keep-alive agent, token header `Token user:password`, bucket `db/rp`, org `-`).
 *
 *  - transient failures (no answer, timeout, 5xx, 429, 401/403/404 while the operator fixes auth or
 *    creates the database) are retried with exponential backoff, forever until the sink stops —
 *    nothing is dropped because InfluxDB is away. Such an outage is logged once when it starts and
 *    once when it ends (its duration, the points held meanwhile), and reported to `onOutage` (metrics);
 *  - a 400 (unparsable point, field type conflict, partial write) rejects specific points: the batch is
 *    bisected until the offending points are isolated, and those are returned with InfluxDB's message
 *    (the rest is written; rewriting a point that was already written is idempotent);
 *  - 413 (request too large) splits the batch.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { HttpError, InfluxDB } from '@influxdata/influxdb-client';
import type { Logger } from '../lib/logging';
import { retry } from '../lib/retry';

export interface WriterOptions {
  url: string;
  database: string;
  /** @default the database's default retention policy */
  retentionPolicy?: string;
  /** `user:password` (InfluxDB 1.8 with auth) or any non-empty string. @default 'efd:efd' */
  token?: string;
  /** Per-request timeout. @default 30 s */
  timeoutMs?: number;
  /** Concurrent requests (HTTP sockets). @default 4 */
  maxSockets?: number;
  /** First retry delay, doubled up to maxBackoffMs. @default 250 ms */
  initialBackoffMs?: number;
  /** @default 10 s */
  maxBackoffMs?: number;
  logger?: Logger;
  /** Stops retrying: a failing write then rejects with WriteAbortedError (healthy writes complete). */
  signal?: AbortSignal;
  /** Called after each HTTP write attempt (metrics). */
  onAttempt?: (r: { ok: boolean; points: number; seconds: number; status?: number; kind?: 'transient' | 'rejected' }) => void;
  /** Called when InfluxDB stops answering writes, while it is away (the points held change), and when it answers again. */
  onOutage?: (o: OutageEvent) => void;
}

/** An InfluxDB outage as the writer sees it: writes fail transiently and are held (retried) until it answers. */
export interface OutageEvent {
  /** `caught-up`: after the end, a write held during the outage went through (`heldPoints` fell). */
  state: 'started' | 'ongoing' | 'ended' | 'caught-up';
  /** Epoch ms of the first failed write. */
  sinceMs: number;
  /** Points in writes waiting for InfluxDB now. */
  heldPoints: number;
  /** Most points held at once during this outage. */
  peakHeldPoints: number;
  /** Failed write attempts during this outage. */
  failedAttempts: number;
  /** With `ended`: how long writes failed. */
  seconds?: number;
  /** The first error of the outage. */
  error: string;
}

export interface Rejection {
  index: number;
  reason: string;
}

export class WriteAbortedError extends Error {
  constructor(message = 'write aborted: the sink is stopping') {
    super(message);
    this.name = 'WriteAbortedError';
  }
}

function describe(err: unknown): { status?: number; message: string } {
  if (err instanceof HttpError) {
    const m =
      (err.json as { message?: string; error?: string } | undefined)?.message ??
      (err.json as { error?: string } | undefined)?.error ??
      err.body ??
      err.message;
    return { status: err.statusCode, message: `HTTP ${err.statusCode}: ${String(m).trim()}` };
  }
  const e = err as Error & { code?: string; cause?: { code?: string } };
  return { message: e.code ?? e.cause?.code ?? e.message ?? String(err) };
}

export class InfluxWriter {
  private readonly influx: InfluxDB;
  private readonly path: string;
  private readonly opts: WriterOptions;
  /** Since when writes fail (health, logs); undefined while healthy. */
  failingSince: number | undefined;
  /** Points waiting for InfluxDB now, as the caller counts them (the sink: every point handed over and not acknowledged); default: those of the writes being retried. */
  pendingPoints: (() => number) | undefined;
  /** Points of the writes being retried now. */
  private held = 0;
  private outage: Omit<OutageEvent, 'state' | 'heldPoints' | 'seconds'> | undefined;
  private lastOutage: Omit<OutageEvent, 'state' | 'heldPoints' | 'seconds'> | undefined;

  constructor(opts: WriterOptions) {
    this.opts = opts;
    const agentOpts = { keepAlive: true, maxSockets: opts.maxSockets ?? 4 };
    const agent = opts.url.startsWith('https:') ? new https.Agent(agentOpts) : new http.Agent(agentOpts);
    this.influx = new InfluxDB({
      url: opts.url,
      token: opts.token ?? 'efd:efd',
      timeout: opts.timeoutMs ?? 30_000,
      transportOptions: { agent },
    });
    const bucket = opts.retentionPolicy ? `${opts.database}/${opts.retentionPolicy}` : opts.database;
    this.path = `/api/v2/write?org=-&bucket=${encodeURIComponent(bucket)}&precision=us`;
  }

  /** One POST; throws the client's error. */
  async post(body: string): Promise<void> {
    await this.influx.transport.request(this.path, body, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }

  /** Writes `lines`; resolves with the points InfluxDB refused (by index), after retrying transient failures. */
  async write(lines: string[]): Promise<Rejection[]> {
    return this.writeRange(lines, 0, lines.length);
  }

  private async writeRange(lines: string[], from: number, to: number): Promise<Rejection[]> {
    const points = to - from;
    let t0 = process.hrtime.bigint();
    // One POST: written, refused (the points to report), or to be split in halves (each written on its own).
    const attempt = async (): Promise<Rejection[] | 'split'> => {
      t0 = process.hrtime.bigint();
      const sentAt = Date.now();
      try {
        await this.post(from === 0 && to === lines.length ? lines.join('\n') : lines.slice(from, to).join('\n'));
      } catch (err) {
        const { status, message } = describe(err);
        if (status === 400 || status === 422) {
          this.opts.onAttempt?.({ ok: false, points, seconds: Number(process.hrtime.bigint() - t0) / 1e9, status, kind: 'rejected' });
          return points === 1 ? [{ index: from, reason: message }] : 'split';
        }
        if (status === 413 && points > 1) return 'split';
        throw err;
      }
      this.opts.onAttempt?.({ ok: true, points, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
      this.outageEnded(sentAt);
      return [];
    };
    let holding = false;
    const backoff = {
      initialDelayMs: this.opts.initialBackoffMs ?? 250,
      maxDelayMs: this.opts.maxBackoffMs ?? 10_000,
      signal: this.opts.signal,
      abortedError: () => new WriteAbortedError(),
    };
    let written: Rejection[] | 'split';
    try {
      written = await retry(attempt, backoff, (err, { attempt: n, delayMs }) => {
        const { status, message } = describe(err);
        this.opts.onAttempt?.({ ok: false, points, seconds: Number(process.hrtime.bigint() - t0) / 1e9, status, kind: 'transient' });
        if (!holding) {
          holding = true;
          this.held += points;
        }
        this.outageAttempt(message, status);
        this.opts.logger?.debug(
          { attempt: n, retryInMs: delayMs, points, err: message },
          `InfluxDB write failed (${message}); retrying in ${delayMs} ms`,
        );
      });
    } finally {
      if (holding) {
        this.held -= points;
        const o = this.outage ?? this.lastOutage;
        if (o)
          this.opts.onOutage?.({
            ...o,
            state: this.outage ? 'ongoing' : 'caught-up',
            heldPoints: this.outage ? this.heldNow() : this.held,
          });
      }
    }
    if (written !== 'split') return written;
    const mid = from + Math.ceil(points / 2);
    return [...(await this.writeRange(lines, from, mid)), ...(await this.writeRange(lines, mid, to))];
  }

  /** A transient failure: the first one starts the outage (logged once), the others count in it. */
  private outageAttempt(message: string, status: number | undefined): void {
    if (!this.outage) {
      this.failingSince = Date.now();
      this.outage = { sinceMs: this.failingSince, peakHeldPoints: this.heldNow(), failedAttempts: 1, error: message };
      this.opts.logger?.warn(
        { err: message, status, heldPoints: this.heldNow(), maxBackoffMs: this.opts.maxBackoffMs ?? 10_000 },
        `InfluxDB does not take writes (${message}): holding the points and retrying with backoff until it does (nothing is committed meanwhile)`,
      );
      this.opts.onOutage?.({ ...this.outage, state: 'started', heldPoints: this.heldNow() });
      return;
    }
    this.outage.failedAttempts++;
    this.outage.peakHeldPoints = Math.max(this.outage.peakHeldPoints, this.heldNow());
    this.opts.onOutage?.({ ...this.outage, state: 'ongoing', heldPoints: this.heldNow() });
  }

  private heldNow(): number {
    return Math.max(this.held, this.pendingPoints?.() ?? 0);
  }

  /**
   * A write sent at `sentAt` succeeded: an outage in progress ends (logged once, with its duration and the
   * points it held) — unless the write was sent before the outage began: a write in flight when InfluxDB
   * went away may still be answered, and says nothing about InfluxDB now (it flapped the log: started,
   * ended after 0.0 s, started again).
   */
  private outageEnded(sentAt: number): void {
    const o = this.outage;
    if (!o || sentAt < o.sinceMs) return;
    this.outage = undefined;
    this.lastOutage = o;
    this.failingSince = undefined;
    const seconds = (Date.now() - o.sinceMs) / 1000;
    this.opts.logger?.info(
      { downForS: Number(seconds.toFixed(1)), peakHeldPoints: o.peakHeldPoints, failedAttempts: o.failedAttempts, err: o.error },
      `InfluxDB takes writes again after ${seconds.toFixed(1)} s (${o.error}): up to ${o.peakHeldPoints} points were held, ${o.failedAttempts} attempts failed; catching up`,
    );
    this.opts.onOutage?.({ ...o, state: 'ended', heldPoints: this.held, seconds });
  }
}
