import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Partitioners } from 'kafkajs';
import { EXIT, exitCodeOf } from '../lib/exit-codes';
import type { OutgoingMessage } from '../lib/kafka';
import { avroType } from '../lib/avro-type';
import { wireSchemaId, WIRE_HEADER_BYTES } from '../lib/registry';
import { writeAvroFile } from './avro-file';
import { AlertGenerator } from './generate';
import {
  checkAlertFiles,
  epochSeconds,
  fileSource,
  generatedSource,
  parseVisitLine,
  partitionOf,
  produceVisits,
  readAlertFile,
  SEND_CHUNK,
  sendVisit,
  VisitReport,
  visitLine,
} from './produce';
import { ALERT_SCHEMA, Alert, alertType, visitOf } from './schema';

const T0 = Date.UTC(2024, 11, 2, 3, 4, 5);

/** A sender that records what it was given and acknowledges at once. */
function recordingSender() {
  const sent: { topic: string; messages: OutgoingMessage[] }[] = [];
  return { sent, send: async (topic: string, messages: OutgoingMessage[]) => void sent.push({ topic, messages }) };
}

function alertsOf(n: number, seed = 1, cutouts = false): Alert[] {
  const g = new AlertGenerator({ seed, alertsPerVisit: n, cutouts });
  return [...g.alerts(g.visit(0, T0))];
}

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-alerts-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('partitionOf', () => {
  it('puts a key where kafkajs and the Java client put it (murmur2)', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    const partitionMetadata = Array.from({ length: 10 }, (_, i) => ({
      partitionId: i,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    for (const k of ['179619478400000', '179619478400001', 'a', '1']) {
      expect(partitionOf(Buffer.from(k), 10)).toBe(
        kafkajs({ topic: 't', partitionMetadata, message: { key: Buffer.from(k), value: null } }),
      );
    }
  });
});

describe('sendVisit', () => {
  it('sends each alert once: wire format with the schema id, key alertId, header visit, partition by key', async () => {
    const senders = [recordingSender(), recordingSender()];
    const alerts = alertsOf(SEND_CHUNK * 2 + 7);
    let clock = 1000;
    const r = await sendVisit(alerts, { topic: 'x.alerts', schemaId: 42, partitions: 5, senders }, () => (clock += 10));
    const messages = senders.flatMap((s) => s.sent.flatMap((b) => b.messages));
    expect(r.alerts).toBe(alerts.length);
    expect(messages).toHaveLength(alerts.length);
    expect(senders.every((s) => s.sent.every((b) => b.topic === 'x.alerts'))).toBe(true);
    expect(r.visit).toBe(visitOf(alerts[0].diaSource.ccdVisitId));
    expect(r.bytes).toBe(messages.reduce((n, m) => n + (m.value as Buffer).length, 0));
    const byKey = new Map(messages.map((m) => [String(m.key), m]));
    for (const a of alerts) {
      const m = byKey.get(String(a.alertId))!;
      const value = m.value as Buffer;
      expect(wireSchemaId(value)).toBe(42);
      expect(alertType().fromBuffer(value.subarray(WIRE_HEADER_BYTES))).toEqual(a);
      expect(m.headers).toEqual({ visit: String(visitOf(a.diaSource.ccdVisitId)) });
      expect(m.partition).toBe(partitionOf(m.key as Buffer, 5));
    }
    // partition p goes through sender p % 2
    senders.forEach((s, i) => expect(s.sent.flatMap((b) => b.messages).every((m) => m.partition! % 2 === i)).toBe(true));
    // handed over in chunks, each stamped when it was made
    expect(senders[0].sent.length + senders[1].sent.length).toBe(6);
    expect(r.firstMs).toBe(1010);
    expect(r.lastAckMs).toBeGreaterThan(r.submittedMs);
    expect(r.produceS).toBeCloseTo((r.lastAckMs - r.firstMs) / 1000, 9);
    expect(new Set(messages.map((m) => m.timestamp)).size).toBe(3);
  });

  it('starts a new slab when one is full (cutouts: 17 kB an alert) and keeps every value intact', async () => {
    const s = recordingSender();
    const alerts = alertsOf(600, 2, true);
    await sendVisit(alerts, { topic: 't', schemaId: 1, partitions: 1, senders: [s] });
    const values = s.sent.flatMap((b) => b.messages).map((m) => m.value as Buffer);
    const buffers = new Set(values.map((v) => v.buffer));
    expect(buffers.size).toBeGreaterThan(1);
    // (bytes compared: jest's deep equality walks a Buffer byte by byte)
    expect(values.every((v, i) => v.subarray(WIRE_HEADER_BYTES).equals(alertType().toBuffer(alerts[i])))).toBe(true);
  });

  it('waits for every acknowledgement and fails with the send error', async () => {
    const failing = { send: async () => Promise.reject(new Error('producing 1 message(s) failed: broker gone')) };
    await expect(sendVisit(alertsOf(3), { topic: 't', schemaId: 1, partitions: 1, senders: [failing] })).rejects.toThrow('broker gone');
  });
});

describe('produceVisits', () => {
  it('starts visit k at t0 + k · interval and reports each', async () => {
    const s = recordingSender();
    const g = new AlertGenerator({ seed: 4, alertsPerVisit: 20, cutouts: false });
    const seen: VisitReport[] = [];
    const t0 = Date.now();
    const reports = await produceVisits({
      source: generatedSource(g, 3),
      sink: { topic: 't', schemaId: 1, partitions: 2, senders: [s] },
      intervalMs: 50,
      onVisit: (r) => seen.push(r),
    });
    expect(reports).toEqual(seen);
    expect(reports.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(reports.map((r) => r.alerts)).toEqual([20, 20, 20]);
    expect(reports[1].scheduledMs - reports[0].scheduledMs).toBe(50);
    expect(reports[2].scheduledMs - reports[0].scheduledMs).toBe(100);
    expect(reports[0].scheduledMs).toBeGreaterThanOrEqual(t0);
    reports.forEach((r) => expect(r.firstMs).toBeGreaterThanOrEqual(r.scheduledMs));
    expect(s.sent.flatMap((b) => b.messages)).toHaveLength(60);
  });

  it('stops before the next visit once the signal aborts', async () => {
    const s = recordingSender();
    const ac = new AbortController();
    const g = new AlertGenerator({ seed: 4, alertsPerVisit: 5, cutouts: false });
    const reports = await produceVisits({
      source: generatedSource(g),
      sink: { topic: 't', schemaId: 1, partitions: 1, senders: [s] },
      intervalMs: 60_000,
      signal: ac.signal,
      onVisit: () => ac.abort(),
    });
    expect(reports).toHaveLength(1);
  });
});

describe('Avro files', () => {
  it('reads the alerts of a file, validated; one file per visit, at most the cap', async () => {
    const alerts = alertsOf(12, 3, true);
    const file = path.join(tmp, 'visit.avro');
    await writeAvroFile(file, alertType(), alerts);
    const read = await readAlertFile(file);
    expect(read.map((a, i) => alertType().toBuffer(a).equals(alertType().toBuffer(alerts[i])))).toEqual(Array(12).fill(true));
    expect(read[3].diaSource).toEqual(alerts[3].diaSource);
    expect(await checkAlertFiles([file, file])).toEqual([12, 12]);
    const src = fileSource([file], 5, 2);
    expect(src.visits).toBe(2);
    const v = src.visit(1, T0);
    expect(v.label).toBe(file);
    expect([...(await v.alerts)].map((a) => a.alertId)).toEqual(alerts.slice(0, 5).map((a) => a.alertId));
  });

  it('rejects an alert not matching the schema with the file, the alert and the field path (bad input)', async () => {
    const schema = JSON.parse(JSON.stringify(ALERT_SCHEMA));
    schema.fields[2].type.fields.find((f: { name: string }) => f.name === 'decl').type = 'string';
    const good = alertsOf(3);
    const bad = good.map((a, i) => ({
      ...a,
      prv_diaSources: null,
      diaSource: { ...a.diaSource, decl: i === 2 ? 'south' : String(a.diaSource.decl) },
    }));
    const file = path.join(tmp, 'bad.avro');
    await writeAvroFile(file, avroType(schema), bad);
    const err = await checkAlertFiles([file]).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `--from-avro ${file}: alert 1 of 3 (alertId ${good[0].alertId}) does not match the alert schema (lsst.alert v1.0, apps/alerts/schema.ts): ` +
        `diaSource.decl: expected double, got string "${good[0].diaSource.decl}"`,
    );
    expect(exitCodeOf(err)).toBe(EXIT.badInput);
  });

  it('names a missing file and one that is not Avro', async () => {
    const missing = path.join(tmp, 'none.avro');
    await expect(readAlertFile(missing)).rejects.toThrow(`--from-avro ${missing}: no such file`);
    const text = path.join(tmp, 'text.avro');
    fs.writeFileSync(text, 'not avro');
    const err = await readAlertFile(text).catch((e: Error) => e);
    expect((err as Error).message).toMatch(`--from-avro ${text}: not an Avro object container file of alerts`);
    expect(exitCodeOf(err)).toBe(EXIT.badInput);
    expect(() => fileSource([], 10)).toThrow('--from-avro: no files given');
  });
});

describe('visitLine', () => {
  const r: VisitReport = {
    index: 1,
    label: '2024120154245',
    visit: 2024120154245,
    alerts: 10000,
    bytes: 3_600_000,
    scheduledMs: 1733108645000,
    firstMs: 1733108645012,
    submittedMs: 1733108645500,
    lastAckMs: 1733108645734,
    produceS: 0.722,
  };

  it('says when the first alert was made, the last submitted and acknowledged, and the produce time', () => {
    expect(visitLine(r)).toBe(
      'visit:2024120154245, index:1, alerts:10000, bytes:3600000, first:1733108645.012, submitted:1733108645.500, last_ack:1733108645.734, produce_s:0.722',
    );
  });

  it('adds late_s when the visit started more than 0.1 s after its time', () => {
    expect(visitLine({ ...r, firstMs: r.scheduledMs + 2500 })).toMatch(/, late_s:2\.500$/);
  });

  it('writes times as epoch seconds with milliseconds', () => {
    expect(epochSeconds(1528496269734)).toBe('1528496269.734');
  });

  it('reads back (parseVisitLine): the times in ms, late_s when there; other lines are not visits', () => {
    expect(parseVisitLine(visitLine(r))).toEqual({
      visit: '2024120154245',
      index: 1,
      alerts: 10000,
      bytes: 3_600_000,
      firstMs: r.firstMs,
      submittedMs: r.submittedMs,
      lastAckMs: r.lastAckMs,
      produceS: 0.722,
    });
    expect(parseVisitLine(visitLine({ ...r, firstMs: r.scheduledMs + 2500 }))?.lateS).toBe(2.5);
    expect(parseVisitLine('topic:alerts, visits:2, alerts:20000, max_produce_s:0.900, seed:4')).toBeUndefined();
    expect(parseVisitLine('visit:1, index:x, last_ack:1')).toBeUndefined();
  });
});
