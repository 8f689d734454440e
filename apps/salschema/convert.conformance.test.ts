/**
 * Conformance: `salschema convert` on the real ts_xml copies: both layouts convert with 0 errors, one
 * valid .avsc per topic (generics merged), stable output, the CLI counts of the fixtures README.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { avroType } from '../lib/avro-type';
import { Command } from 'commander';
import { describeConformance } from '../../test/conformance';
import { registerSalschemaCommand, runConvert } from './cli';
import { convertFolder, ConvertSummary, stableStringify } from '../lib/sal/convert';
import { loadTopicMetadata } from '../lib/sal/metadata';
import { loadTsXmlFolder } from '../lib/sal/ts-xml';
import { UPSTREAM_LEGACY_TOTAL_TOPICS, UPSTREAM_TS_XML, upstreamDirs } from '../lib/sal/upstream-fixtures';

describeConformance('salschema convert on the real ts_xml', UPSTREAM_TS_XML, (root) => {
  const dirs = upstreamDirs(root);
  let tmp: string;
  let current: ConvertSummary;
  let legacy: ConvertSummary;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'salschema-conformance-'));
    current = convertFolder(dirs.current, join(tmp, 'current'));
    legacy = convertFolder(dirs.legacy, join(tmp, 'legacy'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const readSchema = (dir: string, topic: string) => JSON.parse(readFileSync(join(tmp, dir, `${topic}.avsc`), 'utf8'));

  describe('convertFolder on the real ts_xml', () => {
    it('converts the current layout with 0 errors: one .avsc per topic, generics merged', () => {
      expect(current.errors).toEqual([]);
      expect(current.files).toBe(19);
      const expected = loadTsXmlFolder(dirs.current)
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

    it('converts the legacy layout with 0 errors (27 topics)', () => {
      expect(legacy.errors).toEqual([]);
      expect(legacy).toMatchObject({
        files: 6,
        topics: UPSTREAM_LEGACY_TOTAL_TOPICS,
        schemas: UPSTREAM_LEGACY_TOTAL_TOPICS,
        byLayout: { legacy: 27 },
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
      const again = convertFolder(dirs.current, join(tmp, 'again'));
      expect(again.errors).toEqual([]);
      expect(readFileSync(join(tmp, 'again', 'ATDome_position.avsc'), 'utf8')).toBe(text);
    });

    it('writes the real mapping to disk (array, enum, units)', () => {
      const arrays = readSchema('current', 'Test_logevent_arrays');
      const int0 = arrays.fields.find((f: { name: string }) => f.name === 'int0');
      expect(int0.type).toEqual({ type: 'array', items: 'int' });
      expect(int0.sal_enumeration.symbols.at(-1)).toEqual({ name: 'Int0ValueEnum_Five', value: 5 });
    });
  });

  describe('salschema CLI', () => {
    it('prints counts and exits 0 for the legacy fixtures', () => {
      const out: string[] = [];
      const code = runConvert({ xml: dirs.legacy, out: join(tmp, 'cli-legacy') }, { out: (l) => out.push(l), err: (l) => out.push(l) });
      expect(code).toBe(0);
      expect(out).toEqual([
        `salschema convert: 6 ts_xml files, 27 topics, 27 schemas written to ${join(tmp, 'cli-legacy')} (current layout 0, legacy 27)`,
      ]);
    });

    it('registers `salschema convert --xml --out` on a program', async () => {
      const program = new Command('efd').exitOverride();
      registerSalschemaCommand(program);
      const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        await program.parseAsync(['salschema', 'convert', '--xml', dirs.legacy, '--out', join(tmp, 'cli-cmd')], {
          from: 'user',
        });
      } finally {
        write.mockRestore();
      }
      expect(process.exitCode ?? 0).toBe(0);
      expect(readdirSync(join(tmp, 'cli-cmd'))).toHaveLength(27);
      const salschema = program.commands.find((c) => c.name() === 'salschema')!;
      expect(salschema.commands.map((c) => c.name())).toEqual(['convert', 'register', 'check', 'generate']);
    });
  });

  describe('loadTopicMetadata (for mock producers)', () => {
    it('lists fields with Avro type and count, in ts_xml order', () => {
      const { topics, errors } = loadTopicMetadata(dirs.current);
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
      expect(loadTopicMetadata(dirs.interfaces).topics).toHaveLength(current.topics);
    });
  });
});
