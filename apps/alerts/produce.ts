/**
 * `efd alerts produce` without its CLI: the alerts of each visit (generated, or read from Avro object
 * container files) encoded once with the compiled alert type in the Confluent wire format and sent through
 * {@link BatchSender}s, visit k starting at t0 + k · interval (the seed's cadence: 10,000 alerts every 39 s).
 *
 * Each record: key = alertId (decimal), value = the alert, header `visit` = the visit id (from
 * diaSource.ccdVisitId), timestamp = when the alert was made or read (what a consumer's end-to-end time is
 * measured from). The partition is chosen here as the Java client's default partitioner would (murmur2 of the
 * key), so several producers can each own a share of the partitions (one idempotent producer per partition).
 */
import { compatibilityPartitioner } from '@platformatic/kafka';
import { BadInputError } from '../lib/exit-codes';
import type { BatchSender, OutgoingMessage } from '../lib/kafka';
import { MAGIC_BYTE, WIRE_HEADER_BYTES } from '../lib/registry';
import { sleep } from '../lib/retry';
import { readAvroFile } from './avro-file';
import { AlertGenerator } from './generate';
import { Alert, AlertSchemaError, alertType, validateAlert, visitOf } from './schema';

/** Alerts handed to the senders at a time (the event loop then runs, so requests go out while the rest are made). */
export const SEND_CHUNK = 500;
/** Alerts made and encoded (not sent) before the first visit. */
const WARM_UP_ALERTS = 3000;
/** Bytes of one encoding slab: alerts are encoded back to back into it and sent as views of it. */
const SLAB_BYTES = 8 << 20;

/** One visit's alerts, as a source gives them. */
export interface VisitAlerts {
  /** What the visit is called in the report (the generator's visit id, or the file). */
  label: string;
  /** The visit id of the first alert's ccdVisitId, when known before reading. */
  visit?: number;
  alerts: Iterable<Alert> | Promise<Alert[]>;
}

/** Where the alerts of visit k come from. */
export interface AlertSource {
  /** How many visits it has (Infinity: until stopped). */
  readonly visits: number;
  visit(index: number, startMs: number): VisitAlerts;
  /** Runs its code once before the first visit (JIT), sending nothing. */
  warmUp?(): void;
}

/** Visits of the seeded generator. */
export function generatedSource(gen: AlertGenerator, visits = Infinity): AlertSource {
  return {
    visits,
    warmUp() {
      // a throwaway visit, made and encoded but not sent: the first real visit runs compiled code
      const type = alertType();
      const slab = Buffer.allocUnsafe(SLAB_BYTES);
      const spare = new AlertGenerator({
        seed: gen.seed,
        alertsPerVisit: Math.min(WARM_UP_ALERTS, gen.alertsPerVisit),
        cutouts: gen.cutouts,
      });
      let pos = 0;
      for (const a of spare.alerts(spare.visit(-1, Date.now()))) {
        const end = type.encode(a, slab, pos);
        pos = end < 0 ? 0 : end;
        partitionOf(Buffer.from(String(a.alertId)), 10);
      }
    },
    visit(index, startMs) {
      const plan = gen.visit(index, startMs);
      return { label: String(plan.visit), visit: plan.visit, alerts: gen.alerts(plan) };
    },
  };
}

/** The records of a file as alerts; throws naming the file, the alert and the field path of the first mismatch. */
export async function readAlertFile(file: string): Promise<Alert[]> {
  const records = await readAvroFile(file);
  records.forEach((r, i) => {
    try {
      validateAlert(r);
    } catch (err) {
      if (!(err instanceof AlertSchemaError)) throw err;
      const id = (r as { alertId?: unknown })?.alertId;
      throw new BadInputError(
        `--from-avro ${file}: alert ${i + 1} of ${records.length}${typeof id === 'number' || typeof id === 'bigint' ? ` (alertId ${id})` : ''} ` +
          `does not match the alert schema (lsst.alert v1.0, apps/alerts/schema.ts): ${err.message}`,
        { cause: err },
      );
    }
  });
  return records as Alert[];
}

/**
 * Visits from Avro files: visit k is file k mod n (each file one visit, as the seed's producer read them),
 * at most `cap` alerts of it. Every file is read and validated by {@link checkAlertFiles} first.
 */
