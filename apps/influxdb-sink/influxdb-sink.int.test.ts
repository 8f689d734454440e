/**
 * The InfluxDB sink on the real local EFD (Kafka, Apicurio registry, InfluxDB 1.8):
 *  - exactly the records produced arrive (count, values, array fields, timestamps), read back with
 *    InfluxQL and with the client (Flux);
 *  - a new matching topic is picked up without a restart;
 *  - unwritable records (not Avro; InfluxDB field type conflict) go to the dead-letter topic with the
 *    reason, the counter increments and the sink goes on;
 *  - InfluxDB unreachable mid-stream (a TCP proxy in front of it is closed, then reopened): the sink
 *    backs off and resumes, final count = produced;
 *  - a sink that dies before InfluxDB acknowledged (no commit) loses nothing: the next one writes it all.
 * Run: npx jest --selectProjects integration apps/influxdb-sink
 */
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { InfluxDB } from '@influxdata/influxdb-client';
import { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { Registry, wireEncoder } from '../lib/registry';
import { silentLogger } from '../lib/logging';
import { TestNamespace, createTopic, waitFor, waitForTopics } from '../../test/integration/env';
import { RunningSink, SinkConfig, startSink } from './cli';
import { closeSinkTest, namespaceSinkConfig, openSinkTest } from '../../test/integration/sink';
import { arrayOf, avroRecord } from '../../test/avro';

jest.setTimeout(240_000);

const TIMESTAMP = { type: 'long', logicalType: 'timestamp-millis' };
const salSchema = (name: string) =>
  avroRecord(
    name,
    {
      kafka_timestamp: TIMESTAMP,
      sal_created: TIMESTAMP,
      salIndex: 'int',
      position: 'double',
      accelerometers: arrayOf('float'),
      state: { type: 'enum', name: `${name}_State`, symbols: ['IDLE', 'MOVING'] },
      label: 'string',
    },
    'lsst.sal',
  );

let ns: TestNamespace;
let registry: Registry;
let producer: Producer;
let kafka: Kafka;
const running: RunningSink[] = [];
const T0 = Date.UTC(2026, 10, 1, 0, 0, 0);

const salTopic = (name: string) => ns.topic(`lsst.sal.${name}`);
const regex = () => `it\\.${ns.id}\\.lsst\\.sal\\..*`;

function config(over: Partial<Record<string, unknown>> = {}): SinkConfig {
  return namespaceSinkConfig(ns, {
    topicsRegex: regex(),
    deadLetterTopic: ns.topic('dlq'),
    topicRefreshMs: '1000',
    batchSize: '200',
    ...over,
  });
}

async function start(over: Partial<Record<string, unknown>> = {}): Promise<RunningSink> {
  const s = await startSink(config(over), { logger: silentLogger(), serveMetrics: false });
  running.push(s);
  return s;
}

/** Registers the SAL-like schema for a topic and produces `n` records with sal_created = base + i ms. */
async function produceSal(topic: string, n: number, base: number, first = 0): Promise<void> {
  const id = await registry.register(`${topic}-value`, JSON.stringify(salSchema(topic.split('.').pop() as string)));
  const encode = await registry.encoder(id);
  const messages = [];
  for (let i = first; i < first + n; i++) {
    messages.push({
      value: encode({
        kafka_timestamp: base + i + 5,
        sal_created: base + i,
        salIndex: i % 3,
        position: i / 4,
        accelerometers: [i, -i, 0.5],
        state: i % 2 ? 'MOVING' : 'IDLE',
        label: `rec ${i}`,
      }),
    });
  }
  for (let i = 0; i < messages.length; i += 500) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
}

/** InfluxQL on /query with ms epochs; returns the first series' rows as objects. */
async function influxRows(q: string): Promise<Record<string, unknown>[]> {
  const body = new URLSearchParams({ q, db: ns.database, epoch: 'ms' });
  const res = await fetch(`${ns.endpoints.influxdb.url}/query`, { method: 'POST', body });
  const json = (await res.json()) as { results: { error?: string; series?: { columns: string[]; values: unknown[][] }[] }[] };
  const r = json.results[0];
  if (r.error) throw new Error(r.error);
  const s = r.series?.[0];
  if (!s) return [];
  return s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]])));
}

