import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { avroType } from '../lib/avro-type';
import { Command } from 'commander';
import { registerSalschemaCommand, runConvert } from './cli';
import { convertFolder, ConvertSummary, convertTopics, stableStringify } from '../lib/sal/convert';
import { formatSalSchemaError } from '../lib/sal/errors';
import { loadTopicMetadata } from '../lib/sal/metadata';
import {
  CURRENT_DIR,
  CURRENT_FILES,
  CURRENT_INTERFACES,
  CURRENT_MERGED_TOPICS,
  LEGACY_DIR,
  LEGACY_FILES,
  LEGACY_TOTAL_TOPICS,
} from '../lib/sal/test-fixtures';
import { loadTsXmlFolder } from '../lib/sal/ts-xml';

let tmp: string;
let current: ConvertSummary;
let legacy: ConvertSummary;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'salschema-'));
  current = convertFolder(CURRENT_DIR, join(tmp, 'current'));
  legacy = convertFolder(LEGACY_DIR, join(tmp, 'legacy'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const readSchema = (dir: string, topic: string) => JSON.parse(readFileSync(join(tmp, dir, `${topic}.avsc`), 'utf8'));

describe('convertFolder on the fixtures', () => {
  it('converts the current layout with 0 errors: one .avsc per topic, generics merged', () => {
    expect(current.errors).toEqual([]);
    expect(current.files).toBe(CURRENT_FILES);
    const expected = loadTsXmlFolder(CURRENT_DIR)
      .topics.map((t) => `${t.name}.avsc`)
      .sort();
    expect(readdirSync(join(tmp, 'current')).sort()).toEqual(expected);
    expect(expected).toHaveLength(CURRENT_MERGED_TOPICS);
    expect(current).toMatchObject({
      topics: expected.length,
      schemas: expected.length,
      byLayout: { current: expected.length, legacy: 0 },
    });
    expect(readdirSync(join(tmp, 'current'))).toEqual(expect.arrayContaining(['ATDome_command_start.avsc', 'MTM1M3TS_thermalData.avsc']));
  });

  it('converts the legacy layout with 0 errors (13 topics)', () => {
    expect(legacy.errors).toEqual([]);
    expect(legacy).toMatchObject({
      files: LEGACY_FILES,
      topics: LEGACY_TOTAL_TOPICS,
      schemas: LEGACY_TOTAL_TOPICS,
      byLayout: { current: 0, legacy: LEGACY_TOTAL_TOPICS },
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

  it('stableStringify: the text JSON.stringify gives for a key-sorted copy, on every schema and odd values', () => {
    const reference = (value: unknown): string => {
      const sort = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(sort);
        if (v === null || typeof v !== 'object') return v;
        const o = v as Record<string, unknown>;
        return Object.fromEntries(
          Object.keys(o)
            .sort()
            .map((k) => [k, sort(o[k])]),
        );
      };
      return JSON.stringify(sort(value), null, 2);
    };
    const schemas = [CURRENT_DIR, LEGACY_DIR].flatMap((d) => [...convertTopics(loadTsXmlFolder(d).topics).schemas.values()]);
    expect(schemas.length).toBeGreaterThan(50);
    for (const s of schemas) expect(stableStringify(s)).toBe(reference(s));
    const odd = {
      z: [1, 'two', null, undefined, [], {}, [[3]], { b: undefined, a: -0 }],
      '10': 'ten',
      '2': 'two',
      a: 'é "quoted" \\ \n',
      m: { y: NaN, x: Infinity, w: () => 1 },
      e: {},
    };
    expect(stableStringify(odd)).toBe(reference(odd));
    expect(stableStringify([])).toBe('[]');
    expect(stableStringify('s')).toBe('"s"');
  });

  it('writes pretty JSON with sorted keys, so output is stable', () => {
    const text = readFileSync(join(tmp, 'current', 'ATDome_position.avsc'), 'utf8');
    expect(text).toBe(`${stableStringify(JSON.parse(text))}\n`);
    expect(Object.keys(JSON.parse(text))).toEqual(['doc', 'fields', 'name', 'namespace', 'sal_subsystem', 'sal_topic_type', 'type']);
    const again = convertFolder(CURRENT_DIR, join(tmp, 'again'));
    expect(again.errors).toEqual([]);
    expect(readFileSync(join(tmp, 'again', 'ATDome_position.avsc'), 'utf8')).toBe(text);
  });

  it('writes the mapping to disk (array, enum, units)', () => {
    const arrays = readSchema('current', 'Test_logevent_arrays');
    const int0 = arrays.fields.find((f: { name: string }) => f.name === 'int0');
    expect(int0.type).toEqual({ type: 'array', items: 'int' });
    expect(int0.sal_enumeration.symbols.at(-1)).toEqual({ name: 'Step_Five', value: 5 });
    const elevation = readSchema('current', 'ATMCS_trajectory').fields.find((f: { name: string }) => f.name === 'elevation');
    expect(elevation).toMatchObject({ sal_units: 'deg', sal_count: 100, type: { type: 'array', items: 'double' } });
  });
});

describe('convertFolder with malformed ts_xml', () => {
  let dir: string;
  let summary: ConvertSummary;
  const topicXml = (body: string) =>
    `<?xml version="1.0"?>\n<SALTelemetrySet>\n  <SALTelemetry>\n    <Subsystem>Bad</Subsystem>\n${body}  </SALTelemetry>\n</SALTelemetrySet>\n`;
  const itemXml = (name: string, idl: string, count: string) =>
    `    <item>\n      <EFDB_Name>${name}</EFDB_Name>\n      <IDL_Type>${idl}</IDL_Type>\n      <Count>${count}</Count>\n    </item>\n`;

  beforeAll(() => {
    dir = join(tmp, 'bad-xml');
    mkdirSync(join(dir, 'Bad'), { recursive: true });
    writeFileSync(join(dir, 'Bad', 'Bad_Telemetry.xml'), topicXml(`    <EFDB_Topic>Bad_t</EFDB_Topic>\n${itemXml('temp', 'quad', '1')}`));
    writeFileSync(join(dir, 'Bad', 'Bad_Events.xml'), topicXml(`    <Description>no name</Description>\n`).replace(/Telemetry/g, 'Event'));
    writeFileSync(join(dir, 'Bad', 'Bad_Commands.xml'), '<SALCommandSet>\n  <SALCommand>\n</SALCommandSet>\n');
    writeFileSync(
      join(dir, 'Count_Telemetry.xml'),
      topicXml(`    <EFDB_Topic>Bad_ok</EFDB_Topic>\n${itemXml('n', 'double', 'five')}${itemXml('v', 'float', '3')}`),
    );
    writeFileSync(join(dir, 'Fine_Telemetry.xml'), topicXml(`    <EFDB_Topic>Bad_fine</EFDB_Topic>\n${itemXml('v', 'float', '3')}`));
    writeFileSync(join(dir, 'notes.xml'), '<notes><n>not ts_xml</n></notes>');
    summary = convertFolder(dir, join(tmp, 'bad-out'));
  });

  it('names file, line and field for an unknown IDL type', () => {
    expect(summary.errors).toContainEqual(
      expect.objectContaining({
        file: join(dir, 'Bad', 'Bad_Telemetry.xml'),
        line: 8,
        topic: 'Bad_t',
        field: 'temp',
        message: 'unknown IDL_Type "quad"',
      }),
    );
  });

  it('names file and line for a topic without a name', () => {
    expect(summary.errors).toContainEqual(
      expect.objectContaining({
        file: join(dir, 'Bad', 'Bad_Events.xml'),
        line: 3,
        message: expect.stringMatching(/SALEvent #1 has no EFDB_Topic/),
      }),
    );
  });

  it('names file, line and field for a non-numeric Count', () => {
    expect(summary.errors).toContainEqual(
      expect.objectContaining({
        file: join(dir, 'Count_Telemetry.xml'),
        line: 9,
        topic: 'Bad_ok',
        field: 'n',
        message: expect.stringMatching(/Count "five" is not a positive integer/),
      }),
    );
  });

  it('reports broken markup with the line', () => {
    const e = summary.errors.find((x) => x.file === join(dir, 'Bad', 'Bad_Commands.xml'))!;
    expect(e.message).toMatch(/not well-formed XML/);
    expect(e.line).toBeGreaterThan(0);
  });

  it('still converts the good topics; an XML file with another root is an error naming the roots expected', () => {
    expect(summary.errors).toHaveLength(5);
    expect(summary.schemas).toBe(1);
    expect(readdirSync(join(tmp, 'bad-out'))).toEqual(['Bad_fine.avsc']);
    expect(summary.errors).toContainEqual({
      file: join(dir, 'notes.xml'),
      line: 1,
      message:
        'root element <notes> is not a ts_xml root (expected one of SALCommandSet, SALEventSet, SALTelemetrySet, SALObjects, SALSubsystemSet, SALSubsystems)',
      fix: 'move the file out of the ts_xml folder, or correct its root element',
    });
    expect(summary.unread.map((u) => u.file)).toEqual([join(dir, 'Bad', 'Bad_Commands.xml'), join(dir, 'notes.xml')]);
    expect(summary.files).toBe(4);
  });

  it('reports per subsystem what was found, converted and skipped, each skip with its reason', () => {
    expect(summary.report.map((r) => [r.subsystem, r.found, r.converted, r.skipped.length, r.unexplained])).toEqual([['Bad', 4, 1, 3, 0]]);
    expect(summary.report[0].skipped.map((s) => [s.topic, s.line, s.reason])).toEqual([
      [undefined, 3, 'SALEvent #1 has no EFDB_Topic (topic name)'],
      ['Bad_t', 3, 'temp: unknown IDL_Type "quad"'],
      ['Bad_ok', 3, 'n: Count "five" is not a positive integer'],
    ]);
  });

  it('formats errors as file:line: topic.field: message (fix: …)', () => {
    const e = summary.errors.find((x) => x.field === 'temp')!;
    expect(formatSalSchemaError(e)).toBe(
      `${join(
        dir,
        'Bad',
        'Bad_Telemetry.xml',
      )}:8: Bad_t.temp: unknown IDL_Type "quad" (fix: use one of: null, boolean, string, short, unsigned short, int, unsigned int, long, unsigned long, long long, unsigned long long, float, double, byte, char, octet, bytes)`,
    );
  });

  it('prints the report with --report', () => {
    const out: string[] = [];
    expect(runConvert({ xml: dir, out: join(tmp, 'bad-out3'), report: true }, { out: (l) => out.push(l), err: () => undefined })).toBe(3);
    expect(out.slice(1, 4)).toEqual([
      'subsystem  found  converted  skipped',
      'Bad            4          1        3',
      'total          4          1        3',
    ]);
    expect(out).toContain(`skipped Bad_t (${join(dir, 'Bad', 'Bad_Telemetry.xml')}:3): temp: unknown IDL_Type "quad"`);
    expect(out.at(-1)).toMatch(/^not read: .*notes\.xml: line 1: root element <notes> is not a ts_xml root/);
  });

  it('makes the CLI exit 3 (bad input) and print the errors', () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = runConvert({ xml: dir, out: join(tmp, 'bad-out2') }, { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(code).toBe(3);
    expect(out[0]).toMatch(/4 ts_xml files, 1 topics, 1 schemas written/);
    expect(err.at(-1)).toBe('salschema convert: 5 error(s)');
  });
});

describe('salschema CLI', () => {
  it('prints counts and exits 0 for the legacy fixtures', () => {
    const out: string[] = [];
    const code = runConvert({ xml: LEGACY_DIR, out: join(tmp, 'cli-legacy') }, { out: (l) => out.push(l), err: (l) => out.push(l) });
    expect(code).toBe(0);
    expect(out).toEqual([
      `salschema convert: 6 ts_xml files, 13 topics, 13 schemas written to ${join(tmp, 'cli-legacy')} (current layout 0, legacy 13)`,
    ]);
  });

  it('registers `salschema convert --xml --out` on a program', async () => {
    const program = new Command('efd').exitOverride();
    registerSalschemaCommand(program);
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['salschema', 'convert', '--xml', LEGACY_DIR, '--out', join(tmp, 'cli-cmd')], {
        from: 'user',
      });
    } finally {
      write.mockRestore();
    }
    expect(process.exitCode ?? 0).toBe(0);
    expect(readdirSync(join(tmp, 'cli-cmd'))).toHaveLength(LEGACY_TOTAL_TOPICS);
    const salschema = program.commands.find((c) => c.name() === 'salschema')!;
    expect(salschema.commands.map((c) => c.name())).toEqual(['convert', 'register', 'check', 'generate']);
  });
});

describe('loadTopicMetadata (for mock producers)', () => {
  it('lists fields with Avro type and count, in ts_xml order', () => {
    const { topics, errors } = loadTopicMetadata(CURRENT_DIR);
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
    expect(loadTopicMetadata(CURRENT_INTERFACES).topics).toHaveLength(current.topics);
  });
});
