/**
 * SIGTERM while salmock produces fast: it stops making messages, waits for the acknowledgements of what
 * it sent, prints its summary and exits 0; the producers close only after that (they used to close under
 * sends still in flight: "Connection pool is closed", no summary). Every message it counts is on the topics.
 */
import { useNamespace, TestNamespace, withAdmin } from '../../test/integration/env';
import { CURRENT_DIR } from '../lib/sal/test-fixtures';
import { spawnEfd, topicsWithPrefix, totalMessages } from '../../test/integration/efd-process';
import type { SalmockSummary } from './run';

let ns: TestNamespace;
beforeAll(async () => {
  ns = await useNamespace(__filename);
});
afterAll(async () => {
  await ns?.cleanup();
});

test('SIGTERM mid-run: summary printed, exit 0, every counted message on the topics', async () => {
  const prefix = ns.topic('');
  const cluster = ns.endpoints.clusters[0];
  const mock = spawnEfd(
    [
      'salmock',
      '--xml',
      CURRENT_DIR,
      '--subsystems',
      'ATDome',
      '--topic-prefix',
      prefix,
      '--brokers',
      cluster.kafka,
      '--create-topics',
      '--rate-factor',
      '20',
      '--duration',
      '120',
      '--metrics-port',
      '0',
    ],
    { LOG_LEVEL: 'info' },
  );
  // producing for a few seconds (its first log line comes once the topics exist)
  const t0 = Date.now();
  while (!/created \d+ topic|salmock/.test(mock.output()) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 4000));
  const code = await mock.stop();
  const out = mock.output();
  expect({ code, tail: out.slice(-600) }).toMatchObject({ code: 0 });
  const line = out.split('\n').find((l) => l.startsWith('{"mode"'));
  expect(line).toBeDefined();
  const summary = JSON.parse(line!) as SalmockSummary;
  expect(summary.stoppedBy).toBe('signal');
  expect(summary.failed).toBe(0);
  expect(summary.produced).toBeGreaterThan(1000);
  expect(out).not.toMatch(/Connection pool is closed/);
  const onKafka = await withAdmin(ns.kafkaOptions(), async (admin) => totalMessages(admin, await topicsWithPrefix(admin, prefix)));
  expect(onKafka).toBe(summary.produced);
}, 180_000);
