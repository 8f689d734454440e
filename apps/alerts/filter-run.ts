/**
 * The filter runner: one group of filters over the alert stream. Per source batch (one partition of
 * `[<prefix>]alerts`): decode each alert (./filter-decode.ts), test it against every filter of the group,
 * send the selected alerts — the original bytes, key = alertId, headers `visit`, `efd.source.partition`,
 * `efd.source.offset`, and the source record's timestamp (CreateTime: when the producer made the alert, so a
 * consumer's end-to-end time on a filter topic runs from the producer) — to the filters' topics, and only once
 * Kafka acknowledged all of them commit the source offset, with the partition's open visits as the commit's
 * metadata.
 *
 * Which alerts a filter passes is decided so that a restart (kill -9 included) changes nothing:
 *
 * - The cap rule. For a filter with cap C over a source of P partitions, partition p has the quota
 *   q(p) = ⌊C/P⌋ + (p < C mod P ? 1 : 0) (the quotas add up to C); of each visit, the filter passes the
 *   first q(p) distinct alertIds of partition p, in offset order, that its predicate selects. With one source
 *   partition this is: the first C matching alerts of the visit in the order they were produced. The rule
 *   depends on nothing but the partition's records, so any run over them passes the same alerts.
 * - Visits. The visit of an alert is its `visit` header, else diaSource.ccdVisitId's visit. A partition
 *   keeps the state of its last {@link KEPT_VISITS} visits (by visit id); an alert of an older visit once that
 *   many newer ones were seen is late: dropped and counted (alerts_filter_late_records_total).
 * - At-least-once, made exact. Offsets are committed only after the outputs of every record below them
 *   were acknowledged. On a (re)start — or when a batch does not start where the partition's state ended
 *   (a crash of the consumer, a rebalance), or a send failed — the partition's state is rebuilt before the
 *   batch is handled: the committed offset and its metadata (the open visits, when each was first seen, the
 *   time of the commit) are read from the group, and every record the group's output topics received since
 *   the earliest of those times (less {@link READBACK_MARGIN_MS}) is read back: per visit and filter, the
 *   alertIds already passed. The records after the commit are then handled again as the first time, except
 *   that an alert already passed is not sent again and counts towards the quota as it did. So a visit's
 *   outputs are the same whether the runner died between a send and its commit or not: nothing lost (every
 *   record after the commit is handled again), nothing twice (what reached a topic is known), the same cap.
 *
 * Bad records (not Avro, unknown schema, not decodable, no visit) are logged with topic, partition, offset
 * and reason (the first of each reason per minute; all counted in alerts_filter_bad_records_total{reason})
 * and skipped. A registry that does not answer stops the batch (it is read again).
 */
import { Counter, Gauge, Registry as Metrics } from 'prom-client';
import type { BatchContext, ConsumedBatch, ConsumedMessage } from '../lib/kafka-consumer';
import type { OutgoingMessage } from '../lib/kafka';
import type { Logger } from '../lib/logging';
import { visitOf } from './schema';
import type { CompiledFilter } from './filter-lang';
import type { AlertDecoder, BadReason } from './filter-decode';

/** Visits whose state a partition keeps (at a visit every 39 s, about 5 minutes of them). */
export const KEPT_VISITS = 8;
/** Read-back starts this long before the earliest time the commit metadata names (clock steps, another host). */
export const READBACK_MARGIN_MS = 5 * 60_000;

/** Headers of an output record, besides `visit`: where in the source it came from. */
export const SOURCE_PARTITION_HEADER = 'efd.source.partition';
export const SOURCE_OFFSET_HEADER = 'efd.source.offset';

/** Quota of partition `p` of `partitions` for a cap: the quotas of all partitions add up to the cap. */
export function partitionQuota(cap: number, partitions: number, p: number): number {
  return Math.floor(cap / partitions) + (p < cap % partitions ? 1 : 0);
}

