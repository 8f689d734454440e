import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runConvert } from './cli';
import { describeConvertSuites } from './convert-check';
import { convertFolder, ConvertSummary, convertTopics, stableStringify } from '../lib/sal/convert';
import { formatSalSchemaError } from '../lib/sal/errors';
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

describeConvertSuites({
  name: 'fixtures',
  dirs: { current: CURRENT_DIR, legacy: LEGACY_DIR, interfaces: CURRENT_INTERFACES },
  currentFiles: CURRENT_FILES,
  legacyFiles: LEGACY_FILES,
  legacyTopics: LEGACY_TOTAL_TOPICS,
  int0LastSymbol: 'Step_Five',
});

describe('convertFolder on the fixtures', () => {
  it('merges the generics into every subsystem', () => {
    expect(loadTsXmlFolder(CURRENT_DIR).topics).toHaveLength(CURRENT_MERGED_TOPICS);
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
});

describe('convertFolder with malformed ts_xml', () => {
  let tmp: string;
  let dir: string;
  let summary: ConvertSummary;
  const topicXml = (body: string) =>
    `<?xml version="1.0"?>\n<SALTelemetrySet>\n  <SALTelemetry>\n    <Subsystem>Bad</Subsystem>\n${body}  </SALTelemetry>\n</SALTelemetrySet>\n`;
  const itemXml = (name: string, idl: string, count: string) =>
    `    <item>\n      <EFDB_Name>${name}</EFDB_Name>\n      <IDL_Type>${idl}</IDL_Type>\n      <Count>${count}</Count>\n    </item>\n`;

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'salschema-'));
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
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

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
