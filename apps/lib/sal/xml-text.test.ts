/**
 * Malformed ts_xml, as a user meets it: a file cut short, a byte that is not UTF-8, an empty file, markup
 * broken in a topic. Each error names the file, the real line, the topic and field when there is one,
 * and what to do. The files are the in-repo fixtures, cut or changed in memory or in a temp folder.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertFolder } from './convert';
import { CURRENT_INTERFACES } from './test-fixtures';
import { parseTsXml } from './ts-xml';
import { decodeUtf8, invalidUtf8Offset, openElements } from './xml-text';

const EVENTS = join(CURRENT_INTERFACES, 'ATDome', 'ATDome_Events.xml');
const text = readFileSync(EVENTS, 'utf8');
const lines = text.split('\n');
/** The text up to and including line `n` (1-based). */
const upToLine = (n: number) => lines.slice(0, n).join('\n') + '\n';

describe('a ts_xml file cut short', () => {
  it('is reported at its last line, inside which elements, topic and field, with what to do', () => {
    const n = lines.findIndex((l) => l.includes('<EFDB_Name>commandedState</EFDB_Name>')) + 1;
    expect(n).toBeGreaterThan(1);
    const { errors, file } = parseTsXml(upToLine(n), 'ATDome_Events.xml');
    expect(file.topics).toEqual([]);
    expect(errors).toHaveLength(1);
    const item = lines
      .slice(0, n)
      .map((l, i) => [l, i + 1] as const)
      .filter(([l]) => l.trim() === '<item>')
      .at(-1)![1];
    const event = lines
      .slice(0, n)
      .map((l, i) => [l, i + 1] as const)
      .filter(([l]) => l.trim() === '<SALEvent>')
      .at(-1)![1];
    expect(errors[0]).toEqual({
      file: 'ATDome_Events.xml',
      line: n,
      topic: 'ATDome_logevent_azimuthCommandedState',
      field: 'commandedState',
      message: `the file ends inside <item> (line ${item}) in <SALEvent> (line ${event}) in <SALEventSet> (line 3): it is cut short or end tags are missing`,
      fix: 'restore the rest of the file from the ts_xml release it came from, or close the elements (</item></SALEvent></SALEventSet>)',
    });
  });

  it('is reported at the real line when it stops inside a tag', () => {
    const cut = text.slice(0, text.lastIndexOf('</SALEventSet>') + 4);
    const { errors } = parseTsXml(cut, 'x.xml');
    expect(errors).toHaveLength(1);
    expect(errors[0].line).toBe(cut.split('\n').length);
    expect(errors[0].message).toMatch(/the file may be cut short/);
  });

  it('an empty file is an error too', () => {
    expect(parseTsXml('', 'e.xml').errors).toEqual([
      { file: 'e.xml', line: 1, message: 'the file is empty', fix: 'restore its content from the ts_xml release it came from' },
    ]);
    expect(parseTsXml('<?xml version="1.0"?>\n', 'd.xml').errors.map((e) => e.message)).toEqual(['the file holds no XML element']);
  });
});

describe('markup broken inside a topic', () => {
  it('names the line, the topic and the field it falls in', () => {
    const n = lines.findIndex((l) => l.includes('<EFDB_Name>commandedState</EFDB_Name>')) + 2;
    const broken = [...lines.slice(0, n - 1), lines[n - 1].replace('</Description>', '</Descriptio>'), ...lines.slice(n)].join('\n');
    const { errors } = parseTsXml(broken, 'x.xml');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      line: n,
      topic: 'ATDome_logevent_azimuthCommandedState',
      field: 'commandedState',
      fix: 'correct the markup at that line',
    });
    expect(errors[0].message).toMatch(/^not well-formed XML at column \d+: Expected closing tag 'Description'/);
  });
});

