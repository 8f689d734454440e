/**
 * The aggregator's shell around the pure core (./window.ts, ./schema.ts): per partition batch, decode
 * (the source schema from the registry), window, emit the closed windows to `lsst.efd.agg.<topic>` (same
 * partition as the source, Avro with the derived schema registered under `<out topic>-value`), and only
 * once Kafka acknowledged them return the commit (offset of the oldest open window + the watermark as
 * metadata). A partition whose batch does not start where its state ended (restart, rebalance) is
 * rebuilt from the group's committed offset and metadata.
 *
 * Bad input never stops it: a schema that cannot be aggregated (no numeric field, not telemetry, an
 * aggregated schema the registry refuses), a record that does not decode or has no time → logged with
 * the topic and reason (once a minute per topic and reason), counted in
 * aggregator_bad_records_total{topic,reason}, skipped.
 */
import { Schema as AvscSchema } from 'avsc';
import { avroType } from '../lib/avro-type';
import { Counter, Gauge, Registry as Metrics } from 'prom-client';
import { aggregatedTopicOf, SAL_TOPIC_INFIX } from '../../config/names';
import type { BatchSender, OutgoingMessage } from '../lib/kafka';
import type { Logger } from '../lib/logging';
import { Registry, WIRE_HEADER_BYTES, wireEncoder } from '../lib/registry';
import { aggregationPlan, AggregationPlan, PlanError, PlanOptions } from './schema';
import { parseSnapshot, PartitionAggregator, recordTimeMs } from './window';
import type { Committed, PartitionBatch } from './consumer';

export function aggregatorMetrics(registry: Metrics) {
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  return {
    records: get(
      'aggregator_records_total',
      () => new Counter({ name: 'aggregator_records_total', help: 'Source records consumed', registers: [registry] }),
    ),
    samples: get(
      'aggregator_samples_total',
      () =>
        new Counter({
          name: 'aggregator_samples_total',
          help: 'Numeric field values aggregated (array elements each)',
          registers: [registry],
        }),
    ),
    windows: get(
      'aggregator_windows_emitted_total',
      () =>
        new Counter({
          name: 'aggregator_windows_emitted_total',
          help: 'Aggregated records produced and acknowledged',
          registers: [registry],
        }),
    ),
    late: get(
      'aggregator_late_records_total',
      () =>
        new Counter({
          name: 'aggregator_late_records_total',
          help: 'Records later than the grace (their window was closed): dropped',
          labelNames: ['topic'],
          registers: [registry],
        }),
    ),
    bad: get(
      'aggregator_bad_records_total',
      () =>
        new Counter({
          name: 'aggregator_bad_records_total',
          help: 'Records skipped: schema not aggregatable, decode failure, no time, ...',
          labelNames: ['topic', 'reason'],
          registers: [registry],
        }),
    ),
    replayed: get(
      'aggregator_replayed_records_total',
      () =>
        new Counter({
          name: 'aggregator_replayed_records_total',
          help: 'Records read again after a restart whose window had already been emitted (skipped)',
          registers: [registry],
        }),
    ),
    openWindows: get(
      'aggregator_open_windows',
      () => new Gauge({ name: 'aggregator_open_windows', help: 'Windows waiting for the watermark', registers: [registry] }),
    ),
  };
}
export type AggregatorMetrics = ReturnType<typeof aggregatorMetrics>;

export type BadReason = PlanError['reason'] | 'not-avro' | 'unknown-schema' | 'decode' | 'no-time' | 'schema-register';

interface Prepared {
  plan: AggregationPlan;
  decode: (b: Buffer) => Record<string, unknown>;
  /** Number of numeric samples of a decoded record. */
  samplesOf: (v: Record<string, unknown>) => number;
}
interface Failed {
  reason: BadReason;
  message: string;
  until: number;
}

export interface AggregatorOptions {
  /** Decodes the source records (at an aggregator site: the source's registry). */
  sourceRegistry: Pick<Registry, 'schema'>;
  /** Where the aggregated schemas are registered. */
  outRegistry: Pick<Registry, 'register'>;
  sender: Pick<BatchSender, 'send'>;
  metrics: AggregatorMetrics;
  logger: Logger;
  graceMs: number;
  plan?: PlanOptions;
  /** Committed offset and metadata of a partition (the consumer's group). */
  committed: (topic: string, partition: number) => Promise<Committed>;
  /** Makes sure the output topic exists with as many partitions as its source. */
  ensureTopic: (outTopic: string, sourceTopic: string) => Promise<void>;
  /** How long a schema that failed (e.g. registration refused) is skipped before it is tried again. @default 60 s */
  recheckMs?: number;
  now?: () => number;
}

