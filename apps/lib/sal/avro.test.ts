import { avroType } from '../avro-type';
import {
  AvroRecordSchema,
  avroProblems,
  avroSchemaProblem,
  avroTypeOf,
  EFD_FIELDS,
  IDL_TO_AVRO,
  itemToAvroField,
  topicToAvroSchema,
} from './avro';
import { parseEnumeration } from './enumeration';
import { IDL_TYPES, SalItem, SalTopic, TsXmlFolder } from './ts-xml';
import { loadLayouts } from './ts-xml-check';
import { CURRENT_DIR, LEGACY_DIR } from './test-fixtures';
import {
  expectArraysRoundTrip,
  expectEfdFieldsFirst,
  expectElevationArray,
  expectGenericMarked,
  expectItemEnumerations,
  expectLegacyTags,
  expectSalRecord,
  field,
  schemaOf,
} from './avro-check';

let current: TsXmlFolder;
let legacy: TsXmlFolder;
beforeAll(() => ({ current, legacy } = loadLayouts(CURRENT_DIR, LEGACY_DIR)));

const item = (over: Partial<SalItem>): SalItem => ({
  name: 'x',
  index: 0,
  idlType: 'double',
  count: 1,
  metadata: {},
  ...over,
});

describe('IDL → Avro type map (SQR-029 table 3)', () => {
  it.each([
    ['boolean', 'boolean'],
    ['string', 'string'],
    ['short', 'int'],
    ['unsigned short', 'int'],
    ['int', 'int'],
    ['unsigned int', 'long'],
    ['long', 'long'],
    ['unsigned long', 'long'],
    ['long long', 'long'],
    ['unsigned long long', 'long'],
    ['float', 'float'],
    ['double', 'double'],
    ['byte', 'bytes'],
    ['char', 'bytes'],
    ['octet', 'bytes'],
    ['null', 'null'],
  ] as const)('%s → %s', (idl, avro) => {
    expect(IDL_TO_AVRO[idl]).toBe(avro);
    expect(avroTypeOf({ idlType: idl, count: 1 })).toBe(avro);
  });

  it('covers every accepted IDL type', () => {
    expect(Object.keys(IDL_TO_AVRO).sort()).toEqual([...IDL_TYPES].sort());
  });

  it('maps Count > 1 to an array of the item type', () => {
    expect(avroTypeOf({ idlType: 'float', count: 95 })).toEqual({ type: 'array', items: 'float' });
    expect(avroTypeOf({ idlType: 'string', count: 2 })).toEqual({ type: 'array', items: 'string' });
  });
});

