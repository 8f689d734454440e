/**
 * Test helpers: where the shared ts_xml fixtures live and the counts their README states.
 * (Used by the salschema tests only.)
 */
import { resolve } from 'node:path';

/** Root of the shared ts_xml fixtures (override with TS_XML_FIXTURES). */
export const TS_XML_FIXTURES = process.env.TS_XML_FIXTURES ?? resolve(__dirname, '../../../shared/fixtures/ts_xml');
/** Current layout (ts_xml v28). */
export const CURRENT_DIR = resolve(TS_XML_FIXTURES, 'current');
/** Folder of the current layout's interface files. */
export const CURRENT_INTERFACES = resolve(CURRENT_DIR, 'python/lsst/ts/xml/data/sal_interfaces');
/** Legacy layout (ts_xml v4.0.0, 2019). */
export const LEGACY_DIR = resolve(TS_XML_FIXTURES, 'legacy-2019');

/** Per file: [SALCommand, SALEvent, SALTelemetry, Enumeration elements, item elements] (fixtures README). */
export const CURRENT_COUNTS: Record<string, [number, number, number, number, number]> = {
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
export const LEGACY_COUNTS: Record<string, number> = {
  'ATDome/ATDome_Commands.xml': 7,
  'ATDome/ATDome_Events.xml': 14,
  'ATDome/ATDome_Telemetry.xml': 1,
  'MTM1M3TS/MTM1M3TS_Commands.xml': 2,
  'MTM1M3TS/MTM1M3TS_Events.xml': 2,
  'MTM1M3TS/MTM1M3TS_Telemetry.xml': 1,
};

/** Totals of the README: 210 topics in the current files (20 of them generic), 27 legacy. */
export const CURRENT_TOTAL_TOPICS = 210;
export const CURRENT_GENERIC_TOPICS = 20;
export const LEGACY_TOTAL_TOPICS = 27;