/** Whether a whole-name-selected topic is aggregated: a SAL telemetry topic (by its name; the schema says so again). */
export function isTelemetryTopicName(topic: string, kindOf: (efdbTopic: string) => string): boolean {
  const out = aggregatedTopicOf(topic);
  if (!out) return false;
  const efdb = topic.slice(topic.indexOf(SAL_TOPIC_INFIX) + SAL_TOPIC_INFIX.length);
  return kindOf(efdb) === 'telemetry';
}

export class Aggregator {
  private readonly prepared = new Map<number, Prepared | Failed>();
  private readonly outputs = new Map<string, { id: number; encode: (v: unknown) => Buffer } | Failed>();
  private readonly parts = new Map<string, PartitionAggregator>();
  private readonly logged = new Map<string, number>();
  private readonly now: () => number;
  private readonly recheckMs: number;

  constructor(private readonly o: AggregatorOptions) {
    this.now = o.now ?? Date.now;
    this.recheckMs = o.recheckMs ?? 60_000;
  }

  get openWindows(): number {
    let n = 0;
    for (const p of this.parts.values()) n += p.openWindows;
    return n;
  }

  private bad(topic: string, reason: BadReason, message: string, n = 1): void {
    this.o.metrics.bad.inc({ topic, reason }, n);
    const k = `${topic}\u0000${reason}`;
    const t = this.now();
    if ((this.logged.get(k) ?? -Infinity) + 60_000 <= t) {
      this.logged.set(k, t);
      this.o.logger.warn({ topic, reason }, `${topic}: ${message} (skipped; counted in aggregator_bad_records_total)`);
    }
  }

  private async prepare(id: number): Promise<Prepared | Failed> {
    const have = this.prepared.get(id);
    if (have && ('plan' in have || have.until > this.now())) return have;
    let p: Prepared | Failed;
    try {
      const schema = await this.o.sourceRegistry.schema(id);
      const plan = aggregationPlan(schema, this.o.plan);
      const type = avroType(schema);
      const stats = plan.stats;
      p = {
        plan,
        decode: (b) => type.fromBuffer(b.subarray(WIRE_HEADER_BYTES)) as Record<string, unknown>,
        samplesOf: (v) => {
          let n = 0;
          for (const f of stats) {
            const x = v[f.name];
            n += Array.isArray(x) ? x.length : x === null || x === undefined ? 0 : 1;
          }
          return n;
        },
      };
    } catch (err) {
      const e = err as { status?: number; message: string };
      if (err instanceof PlanError) p = { reason: err.reason, message: err.message, until: Infinity };
      else if (e.status === 404) p = { reason: 'unknown-schema', message: e.message, until: this.now() + this.recheckMs };
      else throw err; // registry unreachable: the batch is retried, nothing committed
    }
    this.prepared.set(id, p);
    return p;
  }

  private async output(outTopic: string, sourceTopic: string, id: number, plan: AggregationPlan) {
    const k = `${outTopic}\u0000${id}`;
    const have = this.outputs.get(k);
    if (have && ('id' in have || have.until > this.now())) return have;
    let r: { id: number; encode: (v: unknown) => Buffer } | Failed;
    try {
      const outId = await this.o.outRegistry.register(`${outTopic}-value`, plan.schema as unknown as AvscSchema);
      await this.o.ensureTopic(outTopic, sourceTopic);
      r = { id: outId, encode: wireEncoder(outId, avroType(plan.schema as unknown as AvscSchema)) };
      this.o.logger.info({ topic: outTopic, schemaId: outId, source: sourceTopic }, `aggregated schema ${outId} for ${outTopic}`);
    } catch (err) {
      const e = err as { status?: number; message: string };
      if (e.status === 409 || e.status === 422)
        r = {
          reason: 'schema-register',
          message: `registering the aggregated schema failed: ${e.message}`,
          until: this.now() + this.recheckMs,
        };
      else throw err;
    }
    this.outputs.set(k, r);
    return r;
  }