describe('topicToAvroSchema on the fixture topics', () => {
  it('names the record after EFDB_Topic in namespace lsst.sal with the SAL metadata', () => {
    expect(expectSalRecord(current).doc).toBe('Telescope trajectory demanded at 100 Hz,\nstarting at the time given.\n\nOne row per axis.');
    expect(schemaOf(current, 'ATDome_command_openShutter').doc).toBeUndefined(); // no Description
  });

  it('starts every record with the EFD fields', () => {
    expectEfdFieldsFirst(current);
    expect(schemaOf(current, 'ATDome_command_stopMotion').fields.map((f) => f.name)).toEqual(EFD_FIELDS.map((f) => f.name)); // no items
  });

  it('maps a telemetry array (Count 100 double) with units and description in doc', () => {
    expect(expectElevationArray(current).doc).toBe('Demanded elevation, 100 values. Units: deg.');
  });

  it('maps every IDL type of a topic, as scalars and as arrays', () => {
    const want: Record<string, string> = {
      boolean0: 'boolean',
      byte0: 'bytes',
      char0: 'bytes',
      octet0: 'bytes',
      short0: 'int',
      unsignedShort0: 'int',
      int0: 'int',
      unsignedInt0: 'long',
      long0: 'long',
      unsignedLong0: 'long',
      longLong0: 'long',
      unsignedLongLong0: 'long',
      float0: 'float',
      double0: 'double',
      string0: 'string',
    };
    const scalars = schemaOf(current, 'Test_scalars').fields.slice(EFD_FIELDS.length);
    expect(Object.fromEntries(scalars.map((f) => [f.name, f.type]))).toEqual(want);
    expect(field(schemaOf(current, 'Test_scalars'), 'unsignedLongLong0')).toMatchObject({
      sal_idl_type: 'unsigned long long',
      sal_units: 'unitless',
    });
    expect(field(schemaOf(current, 'Test_scalars'), 'string0').sal_idl_size).toBe(20);
    const arrays = schemaOf(current, 'Test_arrays').fields.slice(EFD_FIELDS.length);
    expect(Object.fromEntries(arrays.map((f) => [f.name, f.type]))).toEqual(
      Object.fromEntries(Object.entries(want).map(([n, t]) => [n, { type: 'array', items: t }])),
    );
    expect(arrays.every((f) => f.sal_count === 5)).toBe(true);
    expect(field(schemaOf(current, 'ATPtg_command_raDecTarget'), 'targetName')).toMatchObject({ type: 'string', sal_idl_size: 32 });
  });

  it('keeps an item-level enumeration as decoded data and in doc (NAME=04 → 4, NAME=0x05 → 5)', () => {
    const int0 = expectItemEnumerations(current, 'Step');
    expect(int0.doc).toBe('Five int values. Units: unitless. Enumeration Step: Step_Zero=0, Step_Two=2, Step_Four=4, Step_Five=5.');
    const scalars = schemaOf(current, 'Test_logevent_scalars');
    expect(field(scalars, 'short0').sal_enumeration).toEqual({
      name: 'Offset',
      symbols: [
        { name: 'Offset_Minus', value: -1 },
        { name: 'Offset_Zero', value: 0 },
        { name: 'Offset_Plus', value: 1 },
      ],
    });
    // no common prefix: no enumeration name
    expect(field(scalars, 'long0')).toMatchObject({
      sal_enumeration: {
        symbols: [
          { name: 'First', value: 1 },
          { name: 'Second', value: 2 },
          { name: 'Third', value: 3 },
        ],
      },
      doc: 'One long value. Units: unitless. Enumeration First=1, Second=2, Third=3.',
    });
    expect(field(schemaOf(current, 'ScriptQueue_logevent_nextVisit'), 'coordinateSystem').sal_enumeration).toMatchObject({ name: 'CSys' });
  });

  it('keeps set-level enumerations on the record and links fields that name one', () => {
    const s = schemaOf(current, 'Test_logevent_scalars');
    expect(s.sal_enumerations).toEqual([
      {
        name: 'Color',
        symbols: [
          { name: 'Color_Red', value: 1 },
          { name: 'Color_Green', value: 2 },
          { name: 'Color_Blue', value: 3 },
        ],
      },
      {
        name: 'Level',
        symbols: [
          { name: 'Level_Off', value: 0 },
          { name: 'Level_Low', value: 2 },
          { name: 'Level_Mid', value: 4 },
          { name: 'Level_High', value: 5 },
          { name: 'Level_Max', value: 6 },
        ],
      },
    ]);
    const azimuthState = schemaOf(current, 'ATDome_logevent_azimuthState');
    expect(field(azimuthState, 'state')).toMatchObject({ type: 'long', sal_enumeration_ref: 'AzimuthState' });
    expect(field(schemaOf(current, 'ATDome_logevent_azimuthCommandedState'), 'commandedState')).toMatchObject({
      type: 'int',
      sal_enumeration_ref: 'AzimuthCommandedState',
    });
    expect(field(schemaOf(current, 'ATDome_logevent_azimuthCommandedState'), 'azimuth').sal_enumeration_ref).toBeUndefined();
    expect((azimuthState.sal_enumerations as { symbols: { value: number }[] }[])[1].symbols.map((x) => x.value)).toEqual([0, 1, 2]);
    expect(field(schemaOf(current, 'ScriptQueue_command_add'), 'location').sal_enumeration_ref).toBe('Location'); // command set
    expect(field(schemaOf(current, 'ScriptQueue_logevent_script'), 'processState').sal_enumeration_ref).toBe('ScriptProcessState');
    const summary = schemaOf(current, 'ATDome_logevent_summaryState');
    expect(summary.sal_enumerations).toEqual([expect.objectContaining({ name: 'SummaryStates' })]);
    expect(field(summary, 'summaryState').sal_enumeration_ref).toBe('SummaryStates');
    expect(schemaOf(current, 'ATDome_position').sal_enumerations).toBeUndefined();
  });

  it('marks merged generic topics and their category', () => {
    expectGenericMarked(current);
    expect(schemaOf(current, 'ScriptQueue_command_start').doc).toBe('Go from standby to disabled.');
    expect(schemaOf(current, 'MTM1M3TS_command_enterControl')).toMatchObject({ sal_generic: true, sal_topic_type: 'SALCommand' });
    expect(schemaOf(current, 'MTM1M3TS_command_enterControl').sal_category).toBeUndefined();
  });

  it('maps the legacy topic tags to sal_* keys (empty ones left out), Explanation as doc or sal_explanation', () => {
    const s = expectLegacyTags(legacy, 'Turn the dome to the given azimuth.');
    expect(s.sal_explanation).toBeUndefined();
    expect(schemaOf(legacy, 'ATDome_command_closeShutter')).toMatchObject({
      doc: 'Close both doors.',
      sal_explanation: 'The dropout door closes first.',
      sal_author: 'ts-team',
      sal_device: 'shutter',
      sal_property: 'doors',
      sal_action: 'close',
    });
    expect(schemaOf(legacy, 'ATDome_command_closeShutter').sal_value).toBeUndefined();
    expect(field(schemaOf(legacy, 'ATDome_position'), 'azimuthPosition')).toMatchObject({
      sal_frequency: 1,
      sal_publishers: 1,
      sal_size_in_bytes: 8,
      sal_sensor_location: 'dome',
      sal_needed_by_dm: true,
      sal_needed_by_camera: false,
    });
    expect(field(schemaOf(legacy, 'ATDome_position'), 'azimuthPosition').sal_conversion).toBeUndefined();
  });

  it('produces schemas avsc accepts and can round-trip a record with', () => {
    const five = [1, 2, 3, 4, 5];
    expectArraysRoundTrip(current, {
      boolean0: [true, false, true, false, true],
      byte0: five.map((b) => Buffer.from([b])),
      char0: five.map((b) => Buffer.from([64 + b])),
      octet0: five.map((b) => Buffer.from([250 + b])),
      short0: [-1, 2, 3, 4, 5],
      unsignedShort0: [1, 2, 3, 4, 65535],
      int0: [0, 2, 4, 5, 0],
      unsignedInt0: five,
      long0: five,
      unsignedLong0: [1, 2, 3, 4, 4294967295],
      longLong0: [1, 2, 3, 4, -(2 ** 52)],
      unsignedLongLong0: [1, 2, 3, 4, 2 ** 52],
      float0: [0.5, 1, 2, 3, 4],
      double0: [0.25, 1, 2, 3, 4],
      string0: ['a', '', 'é', "it's", 'x'],
    });
  });
});

