/**
 * Test suites shared by the unit and conformance suites: `salschema convert` on a ts_xml copy (both
 * layouts convert with 0 errors, one valid .avsc per topic, stable output, the CLI's counts) and the
 * topic metadata mock producers read. The unit suite runs them on the in-repo fixtures, the
 * conformance suite on upstream ts_xml.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { avroType } from '../lib/avro-type';
import { Command } from 'commander';
import { registerSalschemaCommand, runConvert } from './cli';
import { convertFolder, ConvertSummary, stableStringify } from '../lib/sal/convert';
import { loadTopicMetadata } from '../lib/sal/metadata';
import { loadTsXmlFolder } from '../lib/sal/ts-xml';

/** A ts_xml copy with both layouts, and what converting it gives. */
export interface ConvertFixture {
  /** As the suites name it: "fixtures", "real ts_xml". */
  name: string;
  dirs: { current: string; legacy: string; interfaces: string };
  currentFiles: number;
  legacyFiles: number;
  legacyTopics: number;
  /** The last symbol of the `int0` enumeration of Test_logevent_arrays. */
  int0LastSymbol: string;
}

export function describeConvertSuites(fx: ConvertFixture): void {
  let tmp: string;
  let current: ConvertSummary;
  let legacy: ConvertSummary;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'salschema-'));
    current = convertFolder(fx.dirs.current, join(tmp, 'current'));
    legacy = convertFolder(fx.dirs.legacy, join(tmp, 'legacy'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const readSchema = (dir: string, topic: string) => JSON.parse(readFileSync(join(tmp, dir, `${topic}.avsc`), 'utf8'));

  describe(`convertFolder on the ${fx.name}`, () => {
    it('converts the current layout with 0 errors: one .avsc per topic, generics merged', () => {
      expect(current.errors).toEqual([]);
      expect(current.files).toBe(fx.currentFiles);
      const expected = loadTsXmlFolder(fx.dirs.current)
        .topics.map((t) => `${t.name}.avsc`)
        .sort();
      expect(readdirSync(join(tmp, 'current')).sort()).toEqual(expected);
      expect(current).toMatchObject({
        topics: expected.length,
        schemas: expected.length,
        byLayout: { current: expected.length, legacy: 0 },
      });
      expect(readdirSync(join(tmp, 'current'))).toEqual(expect.arrayContaining(['ATDome_command_start.avsc', 'MTM1M3TS_thermalData.avsc']));
    });

    it(`converts the legacy layout with 0 errors (${fx.legacyTopics} topics)`, () => {
      expect(legacy.errors).toEqual([]);
      expect(legacy).toMatchObject({
        files: fx.legacyFiles,
        topics: fx.legacyTopics,
        schemas: fx.legacyTopics,
        byLayout: { current: 0, legacy: fx.legacyTopics },
      });
      expect(readSchema('legacy', 'ATDome_command_moveAzimuth').name).toBe('ATDome_command_moveAzimuth');
    });

    it('writes schemas every one of which avsc parses', () => {
      for (const dir of ['current', 'legacy']) {
        for (const f of readdirSync(join(tmp, dir))) {
          const schema = JSON.parse(readFileSync(join(tmp, dir, f), 'utf8'));
          expect(() => avroType(schema)).not.toThrow();
          expect(`${schema.name}.avsc`).toBe(f);
          expect(schema.namespace).toBe('lsst.sal');
        }
      }
    });

    it('writes pretty JSON with sorted keys, so output is stable', () => {
      const text = readFileSync(join(tmp, 'current', 'ATDome_position.avsc'), 'utf8');
      expect(text).toBe(`${stableStringify(JSON.parse(text))}\n`);
      expect(Object.keys(JSON.parse(text))).toEqual(['doc', 'fields', 'name', 'namespace', 'sal_subsystem', 'sal_topic_type', 'type']);
      const again = convertFolder(fx.dirs.current, join(tmp, 'again'));
      expect(again.errors).toEqual([]);
      expect(readFileSync(join(tmp, 'again', 'ATDome_position.avsc'), 'utf8')).toBe(text);
    });

    it('writes the mapping to disk (array, enum, units)', () => {
      const arrays = readSchema('current', 'Test_logevent_arrays');
      const int0 = arrays.fields.find((f: { name: string }) => f.name === 'int0');
      expect(int0.type).toEqual({ type: 'array', items: 'int' });
      expect(int0.sal_enumeration.symbols.at(-1)).toEqual({ name: fx.int0LastSymbol, value: 5 });
      const elevation = readSchema('current', 'ATMCS_trajectory').fields.find((f: { name: string }) => f.name === 'elevation');
      expect(elevation).toMatchObject({ sal_units: 'deg', sal_count: 100, type: { type: 'array', items: 'double' } });
    });
  });

  describe('salschema CLI', () => {
    it('prints counts and exits 0 for the legacy fixtures', () => {
      const out: string[] = [];
      const code = runConvert({ xml: fx.dirs.legacy, out: join(tmp, 'cli-legacy') }, { out: (l) => out.push(l), err: (l) => out.push(l) });
      expect(code).toBe(0);
      expect(out).toEqual([
        `salschema convert: ${fx.legacyFiles} ts_xml files, ${fx.legacyTopics} topics, ${fx.legacyTopics} schemas written to ${join(tmp, 'cli-legacy')} (current layout 0, legacy ${fx.legacyTopics})`,
      ]);
    });

    it('registers `salschema convert --xml --out` on a program', async () => {
      const program = new Command('efd').exitOverride();
      registerSalschemaCommand(program);
      const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        await program.parseAsync(['salschema', 'convert', '--xml', fx.dirs.legacy, '--out', join(tmp, 'cli-cmd')], {
          from: 'user',
        });
      } finally {
        write.mockRestore();
      }
      expect(process.exitCode ?? 0).toBe(0);
      expect(readdirSync(join(tmp, 'cli-cmd'))).toHaveLength(fx.legacyTopics);
      const salschema = program.commands.find((c) => c.name() === 'salschema')!;
      expect(salschema.commands.map((c) => c.name())).toEqual(['convert', 'register', 'check', 'generate', 'import']);
    });
  });

  describe('loadTopicMetadata (for mock producers)', () => {
    it('lists fields with Avro type and count, in ts_xml order', () => {
      const { topics, errors } = loadTopicMetadata(fx.dirs.current);
      expect(errors).toEqual([]);
      expect(topics).toHaveLength(current.topics);
      const traj = topics.find((t) => t.topic === 'ATMCS_trajectory')!;
      expect(traj).toMatchObject({
        subsystem: 'ATMCS',
        kind: 'telemetry',
        topicType: 'SALTelemetry',
        shortName: 'trajectory',
        schemaName: 'lsst.sal.ATMCS_trajectory',
        generic: false,
      });
      expect(traj.fields[1]).toEqual({
        name: 'elevation',
        index: 1,
        idlType: 'double',
        avroType: 'double',
        count: 100,
        array: true,
        units: 'deg',
      });
      expect(traj.efdFields.map((f) => f.name)).toContain('sal_created');
      const start = topics.find((t) => t.topic === 'Test_command_start')!;
      expect(start).toMatchObject({ kind: 'command', shortName: 'command_start', generic: true });
      const arrays = topics.find((t) => t.topic === 'Test_logevent_arrays')!;
      expect(arrays.fields.find((f) => f.name === 'int0')!.enumeration!.map((s) => s.value)).toEqual([0, 2, 4, 5]);
    });

    it('is ready for the SALSubsystems interfaces folder too', () => {
      expect(loadTopicMetadata(fx.dirs.interfaces).topics).toHaveLength(current.topics);
    });
  });
}