describe('end tags misplaced so the XML stays well formed', () => {
  const telemetry = readFileSync(join(CURRENT_INTERFACES, 'ATDome', 'ATDome_Telemetry.xml'), 'utf8').split('\n');
  const swap = (ls: string[], k: number) => [...ls.slice(0, k), ls[k + 1], ls[k], ...ls.slice(k + 2)].join('\n');

  it('an <item> inside an item is an error, not a field silently lost', () => {
    const k = telemetry.findIndex((l, i) => l.trim() === '</item>' && telemetry[i + 1].trim() === '<item>');
    const { errors, file } = parseTsXml(swap(telemetry, k), 'ATDome_Telemetry.xml');
    expect(file.topics).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      topic: 'ATDome_position',
      message: expect.stringMatching(
        /^item #\d+ \(\w+\) has (an <item> inside it|<EFDB_Name> more than once): an end tag is misplaced or missing$/,
      ),
    });
    expect(file.rejected.map((r) => [r.name, r.reasons.length])).toEqual([['ATDome_position', 1]]);
  });

  it('a topic inside a topic is an error', () => {
    const commands = readFileSync(join(CURRENT_INTERFACES, 'ATDome', 'ATDome_Commands.xml'), 'utf8').split('\n');
    const k = commands.findIndex((l, i) => l.trim() === '</SALCommand>' && commands[i + 1].trim() === '<SALCommand>');
    const { errors } = parseTsXml(swap(commands, k), 'ATDome_Commands.xml');
    expect(errors.map((e) => e.message)).toContainEqual(
      expect.stringMatching(/^SALCommand #\d+ has (a|an) <SALCommand> inside it: an end tag is misplaced or missing$|more than once/),
    );
  });

  it('a quote missing in an <?xml-stylesheet?> declaration is an error at its line, not a crash', () => {
    const broken = text.replace('href="', 'href=');
    expect(broken).not.toBe(text);
    const { errors } = parseTsXml(broken, 'x.xml');
    expect(errors).toEqual([
      {
        file: 'x.xml',
        line: 2,
        message: 'not well-formed XML: Pi Tag is not closed.',
        fix: 'correct the quotes of that <?...?> declaration and end it with ?>',
      },
    ]);
  });
});

describe('a byte that is not UTF-8', () => {
  it('is an error naming the line and byte offset, never a silent U+FFFD', () => {
    const bytes = Buffer.from(text, 'utf8');
    const at = bytes.indexOf('Azimuth');
    bytes[at] = 0xe9; // é in Latin-1
    const line = text.slice(0, at).split('\n').length;
    expect(decodeUtf8(bytes, 'f.xml')).toEqual({
      file: 'f.xml',
      line,
      message: `byte 0xe9 at byte offset ${at} is not UTF-8 (ts_xml files are UTF-8)`,
      fix: 'convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8) or replace the character',
    });
  });

  it('finds the first invalid byte as the UTF-8 rules say (overlong, surrogate, cut sequence)', () => {
    const cases: [number[], number][] = [
      [[0x61, 0xc3, 0xa9, 0x62], -1],
      [[0xf0, 0x9f, 0x98, 0x80], -1],
      [[0x61, 0xc0, 0xaf], 1], // overlong
      [[0xed, 0xa0, 0x80], 0], // surrogate
      [[0x61, 0x62, 0xe2, 0x82], 2], // cut short
      [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
      [[0x80], 0],
    ];
    for (const [b, at] of cases) expect([b, invalidUtf8Offset(Uint8Array.from(b))]).toEqual([b, at]);
  });

  it('is reported by convert with the file, and the other files still convert', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'salschema-utf8-'));
    try {
      mkdirSync(join(tmp, 'in', 'ATDome'), { recursive: true });
      const bytes = Buffer.from(text, 'utf8');
      bytes[bytes.indexOf('Azimuth')] = 0xe9;
      writeFileSync(join(tmp, 'in', 'ATDome', 'ATDome_Events.xml'), bytes);
      writeFileSync(
        join(tmp, 'in', 'ATDome', 'ATDome_Telemetry.xml'),
        readFileSync(join(CURRENT_INTERFACES, 'ATDome', 'ATDome_Telemetry.xml')),
      );
      const s = convertFolder(join(tmp, 'in'), join(tmp, 'out'));
      expect(s.errors.map((e) => [e.file, e.message.replace(/offset \d+/, 'offset N')])).toEqual([
        [join(tmp, 'in', 'ATDome', 'ATDome_Events.xml'), 'byte 0xe9 at byte offset N is not UTF-8 (ts_xml files are UTF-8)'],
      ]);
      expect(s.schemas).toBe(1);
      expect(s.unread.map((u) => u.file)).toEqual([join(tmp, 'in', 'ATDome', 'ATDome_Events.xml')]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a UTF-8 byte-order mark is fine', () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    const decoded = decodeUtf8(withBom, 'b.xml') as string;
    expect(parseTsXml(decoded, 'b.xml').errors).toEqual([]);
  });
});

describe('openElements', () => {
  it('ignores comments, CDATA, processing instructions and self-closing tags', () => {
    const xml = '<?xml version="1.0"?><a x="1>"><!-- <b> --><c/><![CDATA[<d>]]><e>';
    expect(openElements(xml).map((e) => e.name)).toEqual(['a', 'e']);
  });
});