describe('itemToAvroField', () => {
  it('carries the older per-item metadata tags as sal_<tag>', () => {
    const f = itemToAvroField(item({ metadata: { Frequency: 50, Needed_by_DM: true, Sensor_location: 'cell' } }));
    expect(f).toMatchObject({ sal_frequency: 50, sal_needed_by_dm: true, sal_sensor_location: 'cell' });
  });

  it('leaves doc out when there is nothing to say', () => {
    expect(itemToAvroField(item({}))).toEqual({ name: 'x', type: 'double', sal_index: 0, sal_idl_type: 'double' });
  });

  it('only links a set enumeration named exactly once in the description', () => {
    const e = (t: string) => {
      const r = parseEnumeration(t);
      if (!r.ok) throw new Error(r.error);
      return r.enumeration;
    };
    const enums = [e('Mode_a, Mode_b'), e('State_x')];
    expect(itemToAvroField(item({ description: 'A Mode enumeration.' }), enums).sal_enumeration_ref).toBe('Mode');
    expect(itemToAvroField(item({ description: 'Mode or State.' }), enums).sal_enumeration_ref).toBeUndefined();
    expect(itemToAvroField(item({ description: 'Modes.' }), enums).sal_enumeration_ref).toBeUndefined();
  });
});

describe('avroProblems', () => {
  it('rejects items named like an EFD field', () => {
    const t: SalTopic = {
      subsystem: 'X',
      kind: 'event',
      name: 'X_logevent_y',
      metadata: {},
      enumerations: [],
      generic: false,
      file: 'f.xml',
      items: [item({ name: 'sal_host', line: 7 })],
    };
    expect(avroProblems(t)).toEqual([expect.objectContaining({ field: 'sal_host', line: 7 })]);
  });
});

describe('avroSchemaProblem: the structural check salschema convert makes instead of compiling', () => {
  const avscVerdict = (s: unknown): boolean => {
    try {
      avroType(s as never);
      return true;
    } catch {
      return false;
    }
  };

  it('accepts every fixture schema of both layouts, as avsc does', () => {
    const all = [...current.topics, ...legacy.topics].map(topicToAvroSchema);
    expect(all.length).toBeGreaterThan(50);
    for (const s of all) expect([s.name, avroSchemaProblem(s)]).toEqual([s.name, undefined]);
    expect(all.every(avscVerdict)).toBe(true);
  });

  const base = (): AvroRecordSchema => JSON.parse(JSON.stringify(schemaOf(current, 'Test_arrays'))) as AvroRecordSchema;
  const last = (s: AvroRecordSchema) => s.fields[s.fields.length - 1] as unknown as Record<string, unknown>;
  it.each<[string, (s: AvroRecordSchema) => void, RegExp]>([
    ['record name with a dash', (s) => (s.name = 'Test-arrays'), /invalid record name/],
    ['record name starting with a digit', (s) => (s.name = '1Test'), /invalid record name/],
    ['namespace with an empty part', (s) => (s.namespace = 'lsst..sal'), /invalid namespace/],
    ['field name with a space', (s) => (last(s).name = 'a b'), /invalid field name/],
    ['duplicate field', (s) => s.fields.push({ ...s.fields[s.fields.length - 1] }), /duplicate field name/],
    ['unknown primitive', (s) => (last(s).type = 'quad'), /unknown type "quad"/],
    ['array of an unknown type', (s) => (last(s).type = { type: 'array', items: 'quad' }), /invalid array items/],
    ['array without items', (s) => (last(s).type = { type: 'array' }), /invalid array items/],
    ['null type', (s) => (last(s).type = null), /invalid type/],
    ['not a record', (s) => ((s as { type: string }).type = 'enum'), /not a record/],
  ])('%s: refused, as avsc refuses it', (_what, mutate, message) => {
    const s = base();
    mutate(s);
    expect(avroSchemaProblem(s)).toMatch(message);
    expect(avscVerdict(s)).toBe(false);
  });
});
