/**
 * Test helper shared by the unit and conformance suites of the ts_xml loader: the generics merge, on
 * the in-repo fixtures and on upstream ts_xml (both hold these ATDome and ATPtg topics).
 */
import type { SalTopic, TsXmlFolder } from './ts-xml';

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
