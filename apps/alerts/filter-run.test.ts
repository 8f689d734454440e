import type { Schema } from 'avsc';
import { Registry as Metrics } from 'prom-client';
import type { ConsumedBatch, ConsumedMessage } from '../lib/kafka-consumer';
import type { OutgoingMessage } from '../lib/kafka';
import { createLogger, silentLogger, type Logger } from '../lib/logging';
import { captureLines } from '../../test/log-capture';
import { RegistryError, wireEncoder } from '../lib/registry';
import { compileFilter, type CompiledFilter, type FilterDefinition } from './filter-lang';
import { AlertDecoder } from './filter-decode';
import {
  filterMetrics,
  FilterRunner,
  parseCommitMetadata,
  partitionQuota,
  READBACK_MARGIN_MS,
  type EmittedRecord,
  type RunnerIo,
} from './filter-run';
import { alertFieldTypes } from './filter-sets';
import { AlertGenerator } from './generate';
import { ALERT_SCHEMA, alertType, visitOf, type Alert } from './schema';

const FIELDS = alertFieldTypes();
const def = (name: string, output: number, where: unknown, cap = 20): FilterDefinition => ({
  name,
  output,
  cap,
  where: where as FilterDefinition['where'],
});
/** Many matches (capped), a few (not capped), every alert (capped), none. */
const DEFS = [
  def('bright', 1, { field: 'diaSource.snr', gt: 50 }),
  def('slice', 2, { field: 'diaSource.ra', between: [100, 101] }),
  def('every', 3, { all: [] }, 5),
  def('none', 4, { field: 'diaSource.snr', lt: 0 }),
];
const FILTERS: CompiledFilter[] = DEFS.map((d) => compileFilter(d, FIELDS));
const TOPICS = FILTERS.map((f) => `F${f.output}`);
const encode = wireEncoder(7, alertType());

/** Alerts of `visits` generated visits, 2,000 each. */
function visits(n: number, perVisit = 2000): Alert[][] {
  const gen = new AlertGenerator({ seed: 11, alertsPerVisit: perVisit, cutouts: false });
  return Array.from({ length: n }, (_, k) => [...gen.alerts(gen.visit(k, Date.UTC(2026, 0, 10, 4) + k * 39_000))]);
}

const visitOfAlert = (a: Alert) => String(visitOf(a.diaSource.ccdVisitId));

/** The fake Kafka's clock at the start (the filter's now). */
const CLOCK_MS = 1_000_000;
/** When the producer made the test's records, by default: 1.5 s before the filter's clock starts. */
const MADE_MS = CLOCK_MS - 1500;

/** A source partition's records, in offset order, from a list of alerts; timestamp `made` (ms; the i-th record made + i ms). */
function records(alerts: Alert[], o: { firstOffset?: number; header?: boolean; made?: number } = {}): ConsumedMessage[] {
  const made = o.made ?? MADE_MS;
  return alerts.map((a, i) => ({
    key: Buffer.from(String(a.alertId)),
    value: encode(a),
    headers: o.header === false ? undefined : { visit: Buffer.from(visitOfAlert(a)) },
    offset: String((o.firstOffset ?? 0) + i),
    timestamp: String(made < 0 ? made : made + ((o.firstOffset ?? 0) + i)),
  }));
}

/** Records cut into batches of the given sizes (repeated), as the consumer would hand them over. */
function batches(partition: number, msgs: ConsumedMessage[], sizes: number[]): ConsumedBatch[] {
  const out: ConsumedBatch[] = [];
  for (let i = 0, k = 0; i < msgs.length; k++) {
    const n = sizes[k % sizes.length];
    out.push({ topic: 'alerts', partition, highWatermark: '-1', messages: msgs.slice(i, i + n) });
    i += n;
  }
  return out;
}

interface Written {
  topic: string;
  key: string;
  value: Buffer;
  visit: string;
  partition: number;
  offset: string;
  timestampMs: number;
}

/** Kafka as the runner sees it: the output topics' records, the group's commits; sends can be made to fail. */
class FakeKafka {
  written: Written[] = [];
  commits = new Map<number, { offset: bigint; metadata: string }>();
  readBacks: { fromMs: number; partition: number }[] = [];
  /** Messages the next sends still write before one fails (the rest of that send is lost). */
  failAfter: number | undefined;
  /** Commits are not made (the process dies before them). */
  commitsLost = false;
  clock = CLOCK_MS;

