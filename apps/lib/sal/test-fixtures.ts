/**
 * Test helpers: the project's own ts_xml-format fixtures (test/fixtures/ts_xml, written for these tests;
 * see test/fixtures/README.md for which file covers which mapping rule) and the counts they hold.
 * Tests judged against the real ts_xml use ./upstream-fixtures instead (conformance suites).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Root of the in-repo ts_xml fixtures. */
export const TS_XML_FIXTURES = resolve(__dirname, '../../../test/fixtures/ts_xml');
/** Current layout (as ts_xml v28: SALGenerics.xml, SALSubsystems.xml, one folder per subsystem). */
export const CURRENT_DIR = resolve(TS_XML_FIXTURES, 'current');
/** Folder of the current layout's interface files. */
export const CURRENT_INTERFACES = resolve(CURRENT_DIR, 'python/lsst/ts/xml/data/sal_interfaces');
/** Legacy layout (2019: per-topic Version, Author, Alias, ..., generic topics listed in each subsystem). */
export const LEGACY_DIR = resolve(TS_XML_FIXTURES, 'legacy');

/** Per file: [SALCommand, SALEvent, SALTelemetry, Enumeration elements, item elements]. */
export const CURRENT_COUNTS: Record<string, [number, number, number, number, number]> = {
  'ATDome/ATDome_Commands.xml': [5, 0, 0, 0, 2],
  'ATDome/ATDome_Events.xml': [0, 4, 0, 2, 5],
  'ATDome/ATDome_Telemetry.xml': [0, 0, 1, 0, 4],
  'ATMCS/ATMCS_Commands.xml': [2, 0, 0, 0, 4],
  'ATMCS/ATMCS_Events.xml': [0, 1, 0, 0, 1],
  'ATMCS/ATMCS_Telemetry.xml': [0, 0, 2, 0, 5],
  'ATPtg/ATPtg_Commands.xml': [2, 0, 0, 0, 6],
  'ATPtg/ATPtg_Events.xml': [0, 1, 0, 1, 1],
  'ATPtg/ATPtg_Telemetry.xml': [0, 0, 1, 0, 4],
  'MTM1M3TS/MTM1M3TS_Commands.xml': [1, 0, 0, 0, 1],
  'MTM1M3TS/MTM1M3TS_Events.xml': [0, 1, 0, 0, 2],
  'MTM1M3TS/MTM1M3TS_Telemetry.xml': [0, 0, 1, 0, 4],
  'SALGenerics.xml': [7, 5, 0, 1, 13],
  'SALSubsystems.xml': [0, 0, 0, 0, 0],
  'ScriptQueue/ScriptQueue_Commands.xml': [2, 0, 0, 1, 6],
  'ScriptQueue/ScriptQueue_Events.xml': [0, 3, 0, 2, 12],
  'Test/Test_Commands.xml': [2, 0, 0, 0, 30],
  'Test/Test_Events.xml': [0, 2, 0, 6, 30],
  'Test/Test_Telemetry.xml': [0, 0, 2, 0, 30],
};

/** Topics per legacy file. */
export const LEGACY_COUNTS: Record<string, number> = {
  'ATDome/ATDome_Commands.xml': 4,
  'ATDome/ATDome_Events.xml': 3,
  'ATDome/ATDome_Telemetry.xml': 1,
  'MTM1M3TS/MTM1M3TS_Commands.xml': 2,
  'MTM1M3TS/MTM1M3TS_Events.xml': 2,
  'MTM1M3TS/MTM1M3TS_Telemetry.xml': 1,
};

/** Topic elements in the current files (33 of the subsystems, 12 generic ones in SALGenerics.xml). */
export const CURRENT_TOTAL_TOPICS = 45;
export const CURRENT_GENERIC_TOPICS = 12;
/** Topics after the merge: 33 own + the generics each subsystem gets (ATDome 9, ATMCS 8, ATPtg 8, MTM1M3TS 10, ScriptQueue 9, Test 9). */
export const CURRENT_MERGED_TOPICS = 86;
/** `<SALSubsystem>` entries of SALSubsystems.xml (6 with topic files, 2 without). */
export const CURRENT_SUBSYSTEMS = 8;
/** XML files of each layout. */
export const CURRENT_FILES = 19;
export const LEGACY_FILES = 6;
export const LEGACY_TOTAL_TOPICS = 13;

/**
 * Generic topics each subsystem folder of `interfaces` is entitled to, computed straight from the XML
 * text (independently of the parser): mandatory + the AddedGenerics categories and topic names.
 */
export function expectedGenerics(interfaces: string): Map<string, string[]> {
  const generics = readFileSync(join(interfaces, 'SALGenerics.xml'), 'utf8')
    .split(/<SAL(?:Command|Event)>/)
    .slice(1)
    .map((block) => ({
      brief: /<EFDB_Topic>SALGeneric_(\w+)<\/EFDB_Topic>/.exec(block)![1],
      category: /<Category>(\w+)<\/Category>/.exec(block.split('</SAL')[0])?.[1],
    }));
  const subsystemsXml = readFileSync(join(interfaces, 'SALSubsystems.xml'), 'utf8');
  const out = new Map<string, string[]>();
  for (const dir of readdirSync(interfaces, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    const block = subsystemsXml.split('<SALSubsystem>').find((b) => b.includes(`<Name>${dir.name}</Name>`))!;
    const added = /<AddedGenerics>([^<]*)<\/AddedGenerics>/
      .exec(block)![1]
      .split(',')
      .map((s) => s.trim());
    const wanted = new Set(['mandatory', ...added]);
    out.set(
      dir.name,
      generics.filter((g) => wanted.has(g.brief) || (g.category && wanted.has(g.category))).map((g) => g.brief),
    );
  }
  return out;
}

/** The 2019–2020 layout with its SALGenerics.xml and SALSubsystems.xml (root SALSubsystems, `<Generics>yes|no</Generics>`). */
export const LEGACY_2020_DIR = resolve(TS_XML_FIXTURES, 'legacy-2020');
/** Current layout with a subsystem that has only generics (a folder with a README) and a topic without `<Subsystem>`. */
export const GENERICS_ONLY_DIR = resolve(TS_XML_FIXTURES, 'generics-only');
