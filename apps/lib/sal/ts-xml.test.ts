import { join } from 'node:path';
import {
  entitledGenerics,
  mergeGenerics,
  MULTIBYTE_INTEGER_IDL_TYPES,
  parseTsXml,
  SalTopic,
  specializeGeneric,
  splitAddedGenerics,
  TsXmlFolder,
} from './ts-xml';
import {
  CURRENT_COUNTS,
  CURRENT_DIR,
  CURRENT_GENERIC_TOPICS,
  CURRENT_INTERFACES,
  CURRENT_MERGED_TOPICS,
  CURRENT_SUBSYSTEMS,
  CURRENT_TOTAL_TOPICS,
  expectedGenerics,
  LEGACY_COUNTS,
  LEGACY_DIR,
  LEGACY_TOTAL_TOPICS,
} from './test-fixtures';
import {
  expectCurrentFilesRead,
  expectEntitledGenericsMerged,
  expectFileCounts,
  expectLegacyCounts,
  expectMergeByCategory,
  expectRoleFiles,
  loadLayouts,
  topicNamed as topic,
} from './ts-xml-check';

let current: TsXmlFolder;
let legacy: TsXmlFolder;
beforeAll(() => ({ current, legacy } = loadLayouts(CURRENT_DIR, LEGACY_DIR)));