  io(): RunnerIo {
    return {
      send: async (topic: string, messages: OutgoingMessage[]) => {
        for (const m of messages) {
          if (this.failAfter !== undefined && this.failAfter-- <= 0) {
            this.failAfter = undefined;
            throw new Error('broker went away');
          }
          const h = m.headers as Record<string, string>;
          this.written.push({
            topic,
            key: String(m.key),
            value: m.value as Buffer,
            visit: h.visit,
            partition: Number(h['efd.source.partition']),
            offset: h['efd.source.offset'],
            timestampMs: m.timestamp!,
          });
        }
      },
      commit: async (partition, offset, metadata) => {
        if (!this.commitsLost) this.commits.set(partition, { offset, metadata });
      },
      committed: async (partition) => {
        const c = this.commits.get(partition);
        return { offset: c?.offset, metadata: c?.metadata ?? null };
      },
      readBack: async (fromMs, partition): Promise<EmittedRecord[]> => {
        this.readBacks.push({ fromMs, partition });
        return this.written
          .filter((w) => w.timestampMs >= fromMs)
          .map((w) => ({
            filter: TOPICS.indexOf(w.topic),
            partition: w.partition,
            visit: w.visit,
            alertId: w.key,
            timestampMs: w.timestampMs,
          }));
      },
    };
  }

  /** topic → visit → alertIds, in the order written. */
  byTopic(): Map<string, Map<string, string[]>> {
    const out = new Map<string, Map<string, string[]>>();
    for (const w of this.written) {
      const t = out.get(w.topic) ?? new Map<string, string[]>();
      out.set(w.topic, t);
      t.set(w.visit, [...(t.get(w.visit) ?? []), w.key]);
    }
    return out;
  }
}

const SCHEMAS: Record<number, Schema> = { 7: ALERT_SCHEMA as unknown as Schema };

function runner(kafka: FakeKafka, o: { partitions?: number; keptVisits?: number; metrics?: Metrics; logger?: Logger } = {}) {
  const metrics = filterMetrics(o.metrics ?? new Metrics());
  const decoder = new AlertDecoder({
    registry: {
      schema: async (id) => {
        const s = SCHEMAS[id];
        if (!s) throw new RegistryError(`schema id ${id} is not in the schema registry`, 404);
        return s;
      },
    },
    fields: [...new Set(FILTERS.flatMap((f) => f.fields))],
  });
  return new FilterRunner({
    filters: FILTERS,
    topics: TOPICS,
    source: 'alerts',
    partitions: () => o.partitions ?? 1,
    decoder,
    io: kafka.io(),
    metrics,
    logger: o.logger ?? silentLogger(),
    keptVisits: o.keptVisits,
    now: () => kafka.clock,
  });
}

/** What the rule says each filter passes: per visit, the first quota distinct alertIds of each partition, in offset order. */
function expected(parts: Alert[][], partitions = parts.length): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  FILTERS.forEach((f, i) => {
    const t = new Map<string, string[]>();
    parts.forEach((alerts, p) => {
      const quota = partitionQuota(f.cap, partitions, p);
      const mine = new Map<string, Set<string>>();
      for (const a of alerts) {
        if (!f.test(a)) continue;
        const v = visitOfAlert(a);
        const ids = mine.get(v) ?? new Set<string>();
        mine.set(v, ids);
        if (ids.size < quota) ids.add(String(a.alertId));
      }
      for (const [v, ids] of mine) if (ids.size) t.set(v, [...(t.get(v) ?? []), ...ids]);
    });
    if (t.size) out.set(TOPICS[i], t);
  });
  return out;
}

async function runAll(r: FilterRunner, bs: ConsumedBatch[]): Promise<void> {
  for (const b of bs) await r.processBatch(b);
}

const sorted = (m: Map<string, Map<string, string[]>>) =>
  Object.fromEntries([...m].sort().map(([t, v]) => [t, Object.fromEntries([...v].sort().map(([k, ids]) => [k, [...ids].sort()]))]));

describe('partitionQuota', () => {
  it('splits a cap over the partitions, adding up to it', () => {
    expect([0, 1, 2].map((p) => partitionQuota(20, 3, p))).toEqual([7, 7, 6]);
    expect([0, 1, 2, 3].map((p) => partitionQuota(2, 4, p))).toEqual([1, 1, 0, 0]);
    expect(partitionQuota(20, 1, 0)).toBe(20);
  });
});

