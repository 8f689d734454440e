/**
 * Test helper shared by the unit and conformance suites of the ts_xml loader: the per-file counts, the
 * file roles and the generics merge, on the in-repo fixtures and on upstream ts_xml (both hold these
 * files and these ATDome and ATPtg topics; each suite gives its own expected figures).
 */
import { join, relative } from 'node:path';
import { loadTsXmlFolder, type SalSubsystem, type SalTopic, type TsXmlFolder } from './ts-xml';

/** Both layouts read: the current one at `currentDir`, the 2019 one at `legacyDir` (each suite's `beforeAll`). */
export function loadLayouts(currentDir: string, legacyDir: string): { current: TsXmlFolder; legacy: TsXmlFolder } {
  return { current: loadTsXmlFolder(currentDir), legacy: loadTsXmlFolder(legacyDir) };
}

/** Per file of the current layout: [SALCommand, SALEvent, SALTelemetry, Enumeration elements, item elements]. */
export type CurrentCounts = Record<string, [number, number, number, number, number]>;

/** The current layout read with no error: exactly the files of `counts` (relative to `interfaces`), all of layout current. */
export function expectCurrentFilesRead(folder: TsXmlFolder, interfaces: string, counts: CurrentCounts): void {
  expect(folder.errors).toEqual([]);
  expect(folder.files.map((f) => relative(interfaces, f.file)).sort()).toEqual(Object.keys(counts).sort());
  expect(folder.files.every((f) => f.layout === 'current')).toBe(true);
}

/** `file` (relative to `interfaces`) holds the topics of each kind, the enumerations and the items `counts` gives. */
export function expectFileCounts(folder: TsXmlFolder, interfaces: string, file: string, counts: CurrentCounts[string]): void {
  const [commands, events, telemetry, enums, items] = counts;
  const parsed = folder.files.find((f) => f.file === join(interfaces, file))!;
  const kinds = (k: string) => parsed.topics.filter((t) => t.kind === k).length;
  expect([kinds('command'), kinds('event'), kinds('telemetry')]).toEqual([commands, events, telemetry]);
  expect(parsed.topics.reduce((n, t) => n + t.items.length, 0)).toBe(items);
  const setEnums = [...new Set(parsed.topics.map((t) => t.enumerations))].reduce((n, e) => n + e.length, 0);
  const itemEnums = parsed.topics.flatMap((t) => t.items).filter((i) => i.enumeration).length;
  expect(setEnums + itemEnums).toBe(enums);
}

/**
 * SALGenerics.xml and SALSubsystems.xml are recognised by their root elements, with `subsystemCount`
 * subsystems (ATPtg adding the csc generics, no index enumeration) and `genericCount` generic topics.
 */
export function expectRoleFiles(
  folder: TsXmlFolder,
  interfaces: string,
  subsystemCount: number,
  genericCount: number,
): { subsystems: SalSubsystem[]; generics: SalTopic[] } {
  const roles = Object.fromEntries(folder.files.map((f) => [relative(interfaces, f.file), f.role]));
  expect(roles['SALGenerics.xml']).toBe('generics');
  expect(roles['SALSubsystems.xml']).toBe('subsystems');
  const subsystems = folder.files.find((f) => f.role === 'subsystems')!.subsystems;
  expect(subsystems).toHaveLength(subsystemCount);
  expect(subsystems.find((s) => s.name === 'ATPtg')).toMatchObject({ addedGenerics: ['csc'], indexEnumeration: 'no' });
  const generics = folder.files.find((f) => f.role === 'generics')!.topics;
  expect(generics).toHaveLength(genericCount);
  expect(generics.every((g) => g.subsystem === 'SALGeneric')).toBe(true);
  return { subsystems, generics };
}

/** The legacy layout read with no error: `total` topics, and per file (a path ending) its topic count. */
export function expectLegacyCounts(folder: TsXmlFolder, total: number, counts: Record<string, number>): void {
  expect(folder.errors).toEqual([]);
  expect(folder.topics).toHaveLength(total);
  for (const [file, count] of Object.entries(counts)) {
    const parsed = folder.files.find((f) => f.file.endsWith(file))!;
    expect(parsed.topics).toHaveLength(count);
    expect(parsed.layout).toBe('legacy');
  }
}

/** The topic named `name`, failing with the name when the folder has none. */
export function topicNamed(folder: TsXmlFolder, name: string): SalTopic {
  const t = folder.topics.find((x) => x.name === name);
  if (!t) throw new Error(`no topic ${name}`);
  return t;
}

/** Every subsystem merged exactly the generics `expected` (subsystem → generic briefs) entitles it to. */
export function expectEntitledGenericsMerged(folder: TsXmlFolder, expected: Map<string, string[]>): void {
  for (const [subsystem, briefs] of expected) {
    const merged = folder.topics.filter((t) => t.subsystem === subsystem && t.generic).map((t) => t.name);
    expect(merged.sort()).toEqual(briefs.map((b) => `${subsystem}_${b}`).sort());
  }
}

/** The merge by category: ATDome (a configurable CSC) and ATPtg (a CSC) get the csc and mandatory generics they should. */
export function expectMergeByCategory(folder: TsXmlFolder): Set<string> {
  const start = topicNamed(folder, 'ATDome_command_start');
  expect(start).toMatchObject({ subsystem: 'ATDome', kind: 'command', generic: true, category: 'csc' });
  expect(start.items.map((i) => i.name)).toEqual(['configurationOverride']);
  expect(topicNamed(folder, 'ATPtg_logevent_heartbeat').category).toBe('mandatory');
  const names = new Set(folder.topics.map((t) => t.name));
  expect(names.has('ATDome_logevent_configurationApplied')).toBe(true); // csc, configurable
  expect(names.has('ATPtg_logevent_configurationApplied')).toBe(false); // csc only
  expect(names.has('ATPtg_command_start')).toBe(true);
  return names;
}
