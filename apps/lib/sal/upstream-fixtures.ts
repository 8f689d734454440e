/**
 * Conformance helpers: where the real ts_xml copies sit under the upstream fixtures root (see
 * test/conformance.ts: `$EFD_FIXTURES` or `../shared/fixtures`) and the counts their README states.
 * Only `*.conformance.test.ts` suites use these; unit tests use the in-repo ./test-fixtures.
 */
import { join } from 'node:path';

/** Subpath of both real layouts under the fixtures root. */
export const UPSTREAM_TS_XML = 'ts_xml';
/** Current layout (ts_xml v28.0.1) and legacy layout (v4.0.0, 2019), relative to {@link UPSTREAM_TS_XML}. */
export const UPSTREAM_CURRENT = 'current';
export const UPSTREAM_LEGACY = 'legacy-2019';
/** Folder of the current layout's interface files, relative to the current layout. */
export const UPSTREAM_INTERFACES = 'python/lsst/ts/xml/data/sal_interfaces';

/** The three folders of a real ts_xml root (the absolute path `describeConformance` gives). */
export function upstreamDirs(root: string): { current: string; interfaces: string; legacy: string } {
  const current = join(root, UPSTREAM_CURRENT);
  return { current, interfaces: join(current, UPSTREAM_INTERFACES), legacy: join(root, UPSTREAM_LEGACY) };
}

/** Per file: [SALCommand, SALEvent, SALTelemetry, Enumeration elements, item elements] (fixtures README). */
export const UPSTREAM_CURRENT_COUNTS: Record<string, [number, number, number, number, number]> = {
  'ATDome/ATDome_Commands.xml': [7, 0, 0, 0, 3],
  'ATDome/ATDome_Events.xml': [0, 16, 0, 4, 38],
  'ATDome/ATDome_Telemetry.xml': [0, 0, 1, 0, 4],
  'ATMCS/ATMCS_Commands.xml': [4, 0, 0, 0, 13],
  'ATMCS/ATMCS_Events.xml': [0, 37, 0, 5, 51],
  'ATMCS/ATMCS_Telemetry.xml': [0, 0, 8, 0, 63],
  'ATPtg/ATPtg_Commands.xml': [31, 0, 0, 0, 76],
  'ATPtg/ATPtg_Events.xml': [0, 28, 0, 14, 95],
  'ATPtg/ATPtg_Telemetry.xml': [0, 0, 7, 0, 55],
  'MTM1M3TS/MTM1M3TS_Commands.xml': [10, 0, 0, 0, 9],
  'MTM1M3TS/MTM1M3TS_Events.xml': [0, 12, 0, 3, 112],
  'MTM1M3TS/MTM1M3TS_Telemetry.xml': [0, 0, 4, 0, 25],
  'SALGenerics.xml': [8, 12, 0, 1, 42],
  'SALSubsystems.xml': [0, 0, 0, 0, 0],
  'ScriptQueue/ScriptQueue_Commands.xml': [10, 0, 0, 1, 25],
  'ScriptQueue/ScriptQueue_Events.xml': [0, 7, 0, 2, 45],
  'Test/Test_Commands.xml': [4, 0, 0, 0, 23],
  'Test/Test_Events.xml': [0, 2, 0, 4, 21],
  'Test/Test_Telemetry.xml': [0, 0, 2, 0, 21],
};

/** Topics per legacy file (fixtures README: ATDome 7/14/1, MTM1M3TS 2/2/1; 27 in total). */
export const UPSTREAM_LEGACY_COUNTS: Record<string, number> = {
  'ATDome/ATDome_Commands.xml': 7,
  'ATDome/ATDome_Events.xml': 14,
  'ATDome/ATDome_Telemetry.xml': 1,
  'MTM1M3TS/MTM1M3TS_Commands.xml': 2,
  'MTM1M3TS/MTM1M3TS_Events.xml': 2,
  'MTM1M3TS/MTM1M3TS_Telemetry.xml': 1,
};

/** Totals of the README: 210 topics in the current files (20 of them generic), 63 subsystems, 27 legacy topics. */
export const UPSTREAM_CURRENT_TOTAL_TOPICS = 210;
export const UPSTREAM_CURRENT_GENERIC_TOPICS = 20;
export const UPSTREAM_SUBSYSTEMS = 63;
export const UPSTREAM_LEGACY_TOTAL_TOPICS = 27;
