/**
 * Generic topics merged per subsystem as each release defines them, on the in-repo fixtures
 * legacy-2020 (SALSubsystems root, `<Generics>yes|no</Generics>`) and generics-only (a subsystem whose
 * folder holds only a README; a topic without `<Subsystem>`). See test/fixtures/README.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertFolder, ConvertSummary } from './convert';
import { loadTsXmlFolder, TsXmlFolder } from './ts-xml';
import { GENERICS_ONLY_DIR, LEGACY_2020_DIR } from './test-fixtures';

const names = (f: TsXmlFolder, subsystem: string) =>
  f.topics
    .filter((t) => t.subsystem === subsystem)
    .map((t) => t.name)
    .sort();

describe('the 2019–2020 layout: SALSubsystems.xml with <Generics>', () => {
  let folder: TsXmlFolder;
  beforeAll(() => {
    folder = loadTsXmlFolder(LEGACY_2020_DIR);
  });

  it('reads SALSubsystems.xml (root SALSubsystems, <Subsystem> entries) instead of skipping it', () => {
    expect(folder.errors).toEqual([]);
    const subsystems = folder.files.find((f) => f.role === 'subsystems')!;
    expect(subsystems).toMatchObject({ root: 'SALSubsystems', layout: 'legacy' });
    expect(subsystems.subsystems.map((s) => [s.name, s.addedGenerics.join(), s.indexEnumeration ?? '-', s.line])).toEqual([
      ['ATDome', 'yes', 'fixed,portable', 3],
      ['ATDomeTrajectory', 'yes', '-', 12],
      ['ATBuilding', 'no', '-', 19],
      ['ATSpectrograph', 'yes', '-', 26],
    ]);
    expect(folder.files.find((f) => f.role === 'generics')!.layout).toBe('legacy');
  });

  it('merges every generic topic where Generics is yes, none where no', () => {
    const generics = [
      'command_enable',
      'command_setLogLevel',
      'command_start',
      'logevent_logLevel',
      'logevent_settingVersions',
      'logevent_summaryState',
    ];
    expect(names(folder, 'ATDomeTrajectory')).toEqual(generics.map((g) => `ATDomeTrajectory_${g}`)); // folder with only a README
    expect(names(folder, 'ATDome')).toEqual(
      ['ATDome_command_moveAzimuth', 'ATDome_logevent_azimuthState', ...generics.map((g) => `ATDome_${g}`)].sort(),
    );
    expect(names(folder, 'ATBuilding')).toEqual(['ATBuilding_temperature']);
    expect(names(folder, 'ATSpectrograph')).toEqual([]); // listed, but no folder in this checkout
    const start = folder.topics.find((t) => t.name === 'ATDome_command_start')!;
    expect(start).toMatchObject({
      generic: true,
      explanation: 'Go from Standby to Disabled with the given settings.',
      metadata: { Version: 'SALVersion', Author: 'ts-team', Alias: 'start' },
    });
    expect(start.items).toMatchObject([{ name: 'settingsToApply', idlType: 'string', idlSize: 256 }]);
  });

  it('keeps the subsystem’s own definition of a generic topic and says why the generic one is skipped', () => {
    const enable = folder.topics.find((t) => t.name === 'ATDome_command_enable')!;
    expect(enable.generic).toBe(false);
    expect(enable.description).toBe('Still listed by the subsystem itself, as some files of 2019 did.');
    expect(folder.skipped).toEqual([
      {
        subsystem: 'ATDome',
        topic: 'ATDome_command_enable',
        file: join(LEGACY_2020_DIR, 'sal_interfaces', 'SALGenerics.xml'),
        line: 24,
        reason: `generic topic defined by the subsystem itself (${join(LEGACY_2020_DIR, 'sal_interfaces', 'ATDome', 'ATDome_Commands.xml')}:23); that definition is used`,
      },
    ]);
  });

  describe('salschema convert --report', () => {
    let tmp: string;
    let summary: ConvertSummary;
    beforeAll(() => {
      tmp = mkdtempSync(join(tmpdir(), 'salschema-generics-'));
      summary = convertFolder(LEGACY_2020_DIR, tmp);
    });
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    it('counts per subsystem: found in the XML (own + entitled generics), converted, skipped', () => {
      expect(summary.errors).toEqual([]);
      expect(summary.report.map((r) => [r.subsystem, r.found, r.converted, r.skipped.length, r.unexplained])).toEqual([
        ['ATBuilding', 1, 1, 0, 0],
        ['ATDome', 9, 8, 1, 0],
        ['ATDomeTrajectory', 6, 6, 0, 0],
      ]);
      expect(summary).toMatchObject({ topics: 15, schemas: 15, byLayout: { legacy: 15, current: 0 } });
    });
  });
});

describe('the current layout: a subsystem with only generic topics, a topic without <Subsystem>', () => {
  let folder: TsXmlFolder;
  beforeAll(() => {
    folder = loadTsXmlFolder(GENERICS_ONLY_DIR);
  });

  it('gives a listed subsystem whose folder holds only a README its generic topics', () => {
    expect(folder.errors).toEqual([]);
    expect(names(folder, 'GenOnly')).toEqual([
      'GenOnly_command_start',
      'GenOnly_logevent_configurationApplied',
      'GenOnly_logevent_heartbeat',
    ]);
    expect(names(folder, 'Listed')).toEqual([]);
  });

  it('infers the subsystem of a topic without <Subsystem> from its file and merges its generics', () => {
    expect(names(folder, 'ESS')).toEqual(['ESS_airFlow', 'ESS_command_start', 'ESS_logevent_heartbeat', 'ESS_temperature']);
    expect(folder.topics.find((t) => t.name === 'ESS_airFlow')).toMatchObject({ subsystem: 'ESS', line: 15, items: [{ name: 'speed' }] });
  });

  it('reports every topic found as converted', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'salschema-generics-only-'));
    try {
      const summary = convertFolder(GENERICS_ONLY_DIR, tmp);
      expect(summary.errors).toEqual([]);
      expect(summary.report.map((r) => [r.subsystem, r.found, r.converted, r.skipped.length])).toEqual([
        ['ESS', 4, 4, 0],
        ['GenOnly', 3, 3, 0],
      ]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
