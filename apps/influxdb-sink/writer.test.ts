import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../lib/logging';
import { InfluxWriter, type OutageEvent } from './writer';

/** An HTTP server answering 503 to the first `failures` writes, then 204. */
async function flakyInflux(failures: number): Promise<{ url: string; posts: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      n++;
      res.writeHead(n <= failures ? 503 : 204, { 'content-type': 'application/json' });
      res.end(n <= failures ? '{"error":"down for the test"}' : undefined);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, posts: () => n, close: () => new Promise((r) => server.close(() => r())) };
}

describe('InfluxWriter outages', () => {
  it('logs an outage once when it starts and once when it ends (duration, points held), not per retry; reports it', async () => {
    const influx = await flakyInflux(6);
    const lines: string[] = [];
    const logger = createLogger({ name: 'test', level: 'debug', destination: { write: (l: string) => lines.push(l) } });
    const events: OutageEvent[] = [];
    const w = new InfluxWriter({
      url: influx.url,
      database: 'db',
      initialBackoffMs: 5,
      maxBackoffMs: 20,
      logger,
      onOutage: (e) => events.push(e),
    });
    try {
      const results = await Promise.all([w.write(['m a=1 1', 'm a=2 2']), w.write(['m a=3 3'])]);
      expect(results).toEqual([[], []]);
    } finally {
      await influx.close();
    }
    expect(influx.posts()).toBeGreaterThanOrEqual(8);
    const at = (level: number) => lines.map((l) => JSON.parse(l)).filter((l) => l.level === level);
    const warns = at(40);
    const infos = at(30);
    expect(warns).toHaveLength(1);
    expect(warns[0].msg).toMatch(/^InfluxDB does not take writes \(HTTP 503: down for the test\)/);
    expect(infos).toHaveLength(1);
    expect(infos[0].msg).toMatch(/^InfluxDB takes writes again after \d+\.\d s .*: up to 3 points were held, 6 attempts failed/);
    expect(infos[0].peakHeldPoints).toBe(3);
    expect(events[0]).toMatchObject({ state: 'started', failedAttempts: 1 });
    expect(events.filter((e) => e.state === 'started')).toHaveLength(1);
    const end = events.find((e) => e.state === 'ended')!;
    expect(end).toMatchObject({ failedAttempts: 6, peakHeldPoints: 3, heldPoints: expect.any(Number) });
    expect(end.seconds).toBeGreaterThan(0);
    expect(events[events.length - 1].heldPoints).toBe(0);
    expect(w.failingSince).toBeUndefined();
  });

  it('a write sent before the outage began and answered after it does not end it (one outage, logged once each way)', async () => {
    // the first POST is held until the second one failed; then it is answered 204; later POSTs fail 3 times, then 204
    let n = 0;
    let releaseFirst: (() => void) | undefined;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const k = ++n;
        if (k === 1) {
          releaseFirst = () => res.writeHead(204).end();
          return;
        }
        const fail = k <= 5;
        res.writeHead(fail ? 503 : 204, { 'content-type': 'application/json' });
        res.end(fail ? '{"error":"down for the test"}' : undefined);
        if (k === 2) setTimeout(() => releaseFirst?.(), 20);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const lines: string[] = [];
    const logger = createLogger({ name: 'test', level: 'info', destination: { write: (l: string) => lines.push(l) } });
    const w = new InfluxWriter({ url, database: 'db', initialBackoffMs: 50, maxBackoffMs: 50, logger });
    try {
      const first = w.write(['m a=1 1']);
      await new Promise((r) => setTimeout(r, 30)); // the first POST is in flight
      const results = await Promise.all([first, w.write(['m a=2 2'])]);
      expect(results).toEqual([[], []]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    const msgs = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs.filter((m) => /does not take writes/.test(m))).toHaveLength(1);
    expect(msgs.filter((m) => /takes writes again/.test(m))).toHaveLength(1);
    expect(msgs.find((m) => /takes writes again/.test(m))).toMatch(/, 4 attempts failed/);
    expect(w.failingSince).toBeUndefined();
  });
});