describe('loadTsXmlFolder on the current layout', () => {
  it('reads every fixture file with no error', () => {
    expectCurrentFilesRead(current, CURRENT_INTERFACES, CURRENT_COUNTS);
  });

  it.each(Object.entries(CURRENT_COUNTS))('%s has its topic, enumeration and item counts', (file, counts) => {
    expectFileCounts(current, CURRENT_INTERFACES, file, counts);
  });

  it('does not count a topic inside an XML comment', () => {
    expect(current.topics.some((t) => t.name === 'ATDome_command_retired')).toBe(false);
  });

  it('recognises SALGenerics.xml and SALSubsystems.xml by their root elements', () => {
    const { subsystems, generics } = expectRoleFiles(current, CURRENT_INTERFACES, CURRENT_SUBSYSTEMS, CURRENT_GENERIC_TOPICS);
    expect(subsystems.find((s) => s.name === 'ScriptQueue')).toMatchObject({
      addedGenerics: ['csc', 'configurable'],
      indexEnumeration: 'MainTel=1, AuxTel=2, OCPS=3',
      description: 'Queue of scripts.',
    });
    expect(subsystems.find((s) => s.name === 'Test')).toMatchObject({ addedGenerics: ['csc', 'configurable'], indexEnumeration: 'any' });
    expect(subsystems.find((s) => s.name === 'MTM1M3TS')?.addedGenerics).toEqual(['csc', 'configurable', 'command_enterControl']);
    expect(subsystems.filter((s) => /^(yes|no)$/.test(s.addedGenerics.join())).map((s) => s.name)).toEqual(['OldStyle', 'NoGenerics']);
    expect(generics.map((g) => g.category ?? '-')).toEqual([
      'csc',
      'csc',
      'csc',
      'csc',
      'mandatory',
      '-',
      '-',
      'mandatory',
      'mandatory',
      'csc',
      'configurable',
      '-',
    ]);
  });

  it('merges the generics each subsystem is entitled to (computed from SALSubsystems.xml)', () => {
    const expected = expectedGenerics(CURRENT_INTERFACES);
    const ownTopics = CURRENT_TOTAL_TOPICS - CURRENT_GENERIC_TOPICS;
    const genericTotal = [...expected.values()].reduce((n, g) => n + g.length, 0);
    expect(current.topics).toHaveLength(ownTopics + genericTotal);
    expect(current.topics).toHaveLength(CURRENT_MERGED_TOPICS);
    expect(Object.fromEntries([...expected].map(([s, g]) => [s, g.length]))).toEqual({
      ATDome: 9,
      ATMCS: 8,
      ATPtg: 8,
      MTM1M3TS: 10,
      ScriptQueue: 9,
      Test: 9,
    });
    expectEntitledGenericsMerged(current, expected);
  });

  it('merges by category, always the mandatory ones, and a generic named in AddedGenerics', () => {
    const names = expectMergeByCategory(current);
    expect(names.has('ATPtg_command_setLogLevel')).toBe(true); // mandatory
    const enter = topic(current, 'MTM1M3TS_command_enterControl'); // by name: it has no category
    expect(enter.generic).toBe(true);
    expect(enter.category).toBeUndefined();
    expect([...names].filter((n) => /_command_(abort|enterControl)$|_logevent_largeFileObjectAvailable$/.test(n))).toEqual([
      'MTM1M3TS_command_enterControl',
    ]);
    expect([...names].some((n) => n.startsWith('SALGeneric_'))).toBe(false);
    expect(topic(current, 'Test_logevent_summaryState').enumerations[0].name).toBe('SummaryStates');
    expect(topic(current, 'Test_logevent_summaryState').file).toBe(join(CURRENT_INTERFACES, 'SALGenerics.xml'));
  });

  it('parses items: IDL type, count, units, description, IDL_Size, item-level enumeration', () => {
    const elevation = topic(current, 'ATMCS_trajectory').items.find((i) => i.name === 'elevation');
    expect(elevation).toMatchObject({
      idlType: 'double',
      count: 100,
      units: 'deg',
      index: 1,
      description: 'Demanded elevation, 100 values.',
    });
    expect(topic(current, 'ATPtg_command_raDecTarget').items[0]).toMatchObject({ name: 'targetName', idlType: 'string', idlSize: 32 });
    const int0 = topic(current, 'Test_logevent_arrays').items.find((i) => i.name === 'int0')!;
    expect(int0.enumeration).toEqual({
      name: 'Step',
      symbols: [
        { name: 'Step_Zero', value: 0 },
        { name: 'Step_Two', value: 2 },
        { name: 'Step_Four', value: 4 },
        { name: 'Step_Five', value: 5 },
      ],
    });
    const scalars = topic(current, 'Test_logevent_scalars');
    expect(scalars.items.find((i) => i.name === 'short0')?.enumeration?.symbols.map((s) => s.value)).toEqual([-1, 0, 1]);
    expect(scalars.items.find((i) => i.name === 'long0')?.enumeration).toEqual({
      symbols: [
        { name: 'First', value: 1 },
        { name: 'Second', value: 2 },
        { name: 'Third', value: 3 },
      ],
    });
    const cs = topic(current, 'ScriptQueue_logevent_nextVisit').items.find((i) => i.name === 'coordinateSystem');
    expect(cs?.enumeration?.name).toBe('CSys');
    expect(topic(current, 'ScriptQueue_command_add').enumerations.map((e) => e.name)).toEqual(['Location']); // on the command set
  });

  it('reads every IDL type the Test topics declare', () => {
    const types = topic(current, 'Test_scalars').items.map((i) => i.idlType);
    expect(types).toEqual(['boolean', 'byte', 'char', 'octet', ...MULTIBYTE_INTEGER_IDL_TYPES, 'float', 'double', 'string']);
    expect(topic(current, 'Test_arrays').items.every((i) => i.count === 5)).toBe(true);
  });

  it('tidies a multi-line description and keeps topics without items', () => {
    expect(topic(current, 'ATMCS_trajectory').description).toBe(
      'Telescope trajectory demanded at 100 Hz,\nstarting at the time given.\n\nOne row per axis.',
    );
    expect(topic(current, 'ATDome_command_stopMotion').items).toEqual([]);
    expect(topic(current, 'ATDome_command_openShutter').description).toBeUndefined();
  });
});

