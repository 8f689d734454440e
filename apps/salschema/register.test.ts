import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AvroRecordSchema } from '../lib/sal/avro';
import { runCheck, runRegister } from './cli';
import {
  checkSchemas,
  explainIncompatibility,
  kafkaTopicOf,
  registerSchemas,
  schemasFromAvscFolder,
  schemasFromXml,
  subjectOf,
} from '../lib/sal/register';
import { CURRENT_DIR, CURRENT_MERGED_TOPICS, CURRENT_TOTAL_TOPICS, LEGACY_DIR, LEGACY_TOTAL_TOPICS } from '../lib/sal/test-fixtures';
import { fakeRegistry, io } from './test-registry';

const rec = (fields: { name: string; type: unknown; default?: unknown }[]) =>
  ({ type: 'record', name: 'X_t', namespace: 'lsst.sal', fields }) as never;
/** Fields a and b of the given types (the base schema: a double, b long). */
const ab = (a: unknown, b: unknown) => [
  { name: 'a', type: a },
  { name: 'b', type: b },
];
const base = rec(ab('double', 'long'));

describe('explainIncompatibility', () => {
  it('BACKWARD: added field without default, type change', () => {
    expect(explainIncompatibility(base, rec([...ab('double', 'long'), { name: 'c', type: 'int' }]), 'BACKWARD')).toEqual([
      'field c (int) was added without a default, so records written with the registered schema cannot be read (give it a default)',
    ]);
    expect(explainIncompatibility(base, rec(ab('string', 'long')), 'BACKWARD')[0]).toMatch(
      /field a: type changed from double to string; the new schema cannot read registered data \(cannot read "double" as "string"\)/,
    );
  });
  it('promotions and removals follow the direction; NONE accepts anything', () => {
    const widened = rec(ab('double', 'double'));
    expect(explainIncompatibility(base, widened, 'BACKWARD')).toEqual([]);
    expect(explainIncompatibility(base, widened, 'FORWARD')[0]).toMatch(
      /field b: type changed from long to double; readers of the registered schema cannot read new data/,
    );
    const removed = rec([{ name: 'a', type: 'double' }]);
    expect(explainIncompatibility(base, removed, 'BACKWARD_TRANSITIVE')).toEqual([]);
    expect(explainIncompatibility(base, removed, 'FULL')).toEqual([
      'field b (long) was removed but has no default, so readers of the registered schema cannot read new data',
    ]);
    expect(explainIncompatibility(base, rec([{ name: 'a', type: 'string' }]), 'NONE')).toEqual([]);
    expect(
      explainIncompatibility(
        base,
        rec([...ab('double', 'long'), { name: 'c', type: { type: 'array', items: 'float' }, default: [] }]),
        'FULL',
      ),
    ).toEqual([]);
  });
  it('falls back to whole-schema resolution (renamed record)', () => {
    expect(explainIncompatibility(base, { ...(base as object), name: 'Y_t' } as never, 'BACKWARD')[0]).toMatch(
      /cannot read registered data/,
    );
  });
});

