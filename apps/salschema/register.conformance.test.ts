/**
 * Conformance: register and check the real ts_xml schemas against an in-memory registry: every current
 * schema registers, the 2019 layout is reported incompatible with v28 (subject, level, field).
 */
import { describeConformance } from '../../test/conformance';
import { runCheck, runRegister } from './cli';
import { checkSchemas, registerSchemas, schemasFromXml } from '../lib/sal/register';
import { fakeRegistry, io } from './test-registry';
import { UPSTREAM_CURRENT_TOTAL_TOPICS, UPSTREAM_TS_XML, upstreamDirs } from '../lib/sal/upstream-fixtures';

describeConformance('register and check the real ts_xml', UPSTREAM_TS_XML, (root) => {
  const dirs = upstreamDirs(root);

  it('registers every real current schema, then reports them unchanged', async () => {
    const reg = fakeRegistry();
    const { schemas, errors } = schemasFromXml(dirs.current);
    expect(errors).toEqual([]);
    const first = await registerSchemas(reg, schemas, { prefix: 'p.' });
    expect(first).toHaveLength(schemas.size);
    expect(schemas.size).toBeGreaterThan(UPSTREAM_CURRENT_TOTAL_TOPICS);
    expect(first.every((r) => r.status === 'new-subject')).toBe(true);
    const again = await registerSchemas(reg, schemas, { prefix: 'p.' });
    expect(again.every((r) => r.status === 'unchanged')).toBe(true);
  });

  it('check: the 2019 layout against current schemas → non-zero exit naming subject, level and field', async () => {
    const reg = fakeRegistry();
    await registerSchemas(reg, schemasFromXml(dirs.current).schemas);
    const c = io();
    const code = await runCheck({ xml: dirs.legacy }, c.io, reg);
    expect(code).toBe(1);
    expect(c.out.join('\n')).toMatch(
      /INCOMPATIBLE lsst\.sal\.MTM1M3TS_thermalData-value \(BACKWARD\): field \w+ \(array<float>\) was added without a default/,
    );
    expect(c.out.at(-1)).toMatch(
      /salschema check: 27 schemas vs fake:\/\/registry: 0 unchanged, \d+ changed and compatible, \d+ new, [1-9]\d* incompatible, 0 not checked/,
    );
    const results = await checkSchemas(reg, schemasFromXml(dirs.legacy).schemas, { compatibility: 'NONE' });
    expect(results.every((r) => r.status !== 'incompatible')).toBe(true);
  });

  it('register: an incompatible change fails with the reason and exit 1', async () => {
    const reg = fakeRegistry();
    await registerSchemas(reg, schemasFromXml(dirs.current).schemas);
    const c = io();
    expect(await runRegister({ xml: dirs.legacy, topics: 'MTM1M3TS_thermalData' }, c.io, reg)).toBe(1);
    expect(c.err.join('\n')).toMatch(
      /lsst\.sal\.MTM1M3TS_thermalData-value: schema for subject .* is incompatible: field \w+ \(array<float>\) was added without a default/,
    );
    expect(c.out.at(-1)).toMatch(/1 failed/);
  });

  it('check passes (exit 0) on what was registered', async () => {
    const reg = fakeRegistry();
    await registerSchemas(reg, schemasFromXml(dirs.legacy).schemas);
    const c = io();
    expect(await runCheck({ xml: dirs.legacy }, c.io, reg)).toBe(0);
    expect(c.out.at(-1)).toMatch(/27 unchanged/);
  });
});