describe('loadTsXmlFolder on the legacy (2019) layout', () => {
  it('reads every file with no error and its counts', () => {
    expectLegacyCounts(legacy, LEGACY_TOTAL_TOPICS, LEGACY_COUNTS);
  });

  it('keeps EFDB_Topic names and the 2019 metadata (empty tags left out)', () => {
    const move = topic(legacy, 'ATDome_command_moveAzimuth');
    expect(move).toMatchObject({
      subsystem: 'ATDome',
      kind: 'command',
      generic: false,
      explanation: 'Turn the dome to the given azimuth.',
    });
    expect(move.description).toBeUndefined();
    expect(move.metadata).toEqual({ Version: '3.8.2', Alias: 'moveAzimuth' });
    expect(topic(legacy, 'ATDome_command_closeShutter').metadata).toEqual({
      Version: '3.8.2',
      Author: 'ts-team',
      Alias: 'closeShutter',
      Device: 'shutter',
      Property: 'doors',
      Action: 'close',
    });
    expect(topic(legacy, 'MTM1M3TS_command_enable').metadata).toEqual({});
    expect(topic(legacy, 'ATDome_command_start').generic).toBe(false); // listed in the file, not merged
    expect(topic(legacy, 'ATDome_position').kind).toBe('telemetry');
    const thermal = topic(legacy, 'MTM1M3TS_thermalData');
    expect(thermal.items.map((i) => [i.name, i.count])).toContainEqual(['thermocoupleScanner1', 95]);
    expect(thermal.items[0].units).toBeUndefined(); // empty <Units></Units>
    expect(thermal.items[0].description).toBeUndefined();
  });

  it('keeps the older per-item tags as typed metadata and normalises IDL type spacing', () => {
    expect(topic(legacy, 'ATDome_position').items[0].metadata).toEqual({
      Frequency: 1,
      Publishers: 1,
      Values_per_Publisher: 1,
      Size_in_bytes: 8,
      Sensor_location: 'dome',
      Instances_per_night: 86400,
      Bytes_per_night: 691200,
      Needed_by_DM: true,
      Needed_by_Camera: false,
    });
    expect(topic(legacy, 'MTM1M3TS_command_setFans').items[0].idlType).toBe('long long'); // written "long  long"
  });
});

const BAD = `<?xml version="1.0" encoding="UTF-8"?>
<SALTelemetrySet>
  <SALTelemetry>
    <Subsystem>Bad</Subsystem>
    <EFDB_Topic>Bad_temps</EFDB_Topic>
    <item>
      <EFDB_Name>t</EFDB_Name>
      <IDL_Type>quad</IDL_Type>
      <Count>1</Count>
    </item>
    <item>
      <EFDB_Name>n</EFDB_Name>
      <IDL_Type>double</IDL_Type>
      <Count>five</Count>
    </item>
  </SALTelemetry>
  <!-- <SALTelemetry> commented out: not counted -->
  <SALTelemetry>
    <Subsystem>Bad</Subsystem>
    <Description>No name.</Description>
  </SALTelemetry>
  <SALTelemetry>
    <Subsystem>Bad</Subsystem>
    <EFDB_Topic>Bad_ok</EFDB_Topic>
    <item>
      <IDL_Type>double</IDL_Type>
    </item>
  </SALTelemetry>
</SALTelemetrySet>
`;