describe('register and check', () => {
  it('subjects follow the Kafka topic: [prefix]lsst.sal.<topic>-value', () => {
    expect(kafkaTopicOf('ATDome_position')).toBe('lsst.sal.ATDome_position');
    expect(subjectOf('ATDome_position', 'it.x.')).toBe('it.x.lsst.sal.ATDome_position-value');
  });

  it('registers every current fixture schema, then reports them unchanged', async () => {
    const reg = fakeRegistry();
    const { schemas, errors } = schemasFromXml(CURRENT_DIR);
    expect(errors).toEqual([]);
    const first = await registerSchemas(reg, schemas, { prefix: 'p.' });
    expect(first).toHaveLength(schemas.size);
    expect(schemas.size).toBeGreaterThan(CURRENT_TOTAL_TOPICS);
    expect(schemas.size).toBe(CURRENT_MERGED_TOPICS);
    expect(first.every((r) => r.status === 'new-subject')).toBe(true);
    const again = await registerSchemas(reg, schemas, { prefix: 'p.' });
    expect(again.every((r) => r.status === 'unchanged')).toBe(true);
  });

  it('asks the registry which subjects it holds first: a new subject is one registration, an unchanged schema one lookup', async () => {
    const reg = fakeRegistry();
    const calls: string[] = [];
    const spy = <K extends 'register' | 'lookup' | 'latest' | 'compatibility' | 'listSubjects'>(k: K) => {
      const f = reg[k] as (...a: unknown[]) => unknown;
      (reg as unknown as Record<string, unknown>)[k] = (...a: unknown[]) => {
        calls.push(k === 'register' ? `register${(a[2] as { newSubject?: boolean })?.newSubject ? ' new' : ''}` : k);
        return f(...a);
      };
    };
    for (const k of ['register', 'lookup', 'latest', 'compatibility', 'listSubjects'] as const) spy(k);
    const schemas = new Map([
      ['X_a', rec([{ name: 'a', type: 'double' }])],
      ['X_b', rec([{ name: 'b', type: 'double' }])],
    ]);
    const first = await registerSchemas(reg, schemas, { prefix: 'p.' });
    expect(first.map((r) => r.status)).toEqual(['new-subject', 'new-subject']);
    expect(calls).toEqual(['listSubjects', 'register new', 'register new']);
    calls.length = 0;
    const again = await registerSchemas(reg, schemas, { prefix: 'p.' });
    expect(again.map((r) => [r.status, r.id])).toEqual(first.map((r) => ['unchanged', r.id]));
    expect(calls).toEqual(['listSubjects', 'lookup', 'lookup']);
    calls.length = 0;
    const changed = await registerSchemas(
      reg,
      new Map([
        [
          'X_a',
          rec([
            { name: 'a', type: 'double' },
            { name: 'c', type: 'int', default: 0 },
          ]),
        ],
      ]),
      {
        prefix: 'p.',
      },
    );
    expect(changed.map((r) => r.status)).toEqual(['new-version']);
    expect(calls).toEqual(['listSubjects', 'lookup', 'latest', 'register']);
  });
  it('check: the 2019 layout against current schemas → non-zero exit naming subject, level and field', async () => {
    const reg = fakeRegistry();
    await registerSchemas(reg, schemasFromXml(CURRENT_DIR).schemas);
    const c = io();
    const code = await runCheck({ xml: LEGACY_DIR }, c.io, reg);
    expect(code).toBe(1);
    expect(c.out.join('\n')).toMatch(
      /INCOMPATIBLE lsst\.sal\.MTM1M3TS_thermalData-value \(BACKWARD\): field \w+ \(array<float>\) was added without a default/,
    );
    expect(c.out.at(-1)).toMatch(
      /salschema check: 13 schemas vs fake:\/\/registry: 0 unchanged, \d+ changed and compatible, \d+ new, [1-9]\d* incompatible, 0 not checked/,
    );
    const results = await checkSchemas(reg, schemasFromXml(LEGACY_DIR).schemas, { compatibility: 'NONE' });
    expect(results.every((r) => r.status !== 'incompatible')).toBe(true);
  });

  it('register: an incompatible change fails with the reason and exit 1', async () => {
    const reg = fakeRegistry();
    await registerSchemas(reg, schemasFromXml(CURRENT_DIR).schemas);
    const c = io();
    expect(await runRegister({ xml: LEGACY_DIR, topics: 'MTM1M3TS_thermalData' }, c.io, reg)).toBe(1);
    expect(c.err.join('\n')).toMatch(
      /lsst\.sal\.MTM1M3TS_thermalData-value: schema for subject .* is incompatible: field \w+ \(array<float>\) was added without a default/,
    );
    expect(c.out.at(-1)).toMatch(/1 failed/);
  });

  it('check passes (exit 0) on what was registered', async () => {
    const reg = fakeRegistry();
    await registerSchemas(reg, schemasFromXml(LEGACY_DIR).schemas);
    const c = io();
    expect(await runCheck({ xml: LEGACY_DIR }, c.io, reg)).toBe(0);
    expect(c.out.at(-1)).toMatch(new RegExp(`${LEGACY_TOTAL_TOPICS} unchanged`));
  });

  it('operator errors: no source, no registry, bad .avsc files', async () => {
    const c = io();
    expect(await runRegister({}, c.io, fakeRegistry())).toBe(2);
    expect(c.err[0]).toMatch(/give exactly one of --xml .* or --schemas/);
    const saved = process.env.SCHEMA_REGISTRY_URL;
    delete process.env.SCHEMA_REGISTRY_URL;
    const d = io();
    expect(await runCheck({ xml: LEGACY_DIR }, d.io)).toBe(2);
    expect(d.err.join('\n')).toMatch(/no schema registry: pass --registry <url> or set SCHEMA_REGISTRY_URL/);
    if (saved !== undefined) process.env.SCHEMA_REGISTRY_URL = saved;
    const dir = mkdtempSync(join(tmpdir(), 'avsc-'));
    writeFileSync(join(dir, 'bad.avsc'), '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]}');
    writeFileSync(
      join(dir, 'ok.avsc'),
      JSON.stringify({ type: 'record', name: 'Y', namespace: 'lsst.sal', fields: [] } satisfies AvroRecordSchema),
    );
    const loaded = schemasFromAvscFolder(dir);
    expect([...loaded.schemas.keys()]).toEqual(['Y']);
    expect(loaded.errors[0]).toMatch(/bad\.avsc: .*nope.*\(fix: regenerate it with efd salschema convert\)/);
  });
});