async function count(measurement: string): Promise<number> {
  const rows = await influxRows(`SELECT count("salIndex") FROM "${measurement}"`);
  return Number(rows[0]?.count ?? 0);
}

async function consumeAll(topic: string, n: number): Promise<KafkaMessage[]> {
  // the sink's producer creates the dead-letter topic on its first message: wait for its leader
  await waitForTopics(kafka, [topic]);
  const consumer = kafka.consumer({ groupId: ns.name(`read-${Date.now()}`) });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
    await waitFor(`${n} message(s) on ${topic}`, async () => got.length >= n, 60_000);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

/** A TCP proxy in front of InfluxDB that can be closed (connections reset, port refused) and reopened. */
class Proxy {
  private server: net.Server | undefined;
  private sockets = new Set<net.Socket>();
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}
  static async freePort(): Promise<number> {
    return new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
  }
  open(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    return new Promise((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
  }
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

beforeAll(async () => {
  ({ ns, kafka, registry, producer } = await openSinkTest(__filename));
}, 15 * 60_000);

afterAll(async () => {
  for (const s of running) await s.stop().catch(() => undefined);
  await closeSinkTest({ producer, ns });
});

describe('influxdb-sink on the local EFD', () => {
  it('writes exactly the records produced: count, values, arrays, enum, timestamps (InfluxQL and Flux)', async () => {
    const topic = salTopic('ATDome_position');
    await createTopic(kafka, topic, 3);
    await produceSal(topic, 1200, T0);
    const sink = await start();
    await waitFor('1200 points', async () => (await count(topic)) === 1200, 90_000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await count(topic)).toBe(1200); // and not more

    const rows = await influxRows(`SELECT * FROM "${topic}" ORDER BY time ASC LIMIT 2`);
    expect(rows[1]).toEqual({
      time: T0 + 1,
      kafka_timestamp: T0 + 6,
      sal_created: T0 + 1,
      salIndex: 1,
      position: 0.25,
      accelerometers0: 1,
      accelerometers1: -1,
      accelerometers2: 0.5,
      state: 'MOVING',
      label: 'rec 1',
    });
    const last = await influxRows(`SELECT * FROM "${topic}" ORDER BY time DESC LIMIT 1`);
    expect(last[0]).toMatchObject({ time: T0 + 1199, label: 'rec 1199', accelerometers1: -1199, sal_created: T0 + 1199 });
    const keys = await influxRows(`SHOW FIELD KEYS FROM "${topic}"`);
    expect(Object.fromEntries(keys.map((k) => [k.fieldKey, k.fieldType]))).toEqual({
      accelerometers0: 'float',
      accelerometers1: 'float',
      accelerometers2: 'float',
      kafka_timestamp: 'integer',
      label: 'string',
      position: 'float',
      salIndex: 'integer',
      sal_created: 'integer',
      state: 'string',
    });

    // The client, Flux on /api/v2/query (InfluxDB 1.8: bucket = db/rp).
    const query = new InfluxDB({ url: ns.endpoints.influxdb.url, token: 'x:y' }).getQueryApi('-');
    const flux = `from(bucket: "${ns.database}/autogen") |> range(start: 2026-10-31T00:00:00Z, stop: 2026-11-02T00:00:00Z)
      |> filter(fn: (r) => r._measurement == "${topic}" and r._field == "accelerometers0") |> sum()`;
    const sums = await query.collectRows<{ _value: number }>(flux);
    expect(sums[0]._value).toBe((1199 * 1200) / 2);

    expect(await sink.sink.metrics.pointsWritten.get()).toMatchObject({ values: [{ value: 1200 }] });
    expect(sink.sink.committed).toBe(1200);
  });

  it('picks up a new matching topic without a restart', async () => {
    const topic = salTopic('MTMount_azimuth');
    await createTopic(kafka, topic);
    await produceSal(topic, 300, T0 + 10_000);
    await waitFor('300 points on the new topic', async () => (await count(topic)) === 300, 60_000);
    expect(running[0].sink.subscribed).toContain(topic);
  });

  it('dead-letters what it cannot write (not Avro; InfluxDB type conflict) with the reason, and goes on', async () => {
    const topic = salTopic('Conflict_x');
    await createTopic(kafka, topic);
    const intSchema = avroRecord('X', { sal_created: 'long', salIndex: 'int', v: 'int' });
    const strSchema = avroRecord('Y', { sal_created: 'long', salIndex: 'int', v: 'string' });
    const idInt = await registry.register(`${topic}-value`, JSON.stringify(intSchema));
    const idStr = await registry.register(`${ns.topic('other')}-value`, JSON.stringify(strSchema));
    const encInt = wireEncoder(idInt, await registry.type(idInt));
    const encStr = wireEncoder(idStr, await registry.type(idStr));
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { value: encInt({ sal_created: T0 + 1, salIndex: 1, v: 1 }) },
        { value: encInt({ sal_created: T0 + 2, salIndex: 1, v: 2 }) },
        { value: Buffer.from('plain text, not Avro') },
        { value: encStr({ sal_created: T0 + 3, salIndex: 1, v: 'three' }) },
        { value: encInt({ sal_created: T0 + 4, salIndex: 1, v: 4 }) },
      ],
    });
    await waitFor('3 good points', async () => (await count(topic)) === 3, 60_000);
    const dead = await consumeAll(ns.topic('dlq'), 2);
    const byReason = Object.fromEntries(dead.map((m) => [String(m.headers?.['efd.dlq.reason']), m]));
    expect(Object.keys(byReason).sort()).toEqual(['not-avro', 'rejected-by-influxdb']);
    expect(String(byReason['rejected-by-influxdb'].headers?.['efd.dlq.message'])).toMatch(/field type conflict/);
    expect(String(byReason['not-avro'].value)).toBe('plain text, not Avro');
    expect(String(byReason['not-avro'].headers?.['efd.dlq.topic'])).toBe(topic);
    const deadMetric = await running[0].sink.metrics.deadLetters.get();
    expect(deadMetric.values.map((v) => `${v.labels.reason}=${v.value}`).sort()).toEqual(['not-avro=1', 'rejected-by-influxdb=1']);
  });

  it('InfluxDB unreachable mid-stream: backs off, resumes, no loss', async () => {
    for (const s of running.splice(0)) await s.stop();
    const port = await Proxy.freePort();
    const influx = new URL(ns.endpoints.influxdb.url);
    const proxy = new Proxy(port, { host: influx.hostname, port: Number(influx.port) });
    await proxy.open();
    const topic = salTopic('Outage_telemetry');
    await createTopic(kafka, topic);
    const sink = await start({
      influxdbUrl: `http://127.0.0.1:${port}`,
      group: ns.name('sink-outage'),
      topicsRegex: `it\\.${ns.id}\\.lsst\\.sal\\.Outage_.*`,
    });
    await produceSal(topic, 400, T0 + 100_000, 0);
    await waitFor('first 400 points', async () => (await count(topic)) === 400, 60_000);

    await proxy.close(); // InfluxDB "stopped" (EFD_SINK_OUTAGE_MS, default 5 s; the drill is 30 s)
    const outageMs = Number(process.env.EFD_SINK_OUTAGE_MS ?? 5000);
    const t0 = Date.now();
    await produceSal(topic, 600, T0 + 100_000, 400);
    await waitFor(
      'write errors while InfluxDB is away',
      async () => ((await sink.sink.metrics.writeErrors.get()).values[0]?.value ?? 0) >= 2,
      30_000,
    );
    await new Promise((r) => setTimeout(r, Math.max(0, outageMs - (Date.now() - t0))));
    expect(await count(topic)).toBe(400);
    const committedDuringOutage = sink.sink.committed;
    expect(committedDuringOutage).toBe(400);

    await proxy.open(); // back
    await waitFor('all 1000 points after the outage', async () => (await count(topic)) === 1000, 60_000);
    // The offsets are committed after InfluxDB acknowledged the points, so shortly after they are visible.
    await waitFor('1000 records committed', async () => sink.sink.committed === 1000, 30_000);
    await sink.stop();
    await proxy.close();
  });

  it('a sink that dies before InfluxDB acknowledged commits nothing; the next one writes everything', async () => {
    const topic = salTopic('Crash_events');
    await createTopic(kafka, topic);
    await produceSal(topic, 500, T0 + 200_000);
    const closedPort = await Proxy.freePort(); // nothing listens there
    const doomed = await start({
      influxdbUrl: `http://127.0.0.1:${closedPort}`,
      group: ns.name('sink-crash'),
      topicsRegex: `it\\.${ns.id}\\.lsst\\.sal\\.Crash_.*`,
    });
    await waitFor('records consumed', async () => ((await doomed.sink.metrics.recordsConsumed.get()).values[0]?.value ?? 0) >= 500, 30_000);
    await doomed.abort(); // like kill -9 for the uncommitted records: nothing was acknowledged, nothing committed
    expect(doomed.sink.committed).toBe(0);
    expect(await count(topic)).toBe(0);

    const next = await start({ group: ns.name('sink-crash'), topicsRegex: `it\\.${ns.id}\\.lsst\\.sal\\.Crash_.*` });
    await waitFor('500 points after the restart', async () => (await count(topic)) === 500, 60_000);
    expect(next.sink.committed).toBe(500);
    await next.stop();
  });

  it('`efd influxdb-sink` process: /metrics and /healthz, kill -9 before InfluxDB acknowledged, restart, no loss', async () => {
    const topic = salTopic('Kill_telemetry');
    await createTopic(kafka, topic);
    await produceSal(topic, 700, T0 + 300_000);
    const metricsPort = await Proxy.freePort();
    const closedPort = await Proxy.freePort();
    const c = ns.endpoints.clusters[0];
    const root = path.resolve(__dirname, '../..');
    const child = spawn(
      process.execPath,
      [
        path.join(root, 'bin/efd'),
        'influxdb-sink',
        '--brokers',
        c.kafka,
        '--registry',
        c.registry,
        '--influxdb-url',
        `http://127.0.0.1:${closedPort}`,
        '--database',
        ns.database,
        '--topics-regex',
        `it\\.${ns.id}\\.lsst\\.sal\\.Kill_.*`,
        '--group',
        ns.name('sink-kill'),
        '--dead-letter-topic',
        ns.topic('dlq-kill'),
        '--metrics-port',
        String(metricsPort),
        '--log-level',
        'warn',
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    try {
      const metricsUrl = `http://127.0.0.1:${metricsPort}`;
      await waitFor(
        '700 records consumed by the process',
        async () => {
          const text = await (await fetch(`${metricsUrl}/metrics`)).text();
          const m = /^influxdb_sink_records_consumed_total (\d+)/m.exec(text);
          return Number(m?.[1] ?? 0) >= 700 && /influxdb_sink_write_errors_total\{kind="transient"\} [1-9]/.test(text);
        },
        60_000,
      );
      expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    expect(stderr).toMatch(/InfluxDB does not take writes/);
    expect(await count(topic)).toBe(0);
    const next = await start({ group: ns.name('sink-kill'), topicsRegex: `it\\.${ns.id}\\.lsst\\.sal\\.Kill_.*` });
    await waitFor('700 points after kill -9 and restart', async () => (await count(topic)) === 700, 60_000);
    expect(next.sink.committed).toBe(700);
  });
});