/** An output record read back from a filter topic. */
export interface EmittedRecord {
  /** Index of the filter in the group. */
  filter: number;
  /** Source partition (header efd.source.partition). */
  partition: number;
  visit: string;
  alertId: string;
  timestampMs: number;
}

/** A partition's committed offset (undefined: none) and metadata. */
export interface Committed {
  offset: bigint | undefined;
  metadata: string | null;
}

/** What the runner does to Kafka, so that it can run against fakes. */
export interface RunnerIo {
  /** Resolves when Kafka acknowledged every message. */
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  commit(partition: number, offset: bigint, metadata: string): Promise<void>;
  committed(partition: number): Promise<Committed>;
  /** The output records of the group's filters timestamped at or after `fromMs` (-Infinity: all), of source partition `partition`. */
  readBack(fromMs: number, partition: number): Promise<EmittedRecord[]>;
}

export function filterMetrics(registry: Metrics) {
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    get(name, () => new Counter({ name, help, labelNames, registers: [registry] }));
  return {
    records: counter('alerts_filter_records_total', 'Alerts consumed (bad records included)'),
    matched: counter('alerts_filter_matched_total', 'Alerts a filter selected (before the cap)', ['filter']),
    passed: counter('alerts_filter_passed_total', 'Alerts a filter passed to its topic, acknowledged', ['filter']),
    capped: counter('alerts_filter_capped_total', 'Alerts a filter selected beyond its cap of the visit (not passed)', ['filter']),
    replayed: counter(
      'alerts_filter_replayed_total',
      'Alerts handled again after a restart that a filter had passed already (not sent again)',
    ),
    bad: counter('alerts_filter_bad_records_total', 'Records skipped: not Avro, unknown schema, not decodable, no visit', ['reason']),
    late: counter('alerts_filter_late_records_total', `Alerts of a visit older than the ${KEPT_VISITS} a partition keeps (dropped)`),
    rebuilds: counter('alerts_filter_rebuilds_total', 'Partition states rebuilt from the commit and the output topics'),
    rebuildSeconds: get(
      'alerts_filter_rebuild_seconds',
      () => new Gauge({ name: 'alerts_filter_rebuild_seconds', help: 'Duration of the last state rebuild', registers: [registry] }),
    ),
    openVisits: get(
      'alerts_filter_open_visits',
      () => new Gauge({ name: 'alerts_filter_open_visits', help: 'Visits whose state the partitions keep', registers: [registry] }),
    ),
  };
}
export type FilterMetrics = ReturnType<typeof filterMetrics>;

interface VisitState {
  visit: string;
  n: bigint;
  /**
   * When the visit was first seen, or the earliest source timestamp of its records (the outputs carry those),
   * ms: the read-back starts before it.
   */
  firstMs: number;
  /** Per filter, the alertIds passed. */
  passed: Set<string>[];
}

interface PartitionState {
  partition: number;
  /** The offset the next batch should start at (undefined: whatever the consumer starts at). */
  next: bigint | undefined;
  /** Kept visits, ascending by visit id. */
  visits: VisitState[];
  byVisit: Map<string, VisitState>;
  /** Read back but not kept yet: visits the records after the commit will open again. */
  prior: Map<string, { firstMs: number; passed: Set<string>[] }>;
  quotas: number[];
}

/** The commit metadata of a partition (JSON, well under Kafka's 4 KiB). */
export interface CommitMetadata {
  /** Format. */
  f: 1;
  /** Source partitions when committed (the quotas depend on it). */
  p: number;
  /** Kept visits: [visit, first seen ms]. */
  v: [string, number][];
  /** Commit time, ms. */
  c: number;
}

export function parseCommitMetadata(text: string | null): CommitMetadata | undefined {
  if (!text) return undefined;
  try {
    const m = JSON.parse(text) as CommitMetadata;
    if (m.f !== 1 || !Number.isInteger(m.p) || !Array.isArray(m.v) || !Number.isFinite(m.c)) return undefined;
    if (!m.v.every((x) => Array.isArray(x) && typeof x[0] === 'string' && /^\d+$/.test(x[0]) && Number.isFinite(x[1]))) return undefined;
    return m;
  } catch {
    return undefined;
  }
}

