/**
 * Conformance: `salschema convert --report` on the real ts_xml copies (v28 and the 2019 layout), and on
 * any other real checkout named by EFD_TS_XML (any release, either layout): every topic element found in
 * the XML and every generic topic a subsystem is entitled to is converted, none skipped, none lost.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeConformance } from '../../test/conformance';
import { formatConvertReport } from './cli';
import { convertFolder, ConvertSummary } from '../lib/sal/convert';
import { expectedGenerics } from '../lib/sal/test-fixtures';
import { UPSTREAM_LEGACY_COUNTS, UPSTREAM_TS_XML, upstreamDirs } from '../lib/sal/upstream-fixtures';

/** Topic start tags per subsystem folder, counted in the raw text (comments removed), independently of the parser. */
function rawTopicCounts(interfaces: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const dir of readdirSync(interfaces).filter((d) => statSync(join(interfaces, d)).isDirectory())) {
    const texts = readdirSync(join(interfaces, dir))
      .filter((f) => f.endsWith('.xml'))
      .map((f) => readFileSync(join(interfaces, dir, f), 'utf8').replace(/<!--[\s\S]*?-->/g, ''));
    out.set(
      dir,
      texts.reduce((n, t) => n + (t.match(/<SAL(Command|Event|Telemetry)[\s>]/g) ?? []).length, 0),
    );
  }
  return out;
}

function expectNothingLost(summary: ConvertSummary): void {
  expect(summary.errors).toEqual([]);
  expect(summary.unread).toEqual([]);
  expect(summary.report.filter((r) => r.unexplained !== 0 || r.skipped.length > 0)).toEqual([]);
  expect(summary.report.reduce((n, r) => n + r.converted, 0)).toBe(summary.schemas);
}

describeConformance('salschema convert --report on the real ts_xml', UPSTREAM_TS_XML, (root) => {
  const dirs = upstreamDirs(root);
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'salschema-report-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('current layout: per subsystem, found = its topic elements + the generics it is entitled to, all converted', () => {
    const summary = convertFolder(dirs.current, join(tmp, 'current'));
    expectNothingLost(summary);
    const raw = rawTopicCounts(dirs.interfaces);
    const generics = expectedGenerics(dirs.interfaces);
    expect(summary.report.map((r) => [r.subsystem, r.found, r.converted])).toEqual(
      [...raw.keys()].sort().map((s) => [s, raw.get(s)! + generics.get(s)!.length, raw.get(s)! + generics.get(s)!.length]),
    );
    const lines = formatConvertReport(summary);
    expect(lines[0]).toBe('subsystem    found  converted  skipped');
    expect(lines.at(-1)).toBe(`total        ${String(summary.schemas).padStart(5)}  ${String(summary.schemas).padStart(9)}        0`);
  });

  it('2019 layout: every topic element of every file converted, none skipped', () => {
    const summary = convertFolder(dirs.legacy, join(tmp, 'legacy'));
    expectNothingLost(summary);
    const perSubsystem = new Map<string, number>();
    for (const [file, n] of Object.entries(UPSTREAM_LEGACY_COUNTS))
      perSubsystem.set(file.split('/')[0], (perSubsystem.get(file.split('/')[0]) ?? 0) + n);
    expect(summary.report.map((r) => [r.subsystem, r.found, r.converted])).toEqual([...perSubsystem].map(([s, n]) => [s, n, n]));
  });

  const extra = process.env.EFD_TS_XML;
  (extra ? it : it.skip)(`the checkout in EFD_TS_XML (${extra ?? 'not set'}): 0 errors, 0 skipped, 0 lost`, () => {
    expectNothingLost(convertFolder(extra as string, join(tmp, 'extra')));
  });
});