export function fileSource(files: readonly string[], cap: number, visits = files.length): AlertSource {
  if (files.length === 0) throw new BadInputError('--from-avro: no files given');
  return {
    visits,
    visit(index) {
      const file = files[index % files.length];
      return { label: file, alerts: readAlertFile(file).then((a) => (a.length > cap ? a.slice(0, cap) : a)) };
    },
  };
}

/** Reads and validates every file (nothing is produced from a set with a bad alert); resolves with their alert counts. */
export async function checkAlertFiles(files: readonly string[]): Promise<number[]> {
  const counts: number[] = [];
  for (const f of files) counts.push((await readAlertFile(f)).length);
  return counts;
}

/** Where a visit's alerts go. */
export interface AlertSink {
  topic: string;
  /** Schema id of the alert schema under the topic's subject. */
  schemaId: number;
  /** The topic's partition count. */
  partitions: number;
  /** One sender per producer: partition p goes through senders[p % senders.length]. */
  senders: readonly Pick<BatchSender, 'send'>[];
}

/** What one visit did. */
export interface VisitReport {
  index: number;
  label: string;
  /** Visit id of the first alert (its ccdVisitId's visit). */
  visit: number | undefined;
  alerts: number;
  /** When the visit was due to start (ms). */
  scheduledMs: number;
  /** When the first alert was made or read (ms). */
  firstMs: number;
  /** When the last alert was made and handed to the producers (ms). */
  submittedMs: number;
  /** When the last alert was acknowledged by Kafka (ms). */
  lastAckMs: number;
  /** lastAck − first, seconds. */
  produceS: number;
  bytes: number;
}

/** The partition of a key as the Java client's (and kafkajs') default partitioner puts it. */
export function partitionOf(key: Buffer, partitions: number): number {
  return compatibilityPartitioner(undefined as never, key) % partitions;
}

/**
 * Encodes the alerts of one visit and sends them; resolves when Kafka acknowledged every one. `now` is the
 * clock (ms) of the report's times.
 */
export async function sendVisit(
  alerts: VisitAlerts['alerts'],
  sink: AlertSink,
  now: () => number = Date.now,
): Promise<Omit<VisitReport, 'index' | 'label' | 'scheduledMs'>> {
  const type = alertType();
  const firstMs = now();
  const list = await alerts;
  const lanes = sink.senders.length;
  let chunks: OutgoingMessage[][] = Array.from({ length: lanes }, () => []);
  const acks: Promise<void>[] = [];
  let slab = Buffer.allocUnsafe(SLAB_BYTES);
  let pos = 0;
  let count = 0;
  let bytes = 0;
  let visit: number | undefined;
  let headersOf: number | undefined;
  let headers: OutgoingMessage['headers'] = {};
  let stamp = now();
  const flush = () => {
    for (let i = 0; i < lanes; i++) if (chunks[i].length) acks.push(sink.senders[i].send(sink.topic, chunks[i]));
    chunks = Array.from({ length: lanes }, () => []);
  };
  for (const alert of list) {
    let end = type.encode(alert, slab, pos + WIRE_HEADER_BYTES);
    if (end < 0) {
      // the slab is full: the next one (an alert larger than a slab gets a buffer of its own)
      const body = type.toBuffer(alert);
      slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, body.length + WIRE_HEADER_BYTES));
      pos = 0;
      body.copy(slab, WIRE_HEADER_BYTES);
      end = WIRE_HEADER_BYTES + body.length;
    }
    slab[pos] = MAGIC_BYTE;
    slab.writeUInt32BE(sink.schemaId, pos + 1);
    const value = slab.subarray(pos, end);
    pos = end;
    const key = Buffer.from(String(alert.alertId));
    const v = visitOf(alert.diaSource.ccdVisitId);
    visit ??= v;
    if (v !== headersOf) headers = { visit: String((headersOf = v)) };
    const partition = partitionOf(key, sink.partitions);
    chunks[partition % lanes].push({ key, value, partition, timestamp: stamp, headers });
    bytes += value.length;
    if (++count % SEND_CHUNK === 0) {
      flush();
      await new Promise((r) => setImmediate(r));
      stamp = now();
    }
  }
  flush();
  const submittedMs = now();
  await Promise.all(acks);
  const lastAckMs = now();
  return { visit, alerts: count, firstMs, submittedMs, lastAckMs, produceS: (lastAckMs - firstMs) / 1000, bytes };
}