export interface FilterRunnerOptions {
  filters: CompiledFilter[];
  /** Output topic of each filter (same order). */
  topics: string[];
  /** The source topic (for logs). */
  source: string;
  /** Partitions of the source topic (the quotas). */
  partitions: () => number;
  decoder: Pick<AlertDecoder, 'prepare' | 'decode'>;
  io: RunnerIo;
  metrics: FilterMetrics;
  logger: Logger;
  /** @default KEPT_VISITS */
  keptVisits?: number;
  now?: () => number;
}

const UNSIGNED = /^\d+$/;

/** A header's value as text (the first, when repeated). */
function headerText(m: ConsumedMessage, name: string): string | undefined {
  const v = m.headers?.[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v[0] : v)?.toString();
}

export class FilterRunner {
  private readonly parts = new Map<number, PartitionState>();
  private readonly logged = new Map<string, { at: number; suppressed: number }>();
  private readonly now: () => number;
  private readonly kept: number;
  private chain: Promise<unknown> = Promise.resolve();
  /** Batches handled, for tests. */
  batches = 0;

  constructor(private readonly o: FilterRunnerOptions) {
    this.now = o.now ?? Date.now;
    this.kept = o.keptVisits ?? KEPT_VISITS;
    if (o.filters.length !== o.topics.length) throw new Error('FilterRunner: one output topic per filter');
  }

  /** Forgets a partition's state: its next batch rebuilds it (after a failed send, a revoked partition). */
  forget(partition: number): void {
    this.parts.delete(partition);
    this.updateOpenVisits();
  }

  private updateOpenVisits(): void {
    let n = 0;
    for (const s of this.parts.values()) n += s.visits.length;
    this.o.metrics.openVisits.set(n);
  }

  private bad(m: ConsumedMessage, partition: number, reason: BadReason, message: string): void {
    this.o.metrics.bad.inc({ reason });
    const t = this.now();
    const l = this.logged.get(reason);
    if (l && l.at + 60_000 > t) {
      l.suppressed++;
      return;
    }
    this.logged.set(reason, { at: t, suppressed: 0 });
    this.o.logger.warn(
      { topic: this.o.source, partition, offset: m.offset, reason, earlierSuppressed: l?.suppressed ?? 0 },
      `${this.o.source} partition ${partition} offset ${m.offset}: ${message} (skipped; ${reason} records are logged once a minute, all counted in alerts_filter_bad_records_total)`,
    );
  }

