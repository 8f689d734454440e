/**
 * `efd alerts produce` and `efd alerts consume` on the real local EFD: two visits of 2,000 generated alerts
 * (cutouts included) three seconds apart — every record in Kafka decodes with the registry and matches the
 * alert schema, keys and visit headers right, counts exact; the monitor consumer's end lines name each
 * partition's end and last key; the printing consumer writes the alerts of an Avro file that produce sent;
 * a bad alert in an Avro file is refused with its field path and nothing is created; an unknown topic for
 * consume is an error naming it and the like-named one. Bounded: ≈ 70 MB produced, ~1 minute.
 */
import * as path from 'node:path';
import { efd } from '../../test/cli';
import { useNamespace, TestNamespace, withAdmin } from '../../test/integration/env';
import { avroType } from '../lib/avro-type';
import { EXIT } from '../lib/exit-codes';
import { createConsumer, type ConsumedMessage } from '../lib/kafka-consumer';
import { createRegistry } from '../lib/registry';
import { writeAvroFile } from './avro-file';
import { alertsSubject } from './cli';
import { AlertGenerator } from './generate';
import { ALERT_SCHEMA, Alert, alertType, validateAlert, visitOf } from './schema';

let ns: TestNamespace;
beforeAll(async () => {
  ns = await useNamespace(__filename);
});
afterAll(async () => {
  await ns?.cleanup();
});

const common = () => [
  '--brokers',
  ns.endpoints.clusters[0].kafka,
  '--registry',
  ns.endpoints.clusters[0].registry,
  '--metrics-port',
  '0',
  '--log-level',
  'warn',
];

/** `key:value, …` lines → objects. */
function fieldsOf(line: string): Record<string, string> {
  return Object.fromEntries(line.split(', ').map((kv) => [kv.slice(0, kv.indexOf(':')), kv.slice(kv.indexOf(':') + 1)]));
}

