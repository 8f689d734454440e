/**
 * salschema against the real local schema registry (Apicurio, Confluent API): every in-repo fixture
 * schema registers (current and 2019 layouts, each under its own topic prefix), the registry serves them back
 * for encode/decode, `check` finds the 2019 → current changes incompatible, an unreachable registry
 * is retried and then reported.
 */
import { createRegistry } from '../lib/registry';
import { silentLogger } from '../lib/logging';
import { useNamespace, TestNamespace } from '../../test/integration/env';
import { runCheck, runRegister } from './cli';
import { loadTopicMetadata } from '../lib/sal/metadata';
import { recordGenerator } from '../lib/sal/values';
import { schemasFromXml, subjectOf } from '../lib/sal/register';
import { CURRENT_DIR, CURRENT_MERGED_TOPICS, LEGACY_DIR, LEGACY_TOTAL_TOPICS } from '../lib/sal/test-fixtures';

let ns: TestNamespace;
let registryUrl: string;
const lines = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
};

beforeAll(async () => {
  ns = await useNamespace(__filename);
  registryUrl = ns.endpoints.clusters[0].registry;
});
afterAll(() => ns?.cleanup());

test('registers every fixture schema (both layouts) with BACKWARD, then reports them compatible and unchanged', async () => {
  const current = schemasFromXml(CURRENT_DIR);
  const legacy = schemasFromXml(LEGACY_DIR);
  expect([current.schemas.size, legacy.schemas.size]).toEqual([CURRENT_MERGED_TOPICS, LEGACY_TOTAL_TOPICS]);
  const a = lines();
  expect(
    await runRegister({ xml: CURRENT_DIR, registry: registryUrl, compatibility: 'BACKWARD', topicPrefix: ns.topic('cur.') }, a.io),
  ).toBe(0);
  expect(a.err).toEqual([]);
  expect(a.out.at(-1)).toMatch(new RegExp(`: ${current.schemas.size} new subjects, 0 new versions, 0 unchanged, 0 failed`));
  const b = lines();
  expect(
    await runRegister({ xml: LEGACY_DIR, registry: registryUrl, compatibility: 'BACKWARD', topicPrefix: ns.topic('leg.') }, b.io),
  ).toBe(0);
  expect(b.out.at(-1)).toMatch(new RegExp(`: ${legacy.schemas.size} new subjects`));

  const subjects = (await (await fetch(`${registryUrl}/subjects`)).json()) as string[];
  expect(subjects.filter((s) => s.startsWith(ns.topic('cur.')))).toHaveLength(current.schemas.size);
  expect(subjects.filter((s) => s.startsWith(ns.topic('leg.')))).toHaveLength(legacy.schemas.size);

  const c = lines();
  expect(await runCheck({ xml: CURRENT_DIR, registry: registryUrl, topicPrefix: ns.topic('cur.') }, c.io)).toBe(0);
  expect(c.out.at(-1)).toMatch(new RegExp(`${current.schemas.size} unchanged`));
}, 60_000);

test('a registered schema encodes and decodes through the registry (Confluent wire format)', async () => {
  const registry = createRegistry(registryUrl, { logger: silentLogger() });
  const subject = subjectOf('ATDome_position', ns.topic('cur.'));
  const latest = await registry.latest(subject);
  expect(latest?.schema).toMatchObject({ name: 'ATDome_position', namespace: 'lsst.sal' });
  const id = await registry.latestId(subject);
  expect(id).toBe(latest?.id);
  const meta = loadTopicMetadata(CURRENT_DIR).topics.find((t) => t.topic === 'ATDome_position');
  const value = recordGenerator(meta as never, 1)(1, 1_700_000_000_000);
  const buf = await registry.encode(id, value);
  expect(buf[0]).toBe(0);
  expect(buf.readUInt32BE(1)).toBe(id);
  const type = await registry.type(id);
  const decoded = await createRegistry(registryUrl, { logger: silentLogger() }).decode(buf);
  expect(decoded).toEqual(type.fromBuffer(type.toBuffer(value)));
  expect((decoded as Record<string, unknown>).sal_created).toBe(1_700_000_000_000);
});

test('check: the 2019 layout against the current schemas is incompatible → exit 1 with subject, level and field', async () => {
  const c = lines();
  expect(await runCheck({ xml: LEGACY_DIR, registry: registryUrl, topicPrefix: ns.topic('cur.') }, c.io)).toBe(1);
  expect(c.out.join('\n')).toMatch(
    new RegExp(
      `INCOMPATIBLE ${ns.topic('cur.').replace(/\./g, '\\.')}lsst\\.sal\\.MTM1M3TS_thermalData-value \\(BACKWARD\\): field \\w+ \\(array<float>\\) was added without a default`,
    ),
  );
  const r = lines();
  expect(
    await runRegister({ xml: LEGACY_DIR, registry: registryUrl, topicPrefix: ns.topic('cur.'), topics: '^MTM1M3TS_thermalData$' }, r.io),
  ).toBe(1);
  expect(r.err.join('\n')).toMatch(
    /incompatible with the version the registry holds \(compatibility BACKWARD\).*was added without a default/,
  );
}, 30_000);

test('an unreachable registry is retried with backoff, then reported with what to check', async () => {
  const c = lines();
  const t0 = Date.now();
  expect(await runCheck({ xml: LEGACY_DIR, registry: 'http://127.0.0.1:59999', retries: '3', topics: '^ATDome_position$' }, c.io)).toBe(1);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(700); // 250 + 500 ms of backoff
  expect(c.err.join('\n')).toMatch(
    /could not check: schema registry http:\/\/127\.0\.0\.1:59999\/apis\/ccompat\/v7: .* failed after 3 attempt\(s\): .*ECONNREFUSED.*Check that the schema registry runs/,
  );
});
