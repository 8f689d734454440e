/**
 * The committed ts_xml profile against the upstream fixture copy (a subset of the ts_xml release it was
 * measured on): the measurement recomputed on the fixture must agree with the figures committed.
 * Per subsystem the figures are exact; for the whole release only what a subset can check (types, ranges).
 */
import { join } from 'node:path';
import { describeConformance } from '../../test/conformance';
import { KINDS, measureTopics } from './ts-xml-measure';
import { TS_XML_PROFILE } from './ts-xml-profile';
import { entitledGenerics, loadTsXmlFolder } from '../lib/sal/ts-xml';

describeConformance('ts_xml profile', 'ts_xml/current', (dir) => {
  const folder = loadTsXmlFolder(join(dir, 'python/lsst/ts/xml/data/sal_interfaces'));
  const m = measureTopics(folder.topics);
  const committed = new Map(TS_XML_PROFILE.subsystems.map((s) => [s.name, s]));

  it('loads the fixture without errors', () => {
    expect(folder.errors).toEqual([]);
    expect(m.subsystems.length).toBeGreaterThan(0);
  });

  it('has, per subsystem, exactly the committed topic, field and value counts', () => {
    for (const s of m.subsystems) expect({ ...s }).toEqual(committed.get(s.name));
  });

  it('lists the committed number of subsystems in SALSubsystems.xml, and every measured one among them', () => {
    const listed = folder.files.filter((f) => f.role === 'subsystems').flatMap((f) => f.subsystems.map((s) => s.name));
    expect(listed).toHaveLength(TS_XML_PROFILE.source.subsystems);
    for (const name of committed.keys()) expect(listed).toContain(name);
  });

  it.each(KINDS)('%s: uses only committed IDL types and stays within the committed ranges', (k) => {
    const got = m.kinds[k];
    const all = TS_XML_PROFILE.kinds[k];
    for (const t of Object.keys(got.scalarTypes)) expect(all.scalarTypes).toHaveProperty([t]);
    for (const t of Object.keys(got.arrayTypes)) expect(all.arrayTypes).toHaveProperty([t]);
    expect(got.topics).toBeLessThanOrEqual(all.topics);
    expect(got.fields).toBeLessThanOrEqual(all.fields);
    expect(got.fieldsPerTopic.max).toBeLessThanOrEqual(all.fieldsPerTopic.max);
    expect(got.valuesPerTopic.max).toBeLessThanOrEqual(all.valuesPerTopic.max);
    expect(got.arrayCount.max).toBeLessThanOrEqual(all.arrayCount.max);
    // current ts_xml: every field has units and a description
    expect(got.unitsShare).toBe(all.unitsShare);
    expect(got.descriptionShare).toBe(all.descriptionShare);
  });

  it('gives the committed number of generic topics: SALGenerics.xml entitlements of the committed subsystems', () => {
    // SALSubsystems.xml and SALGenerics.xml of the fixture are the release's own files
    const subsystems = folder.files.filter((f) => f.role === 'subsystems').flatMap((f) => f.subsystems);
    const generics = folder.files.filter((f) => f.role === 'generics').flatMap((f) => f.topics);
    expect(generics.length).toBeGreaterThan(0);
    const total = [...committed.keys()].reduce((n, name) => {
      const entry = subsystems.find((s) => s.name === name);
      return n + (entry ? entitledGenerics(entry.addedGenerics, generics).generics.length : 0);
    }, 0);
    expect(total).toBe(TS_XML_PROFILE.genericTopics);
    expect(TS_XML_PROFILE.topics - TS_XML_PROFILE.genericTopics).toBe(
      TS_XML_PROFILE.subsystems.reduce((n, s) => n + s.command + s.event + s.telemetry, 0),
    );
  });
});