/** Every record of a topic with its partition (the apps' consumer, from the beginning), until `expected` came. */
async function readTopic(topic: string, expected: number): Promise<(ConsumedMessage & { partition: number })[]> {
  const consumer = createConsumer(ns.kafkaOptions(), { groupId: ns.name(`read-${topic.length}-${Date.now()}`), maxWaitTimeMs: 100 });
  const got: (ConsumedMessage & { partition: number })[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((r) => (done = r));
    await consumer.run({
      partitionsConcurrency: 4,
      eachBatch: async (batch) => {
        for (const m of batch.messages) got.push({ ...m, partition: batch.partition });
        if (got.length >= expected) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise((r) => (timer = setTimeout(r, 40_000)))]);
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

describe('efd alerts produce → Kafka → efd alerts consume', () => {
  const prefix = () => ns.topic('');
  const topic = () => `${prefix()}alerts`;
  let visitLines: Record<string, string>[];
  let records: (ConsumedMessage & { partition: number })[];

  beforeAll(async () => {
    const r = await efd(
      'alerts', 'produce', '--visits', '2', '--alerts-per-visit', '2000', '--interval', '3s', '--seed', '7', '--partitions', '4',
      '--topic-prefix', prefix(), ...common(),
    ); // prettier-ignore
    expect({ code: r.code, output: r.output.slice(-2000) }).toMatchObject({ code: 0 });
    visitLines = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('visit:'))
      .map(fieldsOf);
    expect(r.stdout).toMatch(
      new RegExp(`^topic:${topic().replace(/\./g, '\\.')}, visits:2, alerts:4000, max_produce_s:[\\d.]+, seed:7$`, 'm'),
    );
    records = await readTopic(topic(), 4000);
  }, 90_000);

  it('prints a line per visit: 2,000 alerts, when the first was made and the last acknowledged, on the 3 s cadence', () => {
    expect(visitLines.map((v) => [v.index, v.alerts])).toEqual([
      ['0', '2000'],
      ['1', '2000'],
    ]);
    for (const v of visitLines) {
      expect(Number(v.last_ack)).toBeGreaterThanOrEqual(Number(v.submitted));
      expect(Number(v.submitted)).toBeGreaterThanOrEqual(Number(v.first));
      expect(Number(v.produce_s)).toBeCloseTo(Number(v.last_ack) - Number(v.first), 2);
    }
    // visit 1 is due 3 s after visit 0 (the first alert is made at the due time, or late when the machine is busy)
    expect(Number(visitLines[1].first) - Number(visitLines[0].first)).toBeGreaterThanOrEqual(2.99);
    expect(visitLines[0].visit).not.toBe(visitLines[1].visit);
  });

  it('created the topic with 4 partitions and registered the alert schema under <prefix>alerts-value', async () => {
    const offsets = await withAdmin(ns.kafkaOptions(), (a) => a.topicOffsets(topic()));
    expect(offsets.map((o) => o.partition).sort()).toEqual([0, 1, 2, 3]);
    expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(4000);
    const latest = await createRegistry(ns.endpoints.clusters[0].registry).latest(alertsSubject(prefix()));
    expect(latest).toBeDefined();
    expect(avroType(latest!.schema).equals(alertType())).toBe(true);
  });

  it('every record decodes with the registry and matches the schema; key alertId, header visit; 2,000 per visit, none twice', async () => {
    const registry = createRegistry(ns.endpoints.clusters[0].registry);
    const subjectId = (await registry.latest(alertsSubject(prefix())))!.id;
    expect(records).toHaveLength(4000);
    const perVisit = new Map<string, number>();
    const ids = new Set<string>();
    for (const m of records) {
      const { schemaId, value } = await registry.decodeWithId(m.value!);
      expect(schemaId).toBe(subjectId);
      const alert = validateAlert(value) as Alert;
      expect(m.key?.toString()).toBe(String(alert.alertId));
      const visit = String(m.headers?.visit);
      expect(visit).toBe(String(visitOf(alert.diaSource.ccdVisitId)));
      perVisit.set(visit, (perVisit.get(visit) ?? 0) + 1);
      ids.add(String(alert.alertId));
      expect(alert.cutoutDifference?.stampData.length).toBe(8640);
    }
    expect(ids.size).toBe(4000);
    expect(Object.fromEntries(perVisit)).toEqual({ [visitLines[0].visit]: 2000, [visitLines[1].visit]: 2000 });
  });

  it('consume --mode monitor prints, per partition, the end line with its end offset and last key', async () => {
    const r = await efd(
      'alerts',
      'consume',
      '--topic',
      'alerts',
      '--topic-prefix',
      prefix(),
      '--mode',
      'monitor',
      '--from-beginning',
      '--exit-at-end',
      ...common(),
    );
    expect({ code: r.code, output: r.output.slice(-1000) }).toMatchObject({ code: 0 });
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines.every((l) => l.startsWith(`topic:${topic()}, partition:`))).toBe(true);
    const ends = lines.map(fieldsOf);
    const byPartition = new Map(ends.map((e) => [Number(e.partition), e]));
    expect([...byPartition.keys()].sort()).toEqual([0, 1, 2, 3]);
    for (const [p, e] of byPartition) {
      const mine = records.filter((m) => m.partition === p);
      const last = mine.reduce((a, b) => (BigInt(b.offset) > BigInt(a.offset) ? b : a));
      expect(e.status).toBe('end');
      expect(e.offset).toBe(String(mine.length));
      expect(e.key).toBe(last.key!.toString());
      expect(Number(e.produced)).toBeCloseTo(Number(last.timestamp) / 1000, 3);
      expect(Number(e.e2e_s)).toBeCloseTo(Number(e.time) - Number(e.produced), 2);
      expect(Number(e.e2e_s)).toBeGreaterThan(0);
    }
  }, 60_000);

  it('consume of an unknown topic names it and the like-named one (bad input)', async () => {
    const r = await efd('alerts', 'consume', '--topic', 'alert', '--topic-prefix', prefix(), '--mode', 'monitor', ...common());
    expect(r.code).toBe(EXIT.badInput);
    expect(r.output).toContain(
      `topic "${prefix()}alert" does not exist on ${ns.endpoints.clusters[0].kafka}; like-named topics there: ${topic()}`,
    );
  });
});

describe('efd alerts produce --from-avro', () => {
  it('sends the alerts of a file (validated), which consume --mode print writes as JSON lines', async () => {
    const prefix = ns.topic('file.');
    const gen = new AlertGenerator({ seed: 3, alertsPerVisit: 5 });
    const alerts = [...gen.alerts(gen.visit(0, Date.now()))];
    const file = path.join(ns.tmpDir, 'visit.avro');
    await writeAvroFile(file, alertType(), alerts);
    const p = await efd('alerts', 'produce', '--from-avro', file, '--partitions', '1', '--topic-prefix', prefix, ...common());
    expect({ code: p.code, output: p.output.slice(-1000) }).toMatchObject({ code: 0 });
    expect(p.stdout).toMatch(/^visit:\d+, index:0, alerts:5, /m);
    const c = await efd(
      'alerts',
      'consume',
      '--topic',
      'alerts',
      '--topic-prefix',
      prefix,
      '--from-beginning',
      '--exit-at-end',
      ...common(),
    );
    expect({ code: c.code, output: c.output.slice(-1000) }).toMatchObject({ code: 0 });
    const lines = c.stdout.split('\n').filter(Boolean);
    const json = lines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { key: string; visit: string; alert: Record<string, unknown> });
    expect(json.map((j) => j.key)).toEqual(alerts.map((a) => String(a.alertId)));
    expect(json[0].visit).toBe(String(visitOf(alerts[0].diaSource.ccdVisitId)));
    expect(json[0].alert.cutoutDifference).toEqual({ fileName: alerts[0].cutoutDifference!.fileName, bytes: 8640 });
    expect((json[2].alert.diaSource as { ra: number }).ra).toBe(alerts[2].diaSource.ra);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^topic:${prefix.replace(/\./g, '\\.')}alerts, partition:0, status:end, offset:5, key:${alerts[4].alertId}, time:`),
    );
  }, 60_000);

  it('refuses a file with an alert not matching the schema, naming the field path; nothing created', async () => {
    const prefix = ns.topic('bad.');
    const schema = JSON.parse(JSON.stringify(ALERT_SCHEMA));
    schema.fields[2].type.fields.find((f: { name: string }) => f.name === 'ra').type = 'string';
    const gen = new AlertGenerator({ seed: 5, alertsPerVisit: 3, cutouts: false });
    const bad = [...gen.alerts(gen.visit(0, Date.now()))].map((a) => ({
      ...a,
      prv_diaSources: null,
      diaSource: { ...a.diaSource, ra: 'north' },
    }));
    const file = path.join(ns.tmpDir, 'bad.avro');
    await writeAvroFile(file, avroType(schema), bad);
    const r = await efd('alerts', 'produce', '--from-avro', file, '--topic-prefix', prefix, ...common());
    expect(r.code).toBe(EXIT.badInput);
    expect(r.output).toContain(`--from-avro ${file}: alert 1 of 3 (alertId ${bad[0].alertId}) does not match the alert schema`);
    expect(r.output).toContain('diaSource.ra: expected double, got string "north"');
    const topics = await withAdmin(ns.kafkaOptions(), (a) => a.listTopics());
    expect(topics.filter((t) => t.startsWith(prefix))).toEqual([]);
    expect(await createRegistry(ns.endpoints.clusters[0].registry).latest(alertsSubject(prefix))).toBeUndefined();
  });
});