describe('parseTsXml error reporting', () => {
  const { file, errors } = parseTsXml(BAD, 'Bad/Bad_Telemetry.xml');

  it('names file, line, topic and field for an unknown IDL type', () => {
    expect(errors).toContainEqual(
      expect.objectContaining({
        file: 'Bad/Bad_Telemetry.xml',
        line: 8,
        topic: 'Bad_temps',
        field: 't',
        message: 'unknown IDL_Type "quad"',
      }),
    );
  });

  it('names the field of a non-numeric Count', () => {
    expect(errors).toContainEqual(
      expect.objectContaining({
        line: 14,
        topic: 'Bad_temps',
        field: 'n',
        message: expect.stringMatching(/Count "five"/),
      }),
    );
  });

  it('locates a topic without EFDB_Topic', () => {
    expect(errors).toContainEqual(
      expect.objectContaining({ line: 18, message: expect.stringMatching(/SALTelemetry #2 has no EFDB_Topic/) }),
    );
  });

  it('reports an item without EFDB_Name at its <item> line', () => {
    expect(errors).toContainEqual(expect.objectContaining({ line: 25, topic: 'Bad_ok', message: 'item #1 has no EFDB_Name' }));
  });

  it('gives every error a fix and drops the broken topics', () => {
    expect(errors).toHaveLength(4);
    expect(errors.every((e) => e.fix)).toBe(true);
    expect(file.topics).toEqual([]);
  });

  it('reports XML that is not well formed with the parser line', () => {
    const r = parseTsXml('<SALEventSet>\n  <SALEvent>\n    <Subsystem>X</Subsystem>\n</SALEventSet>\n', 'X_Events.xml');
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ file: 'X_Events.xml', message: expect.stringMatching(/not well-formed/) });
    expect(r.errors[0].line).toBeGreaterThanOrEqual(2);
  });

  it('rejects a topic name without the subsystem/kind prefix and an enumeration on a non-integer', () => {
    const xml = `<SALCommandSet>
  <SALCommand><Subsystem>X</Subsystem><EFDB_Topic>X_doIt</EFDB_Topic></SALCommand>
  <SALCommand><Subsystem>X</Subsystem><EFDB_Topic>X_command_go</EFDB_Topic>
    <item><EFDB_Name>mode</EFDB_Name><IDL_Type>string</IDL_Type><Count>1</Count><Enumeration>M_a</Enumeration></item>
  </SALCommand>
</SALCommandSet>`;
    const r = parseTsXml(xml, 'X_Commands.xml');
    expect(r.errors.map((e) => [e.line, e.topic, e.field])).toEqual([
      [2, 'X_doIt', undefined],
      [4, 'X_command_go', 'mode'],
    ]);
  });

  it('refuses XML that is not ts_xml, naming the root found, the roots expected and the line', () => {
    const r = parseTsXml('<?xml version="1.0"?>\n<other><a>1</a></other>', 'o.xml');
    expect(r.file).toMatchObject({ role: 'other', root: 'other', topics: [] });
    expect(r.errors).toEqual([
      {
        file: 'o.xml',
        line: 2,
        message:
          'root element <other> is not a ts_xml root (expected one of SALCommandSet, SALEventSet, SALTelemetrySet, SALObjects, SALSubsystemSet, SALSubsystems)',
        fix: 'move the file out of the ts_xml folder, or correct its root element',
      },
    ]);
  });
});

describe('generic entitlement', () => {
  const g = (brief: string, category?: string): SalTopic => ({
    subsystem: 'SALGeneric',
    kind: brief.startsWith('command_') ? 'command' : 'event',
    name: `SALGeneric_${brief}`,
    metadata: {},
    items: [],
    enumerations: [],
    generic: false,
    file: 'SALGenerics.xml',
    ...(category ? { category } : {}),
  });
  const generics = [
    g('command_abort'),
    g('command_start', 'csc'),
    g('logevent_heartbeat', 'mandatory'),
    g('logevent_configurationApplied', 'configurable'),
  ];
  const briefs = (added: string[]) => entitledGenerics(added, generics).generics.map((x) => x.name);

  it('always includes mandatory, adds categories and explicit topic names', () => {
    expect(briefs([])).toEqual(['SALGeneric_logevent_heartbeat']);
    expect(briefs(['csc'])).toEqual(['SALGeneric_command_start', 'SALGeneric_logevent_heartbeat']);
    expect(briefs(splitAddedGenerics('command_abort, configurable'))).toEqual([
      'SALGeneric_command_abort',
      'SALGeneric_logevent_heartbeat',
      'SALGeneric_logevent_configurationApplied',
    ]);
  });

  it('understands the old yes / no forms and reports unknown names', () => {
    expect(briefs(['yes'])).toHaveLength(4);
    expect(briefs(['no'])).toEqual([]);
    expect(entitledGenerics(['csc', 'bogus'], generics).unknown).toEqual(['bogus']);
  });

  it('renames a generic topic into the subsystem', () => {
    expect(specializeGeneric(generics[1], 'ATDome')).toMatchObject({
      name: 'ATDome_command_start',
      subsystem: 'ATDome',
      generic: true,
    });
  });

  it('reports subsystems missing from SALSubsystems.xml and clashes with own topics', () => {
    const own: SalTopic = {
      ...g('command_start'),
      subsystem: 'Foo',
      name: 'Foo_command_start',
      file: 'Foo_Commands.xml',
      line: 3,
    };
    const r = mergeGenerics({
      topics: [own, { ...own, subsystem: 'Bar', name: 'Bar_command_x' }],
      generics,
      subsystems: [{ name: 'Foo', addedGenerics: ['csc'] }],
      subsystemsFile: 'SALSubsystems.xml',
    });
    expect(r.errors.map((e) => [e.file, e.line, e.message.split(' ').slice(0, 3).join(' ')])).toEqual([
      ['Foo_Commands.xml', 3, 'Foo_command_start is also'],
      ['SALSubsystems.xml', undefined, 'subsystem Bar is'],
    ]);
    expect(r.topics.map((t) => t.name)).toEqual(['Foo_command_start', 'Bar_command_x', 'Foo_logevent_heartbeat']);
  });
});