  /** Rebuilds a partition's state from its commit and the output topics (one rebuild at a time). */
  private rebuild(partition: number): Promise<PartitionState> {
    const run = this.chain.then(() => this.doRebuild(partition));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async doRebuild(partition: number): Promise<PartitionState> {
    const t0 = this.now();
    const committed = await this.o.io.committed(partition);
    const meta = parseCommitMetadata(committed.metadata);
    const partitions = this.o.partitions();
    if (committed.offset !== undefined && !meta) {
      this.o.logger.warn(
        { partition, offset: String(committed.offset), metadata: committed.metadata },
        `${this.o.source} partition ${partition}: the committed offset has no filter metadata; reading every output record back`,
      );
    }
    if (meta && meta.p !== partitions) {
      this.o.logger.warn(
        { partition, was: meta.p, now: partitions },
        `${this.o.source} had ${meta.p} partition(s) at the last commit, ${partitions} now: the per-partition quotas change`,
      );
    }
    const fromMs = meta ? Math.min(meta.c, ...meta.v.map(([, t]) => t)) - READBACK_MARGIN_MS : -Infinity;
    const records = await this.o.io.readBack(fromMs, partition);
    const n = this.o.filters.length;
    const prior = new Map<string, { firstMs: number; passed: Set<string>[] }>();
    for (const r of records) {
      if (r.partition !== partition || r.filter < 0 || r.filter >= n) continue;
      let v = prior.get(r.visit);
      if (!v) prior.set(r.visit, (v = { firstMs: r.timestampMs, passed: Array.from({ length: n }, () => new Set<string>()) }));
      v.firstMs = Math.min(v.firstMs, r.timestampMs);
      v.passed[r.filter].add(r.alertId);
    }
    const s: PartitionState = {
      partition,
      next: committed.offset,
      visits: [],
      byVisit: new Map(),
      prior,
      quotas: this.o.filters.map((f) => partitionQuota(f.cap, partitions, partition)),
    };
    for (const [visit, firstMs] of meta?.v ?? []) {
      const p = prior.get(visit);
      prior.delete(visit);
      const v: VisitState = {
        visit,
        n: BigInt(visit),
        firstMs: Math.min(firstMs, p?.firstMs ?? Infinity),
        passed: p?.passed ?? Array.from({ length: n }, () => new Set<string>()),
      };
      s.visits.push(v);
      s.byVisit.set(visit, v);
    }
    s.visits.sort((a, b) => (a.n < b.n ? -1 : a.n > b.n ? 1 : 0));
    this.parts.set(partition, s);
    this.updateOpenVisits();
    this.o.metrics.rebuilds.inc();
    const seconds = (this.now() - t0) / 1000;
    this.o.metrics.rebuildSeconds.set(seconds);
    this.o.logger.info(
      {
        partition,
        committed: committed.offset === undefined ? null : String(committed.offset),
        openVisits: s.visits.map((v) => v.visit),
        readBack: records.length,
        seconds,
      },
      `${this.o.source} partition ${partition}: state rebuilt from the commit (${s.visits.length} open visit(s)) and ${records.length} output record(s) read back`,
    );
    return s;
  }

  /**
   * The state of a visit in a partition, opened when new; undefined when the visit is late. `stampMs` is the
   * record's timestamp (its outputs carry it): the visit's firstMs is kept at or before it, so a read-back from
   * the commit metadata's times finds every output of the visit even when the filter runs behind the producer.
   */
  private visitState(s: PartitionState, visit: string, stampMs: number): VisitState | undefined {
    const have = s.byVisit.get(visit);
    if (have) {
      if (stampMs < have.firstMs) have.firstMs = stampMs;
      return have;
    }
    const n = BigInt(visit);
    if (s.visits.length >= this.kept && n < s.visits[0].n) return undefined;
    const p = s.prior.get(visit);
    s.prior.delete(visit);
    const v: VisitState = {
      visit,
      n,
      firstMs: Math.min(this.now(), stampMs, p?.firstMs ?? Infinity),
      passed: p?.passed ?? this.o.filters.map(() => new Set<string>()),
    };
    let i = s.visits.length;
    while (i > 0 && s.visits[i - 1].n > n) i--;
    s.visits.splice(i, 0, v);
    s.byVisit.set(visit, v);
    if (s.visits.length > this.kept) s.byVisit.delete(s.visits.shift()!.visit);
    this.updateOpenVisits();
    return v;
  }

  /** The commit metadata of a partition's state. */
  metadataOf(s: Pick<PartitionState, 'visits'>): string {
    const m: CommitMetadata = { f: 1, p: this.o.partitions(), v: s.visits.map((v) => [v.visit, v.firstMs]), c: this.now() };
    return JSON.stringify(m);
  }

  /** Handles one batch of one source partition; resolves once its outputs are acknowledged and its offset committed. */
  async processBatch(batch: ConsumedBatch, ctx?: BatchContext): Promise<void> {
    const { partition, messages } = batch;
    if (messages.length === 0) return;
    const first = BigInt(messages[0].offset);
    let s = this.parts.get(partition);
    if (!s || (s.next !== undefined && s.next !== first)) s = await this.rebuild(partition);
    if (ctx && (!ctx.isRunning() || ctx.isStale())) return;
    if (s.next !== undefined && first > s.next) {
      this.o.logger.warn(
        { partition, expected: String(s.next), got: String(first) },
        `${this.o.source} partition ${partition}: the batch starts at offset ${first}, after the committed ${s.next}; the records between were never handled here`,
      );
    }
    await this.o.decoder.prepare(messages.map((m) => m.value));
    const { filters, metrics, topics } = this.o;
    const out = new Map<number, OutgoingMessage[]>();
    let passed: number[] | undefined;
    let replayed = 0;
    const now = this.now();
    for (const m of messages) {
      if (s.next !== undefined && BigInt(m.offset) < s.next) continue; // handled before the commit
      metrics.records.inc();
      const d = this.o.decoder.decode(m.value);
      if (!d.ok) {
        this.bad(m, partition, d.reason, d.message);
        continue;
      }
      const alert = d.alert;
      const id = alert.alertId;
      if (typeof id !== 'number' && typeof id !== 'bigint') {
        this.bad(m, partition, 'no-alert-id', 'the alert has no alertId');
        continue;
      }
      let visit = headerText(m, 'visit');
      if (visit === undefined || !UNSIGNED.test(visit)) {
        const ccd = (alert.diaSource as { ccdVisitId?: unknown } | null | undefined)?.ccdVisitId;
        visit = typeof ccd === 'number' || typeof ccd === 'bigint' ? String(visitOf(ccd)) : undefined;
      }
      if (visit === undefined) {
        this.bad(m, partition, 'no-visit', 'the alert has neither a visit header nor a diaSource.ccdVisitId');
        continue;
      }
      visit = BigInt(visit).toString();
      // the source record's timestamp (CreateTime) goes on the outputs; without one (-1), the time it was handled
      const ts = Number(m.timestamp);
      const stampMs = Number.isFinite(ts) && ts >= 0 ? ts : now;
      const v = this.visitState(s, visit, stampMs);
      if (!v) {
        metrics.late.inc();
        continue;
      }
      const alertId = String(id);
      let msg: OutgoingMessage | undefined;
      for (let i = 0; i < filters.length; i++) {
        if (!filters[i].test(alert)) continue;
        metrics.matched.inc({ filter: filters[i].name });
        const done = v.passed[i];
        if (done.has(alertId)) {
          replayed++;
          continue;
        }
        if (done.size >= s.quotas[i]) {
          metrics.capped.inc({ filter: filters[i].name });
          continue;
        }
        done.add(alertId);
        msg ??= {
          key: alertId,
          value: m.value,
          headers: { visit, [SOURCE_PARTITION_HEADER]: String(partition), [SOURCE_OFFSET_HEADER]: m.offset },
          timestamp: stampMs,
        };
        let list = out.get(i);
        if (!list) out.set(i, (list = []));
        list.push(msg);
        (passed ??= new Array<number>(filters.length).fill(0))[i]++;
      }
    }
    if (replayed) metrics.replayed.inc(replayed);
    try {
      await Promise.all([...out].map(([i, list]) => this.o.io.send(topics[i], list)));
    } catch (err) {
      // what reached the topics is not known: the next batch of the partition rebuilds from them
      this.forget(partition);
      throw err;
    }
    if (passed) for (let i = 0; i < filters.length; i++) if (passed[i]) metrics.passed.inc({ filter: filters[i].name }, passed[i]);
    const next = BigInt(messages[messages.length - 1].offset) + 1n;
    s.next = next;
    this.batches++;
    if (ctx && (!ctx.isRunning() || ctx.isStale())) {
      // not ours any more (or stopping): our state stays right for what we did, but the commit is the next owner's
      return;
    }
    try {
      await this.o.io.commit(partition, next, this.metadataOf(s));
    } catch (err) {
      // the state is right for what was sent; the next batch's commit covers this one (a restart before it
      // handles these records again, which the read-back makes harmless)
      this.o.logger.warn(
        { partition, offset: String(next), err: (err as Error).message },
        `${this.o.source} partition ${partition}: committing offset ${next} failed (${(err as Error).message}); the next commit covers it`,
      );
    }
  }
}