describe('FilterRunner', () => {
  const [v1, v2, v3] = visits(3);

  it('passes the first cap matches of each visit in offset order, the original bytes, key alertId, visit and source headers', async () => {
    const kafka = new FakeKafka();
    const r = runner(kafka);
    const msgs = records([...v1, ...v2]);
    await runAll(r, batches(0, msgs, [700]));
    const got = kafka.byTopic();
    expect(sorted(got)).toEqual(sorted(expected([[...v1, ...v2]])));
    // the cases the filters stand for: capped, below the cap, every alert capped at 5, none
    const visit1 = visitOfAlert(v1[0]);
    expect(got.get('F1')!.get(visit1)).toHaveLength(20);
    const slice = v1.filter((a) => a.diaSource.ra >= 100 && a.diaSource.ra <= 101).map((a) => String(a.alertId));
    expect(slice.length).toBeGreaterThan(0);
    expect(slice.length).toBeLessThan(20);
    expect(got.get('F2')!.get(visit1)).toEqual(slice);
    expect(got.get('F3')!.get(visit1)).toEqual(v1.slice(0, 5).map((a) => String(a.alertId)));
    expect(got.has('F4')).toBe(false);
    const w = kafka.written.find((x) => x.topic === 'F3')!;
    expect(w).toMatchObject({ key: String(v1[0].alertId), visit: visit1, partition: 0, offset: '0' });
    expect(w.value.equals(msgs[0].value!)).toBe(true);
    // committed after the last batch, with the open visits as metadata
    const c = kafka.commits.get(0)!;
    expect(c.offset).toBe(BigInt(msgs.length));
    // the first seen of a visit: its earliest record's timestamp when before the filter's clock, else the clock
    expect(parseCommitMetadata(c.metadata)).toEqual({
      f: 1,
      p: 1,
      v: [
        [visit1, MADE_MS],
        [visitOfAlert(v2[0]), kafka.clock], // its records are stamped from MADE_MS + 2000, after the clock
      ],
      c: kafka.clock,
    });
  });

  it('outputs carry the source record’s timestamp (producer → consumer end-to-end); a record without one gets the time handled', async () => {
    const kafka = new FakeKafka();
    const msgs = records(v1.slice(0, 40));
    msgs[1] = { ...msgs[1], timestamp: '-1' };
    await runAll(runner(kafka), batches(0, msgs, [40]));
    const f3 = kafka.written.filter((w) => w.topic === 'F3');
    expect(f3.map((w) => [w.offset, w.timestampMs])).toEqual([
      ['0', MADE_MS],
      ['1', CLOCK_MS],
      ['2', MADE_MS + 2],
      ['3', MADE_MS + 3],
      ['4', MADE_MS + 4],
    ]);
    // every output's timestamp is its source record's
    for (const w of kafka.written) if (w.offset !== '1') expect(w.timestampMs).toBe(Number(msgs[Number(w.offset)].timestamp));
  });

  it('a filter running an hour behind the producer, killed before a commit: the restart still reads back every output', async () => {
    const kafka = new FakeKafka();
    const hourAgo = CLOCK_MS + 3_600_000;
    kafka.clock = hourAgo + 3_600_000;
    const msgs = records([...v1, ...v2], { made: hourAgo });
    const first = batches(0, msgs, [600]);
    const a = runner(kafka);
    for (const b of first.slice(0, 3)) await a.processBatch(b);
    kafka.commitsLost = true;
    await a.processBatch(first[3]);
    kafka.commitsLost = false;
    kafka.clock += 5000;
    await runAll(runner(kafka), batches(0, msgs.slice(1800), [333]));
    // the read-back starts before the records' timestamps (an hour before the filter's clock), not at its clock
    expect(kafka.readBacks[1]).toEqual({ fromMs: hourAgo - READBACK_MARGIN_MS, partition: 0 });
    expect(sorted(kafka.byTopic())).toEqual(sorted(expected([[...v1, ...v2]])));
    expect(new Set(kafka.written.map((w) => `${w.topic} ${w.key}`)).size).toBe(kafka.written.length);
  });

  it('the same outputs however the records are batched', async () => {
    const a = new FakeKafka();
    const b = new FakeKafka();
    await runAll(runner(a), batches(0, records(v1), [10_000]));
    await runAll(runner(b), batches(0, records(v1), [1, 3, 17, 250]));
    expect(sorted(b.byTopic())).toEqual(sorted(a.byTopic()));
  });

  it('a kill after the sends and before the commit: the restart sends nothing twice', async () => {
    const kafka = new FakeKafka();
    const msgs = records([...v1, ...v2]);
    const first = batches(0, msgs, [600]);
    const a = runner(kafka);
    for (const b of first.slice(0, 3)) await a.processBatch(b);
    // the fourth batch is sent but the process dies before committing it
    kafka.commitsLost = true;
    await a.processBatch(first[3]);
    kafka.commitsLost = false;
    expect(kafka.commits.get(0)!.offset).toBe(1800n);
    const metricsRegistry = new Metrics();
    kafka.clock += 5000;
    const b = runner(kafka, { metrics: metricsRegistry });
    // the restarted consumer starts again at the commit, with batches cut differently
    await runAll(b, batches(0, msgs.slice(1800), [333]));
    expect(sorted(kafka.byTopic())).toEqual(sorted(expected([[...v1, ...v2]])));
    expect(new Set(kafka.written.map((w) => `${w.topic} ${w.key}`)).size).toBe(kafka.written.length);
    // the read-back started before the first visit was first seen (the metadata's earliest time)
    expect(kafka.readBacks).toEqual([
      { fromMs: -Infinity, partition: 0 }, // the first start: no commit yet
      { fromMs: MADE_MS - READBACK_MARGIN_MS, partition: 0 },
    ]);
    const replayed = (await metricsRegistry.getSingleMetric('alerts_filter_replayed_total')!.get()).values[0].value;
    expect(replayed).toBeGreaterThan(0);
  });

  it('a send that fails half-way: the next batch rebuilds from what reached the topics', async () => {
    const kafka = new FakeKafka();
    const msgs = records([...v1, ...v2, ...v3]);
    const r = runner(kafka);
    const bs = batches(0, msgs, [500]);
    await runAll(r, bs.slice(0, 4));
    kafka.failAfter = 3; // the next sends (of the second visit's first batch) write 3 records, then fail
    await expect(r.processBatch(bs[4])).rejects.toThrow('broker went away');
    // the consumer hands the batch over again from the commit (2000)
    await runAll(r, batches(0, msgs.slice(2000), [1000]));
    expect(kafka.readBacks.map((x) => x.fromMs)).toEqual([-Infinity, MADE_MS - READBACK_MARGIN_MS]);
    expect(sorted(kafka.byTopic())).toEqual(sorted(expected([[...v1, ...v2, ...v3]])));
    expect(new Set(kafka.written.map((w) => `${w.topic} ${w.key}`)).size).toBe(kafka.written.length);
  });

  it('several kills at random points of three visits: always the rule’s outputs, never twice', async () => {
    const msgs = records([...v1, ...v2, ...v3]);
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let trial = 0; trial < 5; trial++) {
      const kafka = new FakeKafka();
      let from = 0;
      for (let crash = 0; crash < 4 && from < msgs.length; crash++) {
        const r = runner(kafka);
        const bs = batches(0, msgs.slice(from), [1 + Math.floor(rand() * 900)]);
        const dieAt = Math.floor(rand() * bs.length);
        for (let i = 0; i < dieAt; i++) await r.processBatch(bs[i]);
        // killed during the sends of batch dieAt: part of its outputs written, nothing committed
        kafka.failAfter = Math.floor(rand() * 10);
        await r.processBatch(bs[dieAt]).catch(() => undefined);
        kafka.failAfter = undefined;
        from = Number(kafka.commits.get(0)?.offset ?? 0n);
        kafka.clock += 1000;
      }
      await runAll(runner(kafka), batches(0, msgs.slice(from), [777]));
      expect(sorted(kafka.byTopic())).toEqual(sorted(expected([[...v1, ...v2, ...v3]])));
      expect(new Set(kafka.written.map((w) => `${w.topic} ${w.key}`)).size).toBe(kafka.written.length);
    }
  });

  it('several source partitions: each passes its quota of the cap', async () => {
    const kafka = new FakeKafka();
    const parts = [v1.slice(0, 700), v1.slice(700, 1400), v1.slice(1400)];
    const r = runner(kafka, { partitions: 3 });
    // interleaved batches of the three partitions
    const bs = parts.map((alerts, p) => batches(p, records(alerts), [100]));
    for (let i = 0; i < Math.max(...bs.map((b) => b.length)); i++) for (const b of bs) if (b[i]) await r.processBatch(b[i]);
    expect(sorted(kafka.byTopic())).toEqual(sorted(expected(parts)));
    const visit1 = visitOfAlert(v1[0]);
    expect(kafka.byTopic().get('F1')!.get(visit1)).toHaveLength(20);
    expect(kafka.byTopic().get('F3')!.get(visit1)).toHaveLength(5); // 2 + 2 + 1
    expect([0, 1, 2].map((p) => kafka.written.filter((w) => w.topic === 'F1' && w.partition === p).length)).toEqual([7, 7, 6]);
  });

  it('the visit from diaSource.ccdVisitId when there is no header', async () => {
    const kafka = new FakeKafka();
    await runAll(runner(kafka), batches(0, records(v1.slice(0, 50), { header: false }), [50]));
    expect(new Set(kafka.written.map((w) => w.visit))).toEqual(new Set([visitOfAlert(v1[0])]));
  });

  it('keeps the last visits only: an alert of an older one is late, dropped and counted', async () => {
    const kafka = new FakeKafka();
    const m = new Metrics();
    const r = runner(kafka, { keptVisits: 2, metrics: m });
    await runAll(r, batches(0, records([...v1.slice(0, 10), ...v2.slice(0, 10), ...v3.slice(0, 10), ...v1.slice(10, 20)]), [40]));
    expect((await m.getSingleMetric('alerts_filter_late_records_total')!.get()).values[0].value).toBe(10);
    expect(kafka.byTopic().get('F3')!.get(visitOfAlert(v1[0]))).toHaveLength(5); // from the first 10 only
    expect(parseCommitMetadata(kafka.commits.get(0)!.metadata)!.v.map(([v]) => v)).toEqual([visitOfAlert(v2[0]), visitOfAlert(v3[0])]);
  });

  it('bad records are logged with offset and reason, counted and skipped; the rest passes', async () => {
    const kafka = new FakeKafka();
    const m = new Metrics();
    const { lines, stream } = captureLines();
    const logger = createLogger({ name: 'test', level: 'warn', destination: stream });
    const good = records(v1.slice(0, 6));
    const unknownSchema = Buffer.from(good[1].value!);
    unknownSchema.writeUInt32BE(99, 1);
    const msgs: ConsumedMessage[] = [
      good[0],
      { ...good[1], value: Buffer.from('{"alertId": 1}') },
      { ...good[2], value: unknownSchema },
      { ...good[3], value: Buffer.concat([good[3].value!.subarray(0, 5), Buffer.from([0xff, 0xff, 0xff])]) },
      { ...good[4], value: null },
      good[5],
    ];
    await runAll(runner(kafka, { metrics: m, logger }), batches(0, msgs, [6]));
    expect(kafka.byTopic().get('F3')!.get(visitOfAlert(v1[0]))).toEqual([String(v1[0].alertId), String(v1[5].alertId)]);
    const bad = (await m.getSingleMetric('alerts_filter_bad_records_total')!.get()).values.map((v) => [v.labels.reason, v.value]);
    expect(bad.sort()).toEqual([
      ['decode', 1],
      ['not-avro', 2],
      ['unknown-schema', 1],
    ]);
    expect(lines.map((l) => [l.offset, l.reason])).toEqual([
      ['1', 'not-avro'],
      ['2', 'unknown-schema'],
      ['3', 'decode'],
    ]);
    expect(lines[0].msg).toMatch(
      /^alerts partition 0 offset 1: not in the Confluent wire format \(expected magic byte 0 and a 4-byte schema id, got 14 byte\(s\) starting 7b22616c65\) \(skipped/,
    );
    expect(lines[1].msg).toContain('schema id 99 is not in the schema registry');
    expect(kafka.commits.get(0)!.offset).toBe(6n);
  });

  it('a restart whose commit has no metadata reads every output back', async () => {
    const kafka = new FakeKafka();
    await runAll(runner(kafka), batches(0, records(v1.slice(0, 100)), [50]));
    kafka.commits.set(0, { offset: 50n, metadata: '' });
    await runAll(runner(kafka), batches(0, records(v1.slice(50, 100), { firstOffset: 50 }), [50]));
    expect(kafka.readBacks).toEqual([
      { fromMs: -Infinity, partition: 0 },
      { fromMs: -Infinity, partition: 0 },
    ]);
    expect(new Set(kafka.written.map((w) => `${w.topic} ${w.key}`)).size).toBe(kafka.written.length);
  });
});
