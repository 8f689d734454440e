/**
 * `efd salschema import` (replication's import mode for MirrorMaker 2) on the real registries of the
 * local EFD: cluster a's registry as the source, cluster b's as the aggregator's (Apicurio, which keeps
 * no ids on import). Every source version is accounted for: imported or already there under the id the
 * records carry, or refused with the subject, the version and the reason — a schema the aggregator's
 * registry does not accept (incompatible with what its renamed subject holds: the server's 409), or one
 * it holds under another id than the records carry (they would not decode there). Idempotent: a second
 * pass registers nothing new. A registry that does not answer exits 4, bad flags 2.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { efdProgram, runProgram } from '../lib/program';
import { freePort } from '../../scripts/local-efd/replication';
import { TestNamespace, useNamespace } from '../../test/integration/env';
import { registerSalschemaCommand, runImport } from './cli';
import { importSchemas } from './import';

let ns: TestNamespace;
const record = (name: string, fields: object[]) => JSON.stringify({ type: 'record', name, namespace: 'lsst.sal.Test', fields });

beforeAll(async () => {
  ns = await useNamespace(__filename);
});
afterAll(async () => {
  await ns?.cleanup();
});

const get = async <T>(url: string): Promise<{ status: number; body: T }> => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
};

test('re-registers the replicated subjects as <prefix>.<subject>; refused versions reported with subject and reason; idempotent', async () => {
  const [a, b] = ns.endpoints.clusters;
  const src = new SchemaRegistry({ host: a.registry });
  const dst = new SchemaRegistry({ host: b.registry });
  const prefix = 'summit';
  const topic = (t: string) => `lsst.sal.${ns.id}.${t}`;
  // At the source: position v1 and a compatible v2, trajectory v1, azimuth v1; an unreplicated subject too.
  const v1 = record('position', [{ name: 'seq', type: 'long' }]);
  const v2 = record('position', [
    { name: 'seq', type: 'long' },
    { name: 'elevation', type: 'double', default: 0 },
  ]);
  const ids = {
    position1: (await src.register({ type: SchemaType.AVRO, schema: v1 }, { subject: `${topic('position')}-value` })).id,
    position2: (await src.register({ type: SchemaType.AVRO, schema: v2 }, { subject: `${topic('position')}-value` })).id,
    trajectory: (
      await src.register(
        { type: SchemaType.AVRO, schema: record('trajectory', [{ name: 'seq', type: 'long' }]) },
        { subject: `${topic('trajectory')}-value` },
      )
    ).id,
    azimuth: (
      await src.register(
        { type: SchemaType.AVRO, schema: record('azimuth', [{ name: 'seq', type: 'long' }]) },
        { subject: `${topic('azimuth')}-value` },
      )
    ).id,
  };
  await src.register(
    { type: SchemaType.AVRO, schema: record('other', [{ name: 'x', type: 'int' }]) },
    { subject: `${ns.topic('other')}-value` },
  );
  // At the aggregator, the renamed azimuth subject already holds a schema the source's is incompatible with (BACKWARD).
  await dst.register(
    { type: SchemaType.AVRO, schema: record('azimuth', [{ name: 'seq', type: 'string' }]) },
    { subject: `${prefix}.${topic('azimuth')}-value` },
  );

  const options = { from: a.registry, to: b.registry, prefix, topicsRegex: `lsst[.]sal[.]${ns.id}[.].*`, targetFlavor: 'apicurio' };
  const first = await importSchemas({
    source: a.registry,
    target: b.registry,
    prefix,
    topicsRegex: options.topicsRegex,
    targetFlavor: 'apicurio',
  });
  process.stderr.write(`[salschema import] first pass:\n${JSON.stringify(first.versions, null, 1)}\n`);
  // Every source version of the replicated topics is in the report, nothing else.
  expect(first.versions.map((v) => [v.subject, v.version, v.id, v.target])).toEqual([
    [`${topic('azimuth')}-value`, 1, ids.azimuth, `${prefix}.${topic('azimuth')}-value`],
    [`${topic('position')}-value`, 1, ids.position1, `${prefix}.${topic('position')}-value`],
    [`${topic('position')}-value`, 2, ids.position2, `${prefix}.${topic('position')}-value`],
    [`${topic('trajectory')}-value`, 1, ids.trajectory, `${prefix}.${topic('trajectory')}-value`],
  ]);
  // Refused by the server: incompatible with what the renamed subject holds — its own 409 and message.
  const azimuth = first.versions[0];
  expect(azimuth.outcome).toBe('refused');
  expect(azimuth.reason).toMatch(/^the aggregator's registry refused it: HTTP 409/);
  // The others are at the aggregator under the renamed subjects, the same schemas; each either under the
  // id the records carry (imported) or refused because Apicurio gave another id, naming both.
  for (const v of first.versions.slice(1)) {
    expect(v.targetId).toEqual(expect.any(Number));
    if (v.targetId === v.id) expect(v.outcome).toBe('imported');
    else {
      expect(v.outcome).toBe('refused');
      expect(v.reason).toContain(`holds it as id ${v.targetId}, the replicated records carry id ${v.id}: they would not decode there`);
      // Truly so: under the id the records carry, the aggregator's registry has no schema or another one.
      const [mine, there] = await Promise.all([a, b].map((c) => fetch(`${c.registry}/schemas/ids/${v.id}`)));
      const schemaOf = async (r: Response) => (r.ok ? JSON.parse(((await r.json()) as { schema: string }).schema) : undefined);
      expect(await schemaOf(there)).not.toEqual(await schemaOf(mine));
    }
  }
  const versionsAt = async (t: string) =>
    (await get<number[]>(`${b.registry}/subjects/${encodeURIComponent(`${prefix}.${topic(t)}-value`)}/versions`)).body;
  const before = {
    position: await versionsAt('position'),
    trajectory: await versionsAt('trajectory'),
    azimuth: await versionsAt('azimuth'),
  };
  expect(before.position).toHaveLength(2);
  expect(before.trajectory).toHaveLength(1);
  expect(before.azimuth).toHaveLength(1); // only the aggregator's own
  const latest = await get<{ schema: string }>(
    `${b.registry}/subjects/${encodeURIComponent(`${prefix}.${topic('position')}-value`)}/versions/latest`,
  );
  expect(JSON.parse(latest.body.schema)).toEqual(JSON.parse(v2));

  // Idempotent: the same outcome per version (no new versions), through the command, exit 1 while any is refused.
  const out: string[] = [];
  const err: string[] = [];
  const code = await runImport(options, { out: (l) => out.push(l), err: (l) => err.push(l) });
  process.stderr.write(`[salschema import] second pass:\n${[...err, ...out].join('\n')}\n`);
  expect(code).toBe(1);
  expect(err[0]).toBe(
    `refused ${topic('azimuth')}-value version 1 (id ${ids.azimuth}) as ${prefix}.${topic('azimuth')}-value: ${azimuth.reason}`,
  );
  expect(err).toHaveLength(first.versions.filter((v) => v.outcome === 'refused').length);
  const present = first.versions.filter((v) => v.outcome === 'imported').length;
  expect(out.at(-1)).toBe(
    `salschema import: 4 schema versions ${a.registry} → ${b.registry}: 0 imported, ${present} already there, ${4 - present} refused`,
  );
  expect({
    position: await versionsAt('position'),
    trajectory: await versionsAt('trajectory'),
    azimuth: await versionsAt('azimuth'),
  }).toEqual(before);
});

test('exit codes: 4 when a registry does not answer (its URL named), 2 for bad flags', async () => {
  const [a] = ns.endpoints.clusters;
  const down = `http://127.0.0.1:${await freePort()}/apis/ccompat/v7`;
  const program = () => efdProgram(registerSalschemaCommand);
  const errors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => (errors.push(String(chunk)), true)) as typeof process.stderr.write;
  try {
    expect(
      await runProgram(program(), [
        'salschema',
        'import',
        '--from',
        a.registry,
        '--to',
        down,
        '--prefix',
        'summit',
        '--topics-regex',
        `lsst[.]sal[.]${ns.id}none[.].*`,
      ]),
    ).toBe(
      0, // nothing to import from a's registry for an unused regex: the aggregator is not asked
    );
    expect(await runProgram(program(), ['salschema', 'import', '--from', down, '--to', a.registry, '--prefix', 'summit'])).toBe(4);
    expect(await runProgram(program(), ['salschema', 'import', '--from', a.registry, '--to', a.registry, '--prefix', 'Not_A_Prefix'])).toBe(
      2,
    );
  } finally {
    process.stderr.write = write;
    process.exitCode = undefined;
  }
  expect(errors.join('')).toContain(`efd: schema registry ${down} did not answer GET /subjects?offset=0&limit=1000: connect ECONNREFUSED`);
  expect(errors.join('')).toContain('--prefix must be the flow');
});
