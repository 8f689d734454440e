import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { avroType } from '../lib/avro-type';
import { Command } from 'commander';
import { registerSalschemaCommand, runGenerate } from './cli';
import { meanRecordBytes } from '../lib/sal/record-bytes';
import { planRate, planTopics, SEED_TOTAL_RATE } from '../lib/sal/plan';
import { itemValues, recordGenerator } from '../lib/sal/values';
import { formatSalText, layoutFromMeta } from '../lib/sal/sal-text';
import { SalTransformer } from '../saltransform/transform';
import { convertTopics } from '../lib/sal/convert';
import { apportion, generateTsXml, MANIFEST_FILE, resolveOptions, writeGeneratedTsXml, xmlEscape } from './generate';
import { loadTopicMetadata, TopicMeta } from '../lib/sal/metadata';
import { Histogram, KINDS, measureTopics, TsXmlMeasurement } from './ts-xml-measure';
import { TS_XML_PROFILE } from './ts-xml-profile';
import { loadTsXmlFolder, parseTsXml, SalTopic } from '../lib/sal/ts-xml';

const tmp = mkdtempSync(join(tmpdir(), 'efd-gen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// the default set, written once for the whole file
const written = writeGeneratedTsXml(join(tmp, 'default'));
const folder = loadTsXmlFolder(written.xmlDir);
const metas = loadTopicMetadata(written.xmlDir).topics;
const measured = measureTopics(folder.topics);

/** Total variation distance of two share maps (0 = same, 1 = disjoint). */
function tvDistance(a: Partial<Record<string, number>>, b: Partial<Record<string, number>>): number {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  let d = 0;
  for (const k of keys) d += Math.abs((a[k] ?? 0) - (b[k] ?? 0));
  return d / 2;
}
const asShares = (h: Histogram) => Object.fromEntries(h.map(([lo, hi, s]) => [`${lo}-${hi}`, s]));
/**
 * Allowed distance between a sample of `n` draws and the distribution it was drawn from: `base`, or
 * about three times the expected sampling distance (≈ 0.4·√(K/n) for K categories) when the sample is small.
 */
/** Allowed difference of a share measured on `n` draws: `base`, or three standard deviations of the sample share. */
function allowedShare(base: number, share: number, n: number): number {
  return Math.max(base, 3 * Math.sqrt((share * (1 - share)) / Math.max(1, n)));
}
function allowedTv(base: number, shares: Partial<Record<string, number>>, n: number): number {
  const k = Object.values(shares).filter((v) => (v ?? 0) > 0).length;
  return Math.max(base, 1.2 * Math.sqrt(k / Math.max(1, n)));
}

describe('generated ts_xml: counts and loading', () => {
  it('has exactly the seed experiment topic counts per kind, spread over real CSC names', () => {
    expect(written.counts).toMatchObject({ command: 274, event: 541, telemetry: 236, topics: 1051 });
    const byKind = Object.fromEntries(KINDS.map((k) => [k, folder.topics.filter((t) => t.kind === k).length]));
    expect(byKind).toEqual({ command: 274, event: 541, telemetry: 236 });
    const real = new Set(TS_XML_PROFILE.subsystems.map((s) => s.name));
    const used = new Set(folder.topics.map((t) => t.subsystem));
    expect(used.size).toBe(written.counts.subsystems);
    expect(used.size).toBeGreaterThanOrEqual(40);
    for (const s of used) expect(real.has(s)).toBe(true);
    // the subsystem with the most real telemetry gets the most generated telemetry
    const most = [...TS_XML_PROFILE.subsystems].sort((a, b) => b.telemetry - a.telemetry)[0].name;
    const tel = (s: string) => folder.topics.filter((t) => t.kind === 'telemetry' && t.subsystem === s).length;
    expect(Math.max(...[...used].map(tel))).toBe(tel(most));
  });

  it('loads with loadTsXmlFolder and loadTopicMetadata without errors, current layout, no generics', () => {
    expect(folder.errors).toEqual([]);
    expect(loadTopicMetadata(written.xmlDir).errors).toEqual([]);
    expect(metas).toHaveLength(1051);
    expect(new Set(folder.files.map((f) => f.layout))).toEqual(new Set(['current']));
    expect(folder.files.filter((f) => f.role === 'subsystems')).toHaveLength(1);
    expect(folder.topics.filter((t) => t.generic)).toHaveLength(0);
    expect(new Set(folder.topics.map((t) => t.name)).size).toBe(1051);
  });

  it('converts every topic to a valid Avro schema', () => {
    const { schemas, errors } = convertTopics(folder.topics);
    expect(errors).toEqual([]);
    expect(schemas.size).toBe(1051);
  });

  it('at the seed rates, salmock plans exactly 29,284 msg/s', () => {
    const plan = planTopics(metas);
    expect(plan).toHaveLength(1051);
    expect(planRate(plan)).toBe(29_284);
    expect(planRate(plan)).toBe(SEED_TOTAL_RATE);
  });

  it('honours other counts exactly, including a kind left out', () => {
    const g = generateTsXml({ commands: 3, events: 0, telemetry: 17, seed: 5 });
    expect(g.counts).toMatchObject({ command: 3, event: 0, telemetry: 17, topics: 20 });
    const topics = [...g.files.entries()].flatMap(([p, t]) => parseTsXml(t, p).file.topics);
    expect(topics.filter((t) => t.kind === 'command')).toHaveLength(3);
    expect(topics.filter((t) => t.kind === 'event')).toHaveLength(0);
    expect(topics.filter((t) => t.kind === 'telemetry')).toHaveLength(17);
    expect([...g.files.keys()].some((p) => p.endsWith('_Events.xml'))).toBe(false);
  });
});

describe('generated ts_xml: round trip through salmock and saltransform', () => {
  const { schemas } = convertTopics(folder.topics);
  const ids = new Map([...schemas.keys()].map((t, i) => [t, 500 + i]));
  const transformer = new SalTransformer({
    latest: async (subject) => {
      const topic = subject.replace(/^lsst\.sal\./, '').replace(/-value$/, '');
      const schema = schemas.get(topic);
      return schema ? { id: ids.get(topic) as number, version: 1, schema: schema as never } : undefined;
    },
  });
  // every 15th topic, plus the widest of each kind and every topic with an enumeration
  const widest = KINDS.map((k) =>
    metas
      .filter((m) => m.kind === k)
      .reduce((a, b) => (b.fields.reduce((n, f) => n + f.count, 0) > a.fields.reduce((n, f) => n + f.count, 0) ? b : a)),
  );
  const enumerated = metas.filter((m) => m.fields.some((f) => f.enumeration));
  const sample = [...new Set([...metas.filter((_, i) => i % 15 === 0), ...widest, ...enumerated])];

  it('samples every kind, IDL type and enumerations', () => {
    expect(sample.length).toBeGreaterThan(70);
    expect(new Set(sample.map((m) => m.kind)).size).toBe(3);
    expect(enumerated.length).toBeGreaterThan(0);
    const types = new Set(sample.flatMap((m) => m.fields.map((f) => f.idlType)));
    for (const t of ['boolean', 'string', 'int', 'long', 'long long', 'float', 'double']) expect(types.has(t as never)).toBe(true);
  });

  it('salmock values → SAL text → transform → Avro decodes to the same values', async () => {
    await transformer.prepare(sample.map((m) => m.topic));
    for (const m of sample) {
      const type = avroType(schemas.get(m.topic) as never);
      const gen = recordGenerator(m, 7);
      for (const seq of [0, 1, 2]) {
        const rec = gen(seq, 1_700_000_000_000 + seq);
        const line = Buffer.from(formatSalText(layoutFromMeta(m), rec));
        const out = transformer.transform(m.topic, line, 1_700_000_000_500);
        if (!out.ok) throw new Error(`${m.topic}: ${out.reason}`);
        expect(out.value.readUInt32BE(1)).toBe(ids.get(m.topic));
        const decoded = type.fromBuffer(out.value.subarray(5)) as Record<string, unknown>;
        expect(itemValues(m, decoded)).toEqual(itemValues(m, rec));
        expect(decoded.sal_created).toBe(rec.sal_created);
      }
    }
  });
});

describe('generated ts_xml: determinism and writing', () => {
  const digestOf = (opts: Parameters<typeof generateTsXml>[0]) =>
    [...generateTsXml(opts).files.entries()].map(([p, t]) => `${p}\n${t}`).join('\n');

  it('is the same for a seed and different for another', () => {
    const a = digestOf({ seed: 11, commands: 20, events: 30, telemetry: 10 });
    expect(digestOf({ seed: 11, commands: 20, events: 30, telemetry: 10 })).toBe(a);
    expect(digestOf({ seed: 12, commands: 20, events: 30, telemetry: 10 })).not.toBe(a);
    // the written default is the default generation
    const again = generateTsXml();
    for (const [rel, text] of again.files) expect(readFileSync(join(written.xmlDir, rel), 'utf8')).toBe(text);
  });

  it('rewrites a folder only when the options differ, and keeps a manifest', () => {
    const dir = join(tmp, 'idem');
    const opts = { seed: 3, commands: 5, events: 5, telemetry: 5 };
    const first = writeGeneratedTsXml(dir, opts);
    expect(first.written).toBe(true);
    const mtime = statSync(join(first.xmlDir, 'SALSubsystems.xml')).mtimeMs;
    const second = writeGeneratedTsXml(dir, opts);
    expect(second).toEqual({ ...first, written: false });
    expect(statSync(join(first.xmlDir, 'SALSubsystems.xml')).mtimeMs).toBe(mtime);
    const manifest = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8'));
    expect(manifest).toMatchObject({ generator: 'efd salschema generate', version: 1, options: opts, counts: first.counts });
    expect(Object.keys(manifest.files)).toContain('SALSubsystems.xml');
    const third = writeGeneratedTsXml(dir, { ...opts, seed: 4 });
    expect(third.written).toBe(true);
    expect(loadTsXmlFolder(third.xmlDir).topics).toHaveLength(15);
    // a stale file of the earlier set does not survive a rewrite
    const files = (d: string) => loadTsXmlFolder(d).files.map((f) => f.file);
    expect(files(third.xmlDir).length).toBe(Object.keys(JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')).files).length);
  });

  it('refuses a non-empty folder it did not write, and an unwritable one, naming the folder', () => {
    const foreign = join(tmp, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    expect(() => writeGeneratedTsXml(foreign)).toThrow(`${foreign} is not empty and holds no ${MANIFEST_FILE}`);
    expect(readFileSync(join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'x');
    expect(() => writeGeneratedTsXml(join(file, 'sub'))).toThrow(`cannot write the generated ts_xml under ${join(file, 'sub')}`);
  });

  it('rejects bad options with what is wrong', () => {
    expect(() => resolveOptions({ commands: -1 })).toThrow('commands must be a whole number of topics from 0 to 100000, got -1');
    expect(() => resolveOptions({ telemetry: 1.5 })).toThrow('telemetry must be a whole number');
    expect(() => resolveOptions({ seed: -3 })).toThrow('seed must be an integer from 0 to 4294967295, got -3');
    expect(() => resolveOptions({ commands: 0, events: 0, telemetry: 0 })).toThrow('nothing to generate');
  });

  it('escapes XML text, and the loader reads it back', () => {
    expect(xmlEscape(`a < b & c > "d" 'e'`)).toBe('a &lt; b &amp; c &gt; &quot;d&quot; &apos;e&apos;');
    const special = folder.topics.flatMap((t) => t.items).filter((i) => /[<&'"]/.test(i.description ?? ''));
    expect(special.length).toBeGreaterThan(100);
    expect(special.some((i) => i.description?.includes('0 <= value < limit & the axis'))).toBe(true);
  });

  it('apportions exactly', () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(
      apportion(
        274,
        TS_XML_PROFILE.subsystems.map((s) => s.command),
      ).reduce((a, b) => a + b, 0),
    ).toBe(274);
    expect(apportion(5, [0, 0])).toEqual([5, 0]);
  });
});

describe('generated ts_xml: matches the committed profile of real ts_xml', () => {
  const p = TS_XML_PROFILE.kinds;
  const g: TsXmlMeasurement['kinds'] = measured.kinds;

  it.each(KINDS)('%s: fields per topic (mean within 25 %%, histogram distance ≤ max(0.1, 1.2·√(K/n)))', (k) => {
    expect(Math.abs(g[k].fieldsPerTopic.mean - p[k].fieldsPerTopic.mean) / p[k].fieldsPerTopic.mean).toBeLessThan(0.25);
    const real = asShares(p[k].fieldsPerTopic.histogram);
    expect(tvDistance(asShares(g[k].fieldsPerTopic.histogram), real)).toBeLessThan(allowedTv(0.1, real, g[k].topics));
    expect(g[k].fieldsPerTopic.max).toBeLessThanOrEqual(p[k].fieldsPerTopic.max);
  });

  it.each(KINDS)('%s: IDL types (distance ≤ max(0.06, 1.2·√(K/n))), only real types, array and string shares within max(0.03, 3σ)', (k) => {
    const arrays = Math.round(g[k].fields * g[k].arrayShare);
    expect(tvDistance(g[k].scalarTypes, p[k].scalarTypes)).toBeLessThan(allowedTv(0.06, p[k].scalarTypes, g[k].fields - arrays));
    expect(tvDistance(g[k].arrayTypes, p[k].arrayTypes)).toBeLessThan(allowedTv(0.06, p[k].arrayTypes, arrays));
    for (const t of Object.keys(g[k].scalarTypes)) expect(p[k].scalarTypes).toHaveProperty([t]);
    for (const t of Object.keys(g[k].arrayTypes)) expect(p[k].arrayTypes).toHaveProperty([t]);
    expect(Math.abs(g[k].arrayShare - p[k].arrayShare)).toBeLessThan(allowedShare(0.03, p[k].arrayShare, g[k].fields));
    expect(Math.abs(g[k].stringShare - p[k].stringShare)).toBeLessThan(allowedShare(0.03, p[k].stringShare, g[k].fields));
  });

  it.each(KINDS)('%s: array Count (histogram distance ≤ max(0.1, 1.2·√(K/n)), within the real range)', (k) => {
    const real = asShares(p[k].arrayCount.histogram);
    const arrays = Math.round(g[k].fields * g[k].arrayShare);
    expect(tvDistance(asShares(g[k].arrayCount.histogram), real)).toBeLessThan(allowedTv(0.1, real, arrays));
    expect(g[k].arrayCount.max).toBeLessThanOrEqual(p[k].arrayCount.max);
  });

  it.each(KINDS)('%s: enumerations within max(0.004, 3σ), units and descriptions on every field', (k) => {
    const allowed = allowedShare(0.004, p[k].enumerationShare, g[k].fields);
    expect(Math.abs(g[k].enumerationShare - p[k].enumerationShare)).toBeLessThan(allowed);
    expect(g[k].unitsShare).toBe(1);
    expect(g[k].descriptionShare).toBe(1);
    expect(g[k].topicDescriptionShare).toBe(1);
  });

  it('record sizes per kind within 0.6–1.6× of real ts_xml, ~50 MB/s at the seed schedule', () => {
    const bytes = meanRecordBytes(metas as TopicMeta[], 4);
    for (const k of KINDS) {
      const ratio = bytes[k] / TS_XML_PROFILE.recordBytes[k];
      expect(ratio).toBeGreaterThan(0.6);
      expect(ratio).toBeLessThan(1.6);
    }
    const mbps = (274 * bytes.command + 541 * 10 * bytes.event + 236 * 100 * bytes.telemetry) / 1e6;
    expect(mbps).toBeGreaterThan(30);
    expect(mbps).toBeLessThan(80);
  });

  it('field and topic names come from the measured words', () => {
    const words = new Set(TS_XML_PROFILE.fieldWords.map(([w]) => w));
    const first = (n: string) => n.replace(/([A-Z]|\d).*$/, '');
    const items = (folder.topics as SalTopic[]).flatMap((t) => t.items);
    expect(items.every((i) => words.has(first(i.name)))).toBe(true);
  });
});

describe('efd salschema generate', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
  };

  it('prints the counts, the rate at the seed rates and the factor to the seed schedule', () => {
    const c = capture();
    const dir = join(tmp, 'cli-small');
    expect(runGenerate({ out: dir, seed: '9', commands: '10', events: '0', telemetry: '5' }, c.io)).toBe(0);
    expect(c.err).toEqual([]);
    expect(c.out[0]).toMatch(
      new RegExp(
        `^salschema generate: 15 topics \\(10 commands, 0 events, 5 telemetry\\) in \\d+ subsystems, \\d+ fields → ${join(dir, 'sal_interfaces')} \\(written\\)$`,
      ),
    );
    expect(c.out[1]).toMatch(/^at the seed rates \(1 \/ 10 \/ 100 Hz\): 510 msg\/s, \d+\.\d MB\/s of SAL text$/);
    expect(c.out[2]).toBe('seed schedule (29,284 msg/s): rate factor 57.42');
    const again = capture();
    expect(runGenerate({ out: dir, seed: '9', commands: '10', events: '0', telemetry: '5' }, again.io)).toBe(0);
    expect(again.out[0]).toMatch(/\(unchanged\)$/);
    expect(JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')).options).toEqual({ seed: 9, commands: 10, events: 0, telemetry: 5 });
  });

  it.each([
    [{ commands: '-5' }, 2, 'salschema generate: --commands must be a whole number (0 or more), got "-5"'],
    [{ events: 'many' }, 2, 'salschema generate: --events must be a whole number (0 or more), got "many"'],
    [{ seed: '1.5' }, 2, 'salschema generate: --seed must be a whole number (0 or more), got "1.5"'],
    [{ commands: '0', events: '0', telemetry: '0' }, 2, 'salschema generate: nothing to generate: all topic counts are 0'],
    [{ seed: '99999999999' }, 2, 'salschema generate: seed must be an integer from 0 to 4294967295, got 99999999999'],
  ])('rejects %j with exit %d and a clear message', (flags, code, message) => {
    const c = capture();
    expect(runGenerate({ out: join(tmp, 'cli-bad'), ...flags }, c.io)).toBe(code);
    expect(c.err).toEqual([message]);
    expect(c.out).toEqual([]);
  });

  it('exits 1 naming the folder when it cannot be written', () => {
    const file = join(tmp, 'cli-file');
    writeFileSync(file, 'x');
    const c = capture();
    expect(runGenerate({ out: join(file, 'gen'), commands: '1', events: '0', telemetry: '0' }, c.io)).toBe(1);
    expect(c.err[0]).toMatch(new RegExp(`^salschema generate: cannot write the generated ts_xml under ${join(file, 'gen')}: ENOTDIR`));
  });

  it('is registered as `efd salschema generate` with its flags', async () => {
    const program = new Command('efd').exitOverride();
    registerSalschemaCommand(program);
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const before = process.exitCode;
    try {
      const args = ['salschema', 'generate', '--out', join(tmp, 'cli-cmd'), '--commands', '2', '--events', '3', '--telemetry', '1'];
      await program.parseAsync(args, { from: 'user' });
      expect(process.exitCode ?? 0).toBe(0);
    } finally {
      write.mockRestore();
      process.exitCode = before;
    }
    expect(loadTsXmlFolder(join(tmp, 'cli-cmd', 'sal_interfaces')).topics).toHaveLength(6);
    const generate = program.commands.find((c) => c.name() === 'salschema')?.commands.find((c) => c.name() === 'generate');
    expect(generate?.options.map((o) => o.long)).toEqual(['--out', '--seed', '--commands', '--events', '--telemetry']);
  });
});