  private async partitionState(topic: string, partition: number, first: bigint): Promise<PartitionAggregator> {
    const key = `${topic}\u0000${partition}`;
    const have = this.parts.get(key);
    if (have && have.nextOffset === first) return have;
    const c = await this.o.committed(topic, partition);
    const restore = c.offset >= 0n ? parseSnapshot(c.metadata) : undefined;
    if (have || restore)
      this.o.logger.info(
        { topic, partition, from: first.toString(), committed: c.offset.toString(), watermark: restore?.wm },
        `${topic}/${partition}: rebuilding the open windows from offset ${first}`,
      );
    const agg = new PartitionAggregator({
      graceMs: this.o.graceMs,
      planOf: (id) => (this.prepared.get(id) as Prepared).plan,
      startOffset: first,
      restore,
    });
    this.parts.set(key, agg);
    return agg;
  }

  /** One partition batch; resolves once the emitted windows are acknowledged, with the commit to make. */
  async processBatch(batch: PartitionBatch): Promise<{ offset: string; metadata: string; emitted: number }> {
    const { topic, partition, messages } = batch;
    const m = this.o.metrics;
    const outTopic = aggregatedTopicOf(topic);
    if (!outTopic) throw new Error(`${topic} is not a SAL topic (lsst.sal.*): it cannot be aggregated`);
    const ids = new Set<number>();
    for (const msg of messages) {
      const v = msg.value;
      if (v && v.length >= WIRE_HEADER_BYTES && v[0] === 0) ids.add(v.readUInt32BE(1));
    }
    for (const id of ids) await this.prepare(id);
    const agg = await this.partitionState(topic, partition, BigInt(messages[0].offset));
    let samples = 0;
    let late = 0;
    let replayed = 0;
    for (const msg of messages) {
      const offset = BigInt(msg.offset);
      const v = msg.value;
      if (!v || v.length < WIRE_HEADER_BYTES || v[0] !== 0) {
        this.bad(topic, 'not-avro', `offset ${offset}: the value is not Avro in the Confluent wire format`);
        agg.skip(offset);
        continue;
      }
      const id = v.readUInt32BE(1);
      const p = this.prepared.get(id) as Prepared | Failed;
      if (!('plan' in p)) {
        this.bad(topic, p.reason, `schema id ${id}: ${p.message}`);
        agg.skip(offset);
        continue;
      }
      let value: Record<string, unknown>;
      try {
        value = p.decode(v);
      } catch (err) {
        this.bad(topic, 'decode', `offset ${offset}: Avro decode with schema id ${id} failed: ${(err as Error).message}`);
        agg.skip(offset);
        continue;
      }
      const timeMs = recordTimeMs(value[p.plan.timeField]);
      if (timeMs === undefined) {
        this.bad(topic, 'no-time', `offset ${offset}: ${p.plan.timeField} is missing or not a time`);
        agg.skip(offset);
        continue;
      }
      const r = agg.add({ key: msg.key ? msg.key.toString() : '', offset, timeMs, schemaId: id, value });
      if (r === 'added') samples += p.samplesOf(value);
      else if (r === 'late') late++;
      else replayed++;
    }
    m.records.inc(messages.length);
    if (samples) m.samples.inc(samples);
    if (late) m.late.inc({ topic }, late);
    if (replayed) m.replayed.inc(replayed);
    const closed = agg.closeReady();
    const out: OutgoingMessage[] = [];
    for (const e of closed) {
      const plan = (this.prepared.get(e.schemaId) as Prepared).plan;
      const enc = await this.output(outTopic, topic, e.schemaId, plan);
      if (!('id' in enc)) {
        this.bad(topic, enc.reason, enc.message, e.value.count as number);
        continue;
      }
      out.push({ key: e.key, value: enc.encode(e.value), partition, timestamp: e.start });
    }
    if (out.length) await this.o.sender.send(outTopic, out);
    m.windows.inc(out.length);
    m.openWindows.set(this.openWindows);
    const c = agg.commitPoint();
    return { offset: c.offset, metadata: c.metadata, emitted: out.length };
  }
}