export interface ProduceRun {
  source: AlertSource;
  sink: AlertSink;
  /** Visit k is due at t0 + k · intervalMs. */
  intervalMs: number;
  /** Stops before the next visit (SIGTERM). */
  signal?: AbortSignal;
  /** Called with each visit's report as it is done. */
  onVisit?: (r: VisitReport) => void;
  now?: () => number;
}

/** Sends the source's visits on the cadence; resolves with every visit's report (fewer when stopped). */
export async function produceVisits(run: ProduceRun): Promise<VisitReport[]> {
  const now = run.now ?? Date.now;
  run.source.warmUp?.();
  const t0 = now();
  const reports: VisitReport[] = [];
  for (let k = 0; k < run.source.visits; k++) {
    const due = t0 + k * run.intervalMs;
    // A timer can fire a millisecond before the wall clock reaches `due` (timers run on a monotonic clock):
    // wait again until it has, so no visit starts before its slot.
    for (let wait = due - now(); wait > 0 && !run.signal?.aborted; wait = due - now()) {
      await sleep(wait, run.signal).catch(() => undefined);
    }
    if (run.signal?.aborted) break;
    const v = run.source.visit(k, due);
    const r = await sendVisit(v.alerts, run.sink, now);
    const report: VisitReport = { index: k, label: v.label, scheduledMs: due, ...r, visit: r.visit ?? v.visit };
    reports.push(report);
    run.onVisit?.(report);
  }
  return reports;
}

/** Seconds since the epoch with milliseconds, as the seed's status lines print times. */
export function epochSeconds(ms: number): string {
  return (ms / 1000).toFixed(3);
}

/**
 * A visit's line on stdout, as the seed's producer reported a visit: `visit:…, index:…, alerts:…, bytes:…, first:…`
 * (the first alert made or read), `submitted:…` (the last handed to Kafka), `last_ack:…` (the last acknowledged),
 * `produce_s:…` (last_ack − first), and `late_s:…` when the visit started more than 0.1 s after its time.
 */
export function visitLine(r: VisitReport): string {
  const late = r.firstMs - r.scheduledMs;
  return [
    `visit:${r.visit ?? r.label}`,
    `index:${r.index}`,
    `alerts:${r.alerts}`,
    `bytes:${r.bytes}`,
    `first:${epochSeconds(r.firstMs)}`,
    `submitted:${epochSeconds(r.submittedMs)}`,
    `last_ack:${epochSeconds(r.lastAckMs)}`,
    `produce_s:${r.produceS.toFixed(3)}`,
    ...(late > 100 ? [`late_s:${(late / 1000).toFixed(3)}`] : []),
  ].join(', ');
}

/** The fields of a `key:value, key:value` status line (values without ", "). */
export function lineFields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of line.split(', ')) {
    const i = part.indexOf(':');
    if (i > 0) out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/** A {@link visitLine} read back (what a program running `efd alerts produce` gets); undefined for another line. */
export function parseVisitLine(
  line: string,
): (Omit<VisitReport, 'label' | 'scheduledMs' | 'visit'> & { visit: string; lateS?: number }) | undefined {
  const f = lineFields(line.trim());
  const ms = (k: string) => Math.round(Number(f[k]) * 1000);
  if (f.visit === undefined || f.index === undefined || f.last_ack === undefined) return undefined;
  const r = {
    visit: f.visit,
    index: Number(f.index),
    alerts: Number(f.alerts),
    bytes: Number(f.bytes),
    firstMs: ms('first'),
    submittedMs: ms('submitted'),
    lastAckMs: ms('last_ack'),
    produceS: Number(f.produce_s),
    ...(f.late_s !== undefined ? { lateS: Number(f.late_s) } : {}),
  };
  return Object.values(r).every((v) => typeof v === 'string' || Number.isFinite(v)) ? r : undefined;
}
