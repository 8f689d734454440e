import { BadInputError, EXIT, exitCodeOf } from '../lib/exit-codes';
import {
  compileFilter,
  compileGroup,
  DEFAULT_CAP,
  fieldKind,
  FieldTypes,
  FilterDefinition,
  FilterDefinitionError,
  groupOf,
  parseFilterSet,
  pathGetter,
} from './filter-lang';

/** The shape of the alert's fields as the schema module gives them (path → Avro type). */
const FIELDS: FieldTypes = {
  alertId: 'long',
  'diaSource.diaSourceId': 'long',
  'diaSource.visit': 'long',
  'diaSource.detector': 'int',
  'diaSource.band': 'string',
  'diaSource.ra': 'double',
  'diaSource.dec': 'double',
  'diaSource.psfFlux': 'float',
  'diaSource.snr': 'float',
  'diaSource.isDipole': ['null', 'boolean'],
  'diaSource.extendedness': 'null|float',
  'diaObject.nDiaSources': ['null', 'int'],
  cutoutDifference: ['null', 'bytes'],
};

const alert = (d: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({
  alertId: 1001,
  diaSource: {
    diaSourceId: 5,
    visit: 42,
    detector: 3,
    band: 'r',
    ra: 150.5,
    dec: -30.25,
    psfFlux: 1234.5,
    snr: 60,
    isDipole: null,
    extendedness: null,
    ...d,
  },
  diaObject: null,
  cutoutDifference: null,
  ...rest,
});

const filter = (where: unknown, extra: Partial<FilterDefinition> = {}) =>
  compileFilter({ name: 'f', output: 1, cap: 20, where: where as FilterDefinition['where'], ...extra }, FIELDS);

/** The FilterDefinitionError thrown by `run`, or fails. */
function errorOf(run: () => unknown): FilterDefinitionError {
  try {
    run();
  } catch (err) {
    if (err instanceof FilterDefinitionError) return err;
    throw err;
  }
  throw new Error('expected a FilterDefinitionError, nothing was thrown');
}

const set = (filters: unknown[], name = 'g1') => ({ groups: [{ name, filters }] });

describe('fieldKind', () => {
  it('reads names, unions and nullability', () => {
    expect(fieldKind('float')).toEqual({ kind: 'number', avro: 'float', integer: false, long: false, float32: true, nullable: false });
    expect(fieldKind(['null', 'long'])).toMatchObject({ kind: 'number', avro: 'long', integer: true, long: true, nullable: true });
    expect(fieldKind('null|string')).toMatchObject({ kind: 'string', nullable: true });
    expect(fieldKind('enum')).toMatchObject({ kind: 'string' });
    expect(fieldKind(['null', 'bytes'])).toMatchObject({ kind: 'other', avro: 'bytes' });
    expect(fieldKind(['int', 'string'])).toMatchObject({ kind: 'other', avro: 'int|string' });
  });
});

describe('pathGetter', () => {
  it('walks records and stops at a null one', () => {
    expect(pathGetter('alertId')({ alertId: 7 })).toBe(7);
    expect(pathGetter('diaSource.band')({ diaSource: { band: 'g' } })).toBe('g');
    expect(pathGetter('diaObject.nDiaSources')({ diaObject: null })).toBeUndefined();
    expect(pathGetter('a.b.c')({ a: { b: { c: 3 } } })).toBe(3);
    expect(pathGetter('a.b.c')({ a: { b: null } })).toBeUndefined();
  });
});

describe('compiled predicates', () => {
  it('eq and ne on strings; ne is false for a missing value', () => {
    const r = filter({ field: 'diaSource.band', eq: 'r' });
    expect(r.test(alert({ band: 'r' }))).toBe(true);
    expect(r.test(alert({ band: 'g' }))).toBe(false);
    const notR = filter({ field: 'diaSource.band', ne: 'r' });
    expect(notR.test(alert({ band: 'g' }))).toBe(true);
    expect(notR.test(alert({ band: 'r' }))).toBe(false);
    expect(notR.test(alert({ band: null }))).toBe(false);
    expect(filter({ not: { field: 'diaSource.band', eq: 'r' } }).test(alert({ band: null }))).toBe(true);
  });

  it('orderings and between are inclusive where they say so', () => {
    const snr = (op: string, v: number) => filter({ field: 'diaSource.snr', [op]: v });
    expect(snr('gt', 50).test(alert({ snr: 50 }))).toBe(false);
    expect(snr('ge', 50).test(alert({ snr: 50 }))).toBe(true);
    expect(snr('lt', 50).test(alert({ snr: 49.5 }))).toBe(true);
    expect(snr('le', 50).test(alert({ snr: 50.5 }))).toBe(false);
    const box = filter({ field: 'diaSource.ra', between: [150, 151] });
    expect([149.999, 150, 150.5, 151, 151.001].map((ra) => box.test(alert({ ra })))).toEqual([false, true, true, true, false]);
    expect(snr('gt', 10).test(alert({ snr: null }))).toBe(false);
    expect(snr('lt', 10).test(alert({ snr: null }))).toBe(false);
    expect(snr('gt', 10).test(alert({ snr: NaN }))).toBe(false);
  });

  it('rounds float constants to float32 as the field values are', () => {
    const stored = Math.fround(0.1); // what a float 0.1 decodes to
    expect(filter({ field: 'diaSource.psfFlux', eq: 0.1 }).test(alert({ psfFlux: stored }))).toBe(true);
    expect(filter({ field: 'diaSource.psfFlux', gt: 0.1 }).test(alert({ psfFlux: stored }))).toBe(false);
    expect(filter({ field: 'diaSource.psfFlux', in: [0.2, 0.1] }).test(alert({ psfFlux: stored }))).toBe(true);
    // a double field keeps the constant as written
    expect(filter({ field: 'diaSource.ra', eq: 0.1 }).test(alert({ ra: stored }))).toBe(false);
  });

  it('in over small and large lists', () => {
    const small = filter({ field: 'diaSource.band', in: ['g', 'r'] });
    expect(['u', 'g', 'r', 'i'].map((band) => small.test(alert({ band })))).toEqual([false, true, true, false]);
    const large = filter({ field: 'diaSource.detector', in: [1, 2, 3, 4, 5, 6, 7, 8] });
    expect([0, 3, 8, 9].map((detector) => large.test(alert({ detector })))).toEqual([false, true, true, false]);
  });

  it('exists on nullable fields and inside null records', () => {
    const has = filter({ field: 'diaSource.isDipole', exists: true });
    expect(has.test(alert({ isDipole: false }))).toBe(true);
    expect(has.test(alert({ isDipole: null }))).toBe(false);
    const none = filter({ field: 'diaObject.nDiaSources', exists: false });
    expect(none.test(alert({}, { diaObject: null }))).toBe(true);
    expect(none.test(alert({}, { diaObject: { nDiaSources: 4 } }))).toBe(false);
    expect(filter({ field: 'cutoutDifference', exists: true }).test(alert({}, { cutoutDifference: Buffer.from([1]) }))).toBe(true);
  });

  it('all, any, not, and the empty lists', () => {
    const brightR = filter({
      all: [
        { field: 'diaSource.band', eq: 'r' },
        { field: 'diaSource.snr', gt: 50 },
      ],
    });
    expect(brightR.test(alert({ band: 'r', snr: 51 }))).toBe(true);
    expect(brightR.test(alert({ band: 'r', snr: 49 }))).toBe(false);
    expect(brightR.test(alert({ band: 'g', snr: 51 }))).toBe(false);
    const three = filter({
      all: [
        { field: 'diaSource.band', eq: 'r' },
        { field: 'diaSource.snr', gt: 50 },
        { field: 'diaSource.dec', lt: 0 },
      ],
    });
    expect(three.test(alert({ band: 'r', snr: 51, dec: -1 }))).toBe(true);
    expect(three.test(alert({ band: 'r', snr: 51, dec: 1 }))).toBe(false);
    const gOrBright = filter({
      any: [
        { field: 'diaSource.band', eq: 'g' },
        { field: 'diaSource.snr', ge: 100 },
        { field: 'diaSource.detector', eq: 9 },
      ],
    });
    expect([alert({ band: 'g', snr: 1 }), alert({ band: 'r', snr: 100 }), alert({ band: 'r', snr: 99 })].map(gOrBright.test)).toEqual([
      true,
      true,
      false,
    ]);
    expect(filter({ all: [] }).test(alert({}))).toBe(true);
    expect(filter({ any: [] }).test(alert({}))).toBe(false);
    expect(filter({ not: { any: [] } }).test(alert({}))).toBe(true);
  });

  it('longs: exact beyond 2^53 (bigint values, string constants)', () => {
    const big = 2n ** 60n + 1n;
    const eqBig = filter({ field: 'alertId', eq: big.toString() });
    expect(eqBig.test({ alertId: big })).toBe(true);
    expect(eqBig.test({ alertId: big - 1n })).toBe(false);
    // a safe value written as a string is the number the decoder gives
    expect(filter({ field: 'alertId', eq: '1001' }).test(alert({}))).toBe(true);
    expect(filter({ field: 'alertId', gt: 1000 }).test({ alertId: big })).toBe(true);
    expect(filter({ field: 'alertId', between: ['0', big.toString()] }).test({ alertId: big })).toBe(true);
    expect(filter({ field: 'alertId', between: ['0', big.toString()] }).test({ alertId: big + 1n })).toBe(false);
  });

  it('lists the fields a filter reads', () => {
    const f = filter({
      all: [{ field: 'diaSource.snr', gt: 1 }, { not: { field: 'diaSource.band', eq: 'r' } }, { any: [{ field: 'diaSource.snr', lt: 9 }] }],
    });
    expect(f.fields).toEqual(['diaSource.band', 'diaSource.snr']);
  });
});

describe('checking definitions', () => {
  const one = (f: unknown) => errorOf(() => parseFilterSet(set([f]), FIELDS, 'mine.json'));

  it('an unknown field: the filter, where, the field and what there is', () => {
    const e = one({
      name: 'bright-r',
      output: 3,
      where: {
        all: [
          { field: 'diaSource.band', eq: 'r' },
          { field: 'diaSource.snrr', gt: 50 },
        ],
      },
    });
    expect(e.issues).toEqual([
      {
        at: 'groups[0].filters[0]',
        filter: 'bright-r',
        path: 'where.all[1].field',
        field: 'diaSource.snrr',
        message: expect.stringContaining('"diaSource.snrr" is not an alert field — did you mean diaSource.snr?'),
      },
    ]);
    expect(e.message).toMatch(
      /^mine\.json: 1 problem\(s\) in the filter definitions:\n {2}filter "bright-r" \(groups\[0\]\.filters\[0\]\) where\.all\[1\]\.field: "diaSource\.snrr" is not an alert field/,
    );
    expect(e.message).toContain('expected one of alertId, cutoutDifference, diaObject.nDiaSources');
    expect(e).toBeInstanceOf(BadInputError);
    expect(exitCodeOf(e)).toBe(EXIT.badInput);
  });

  it('a value of the wrong type, per operator', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ field: 'diaSource.snr', gt: '50' }, 'where.gt', /expected a number \(the field is float\), got string "50"/],
      [{ field: 'diaSource.band', eq: 3 }, 'where.eq', /expected a string \(the field is string\), got number 3/],
      [{ field: 'diaSource.band', gt: 'r' }, 'where.gt', /"gt" needs a numeric field; "diaSource.band" is string/],
      [{ field: 'diaSource.isDipole', eq: 'yes' }, 'where.eq', /expected true or false \(the field is boolean\)/],
      [{ field: 'diaSource.detector', eq: 2.5 }, 'where.eq', /expected an integer \(the field is int, so 2.5 never equals it\)/],
      [{ field: 'diaSource.band', in: [] }, 'where.in', /expected a non-empty list/],
      [{ field: 'diaSource.band', in: ['r', 1] }, 'where.in[1]', /expected a string/],
      [{ field: 'diaSource.ra', between: [10] }, 'where.between', /expected \[low, high\]/],
      [{ field: 'diaSource.ra', between: [20, 10] }, 'where.between', /low 20 is above high 10/],
      [{ field: 'diaSource.ra', between: [0, 'x'] }, 'where.between[1]', /expected a number/],
      [{ field: 'diaSource.snr', exists: 1 }, 'where.exists', /expected true or false/],
      [{ field: 'cutoutDifference', eq: 'x' }, 'where.eq', /is bytes: filters compare numbers, strings and booleans/],
      [{ field: 'alertId', eq: 2 ** 60 }, 'where.eq', /not exact as a JSON number: write a long beyond 2\^53 as a decimal string/],
      [{ field: 'alertId', eq: '99999999999999999999' }, 'where.eq', /beyond the range of a long/],
      [{ field: 'diaSource.snr', gt: Infinity }, 'where.gt', /expected a number/],
    ];
    for (const [where, path, message] of cases) {
      const e = one({ name: 'x', output: 1, where });
      expect(e.issues).toHaveLength(1);
      expect(e.issues[0]).toMatchObject({ filter: 'x', path, message: expect.stringMatching(message) });
      expect(e.issues[0].field).toBe((where as { field: string }).field);
    }
  });

  it('malformed predicates', () => {
    const cases: [unknown, string, RegExp][] = [
      [{ field: 'diaSource.snr', gt: 1, lt: 5 }, 'where', /one operator per comparison, found gt, lt \(combine them with "all"\)/],
      [{ field: 'diaSource.snr' }, 'where', /no operator: expected one of eq, ne, lt, le, gt, ge, in, between, exists/],
      [{ field: 'diaSource.snr', greater: 1 }, 'where', /unknown operator "greater"/],
      [{ all: { field: 'diaSource.snr', gt: 1 } }, 'where.all', /expected a list of predicates/],
      [{ all: [], any: [] }, 'where', /"all" stands alone in its object; found also any/],
      [{ snr: 1 }, 'where', /expected "all", "any", "not" or "field", got "snr"/],
      ['diaSource.snr > 1', 'where', /expected a predicate object/],
      [{ not: [{ field: 'diaSource.snr', gt: 1 }] }, 'where.not', /expected a predicate object/],
      [{ field: 7, eq: 1 }, 'where.field', /expected a field path/],
    ];
    for (const [where, path, message] of cases) {
      const e = one({ name: 'x', output: 1, where });
      expect(e.issues[0]).toMatchObject({ filter: 'x', path, message: expect.stringMatching(message) });
    }
  });

  it('every problem of a set at once, with group and index', () => {
    const e = errorOf(() =>
      parseFilterSet(
        {
          groups: [
            {
              name: 'a',
              filters: [
                { name: 'ok', output: 1, where: { all: [] } },
                { name: 'no-out', where: { all: [] } },
              ],
            },
            {
              name: 'b',
              filters: [
                { name: 'ok', output: 2, where: { all: [] } },
                { name: 'dup-out', output: 1, where: { all: [] } },
                { output: 4, where: { field: 'nope', eq: 1 } },
                { name: 'big', output: 1000, cap: 0, where: { all: [] }, colour: 'red' },
                { name: 'nowhere', output: 5 },
              ],
            },
          ],
        },
        FIELDS,
        'set.json',
      ),
    );
    expect(e.issues.map((i) => `${i.at} ${i.filter ?? '-'} ${i.path}`)).toEqual([
      'groups[0].filters[1] no-out output',
      'groups[1].filters[0] ok name',
      'groups[1].filters[1] dup-out output',
      'groups[1].filters[2] - name',
      'groups[1].filters[2] - where.field',
      'groups[1].filters[3] big output',
      'groups[1].filters[3] big cap',
      'groups[1].filters[3] big ',
      'groups[1].filters[4] nowhere where',
    ]);
    expect(e.issues[1].message).toBe('the name is used twice (also groups[0].filters[0])');
    expect(e.issues[2].message).toBe('output 1 is used twice (also groups[0].filters[0]): each filter has its own topic');
    expect(e.issues[7].message).toBe('unknown key(s) "colour": a filter has name, output, cap, where, description');
    expect(e.issues[8].message).toBe('required: the predicate (use {"all": []} to select every alert)');
  });

  it('file-level problems', () => {
    expect(errorOf(() => parseFilterSet('{"groups": [', FIELDS, 'broken.json')).message).toMatch(
      /^broken\.json: 1 problem\(s\).*\n {2}file: not JSON: /,
    );
    expect(errorOf(() => parseFilterSet('[]', FIELDS, 'f.json')).issues[0].message).toMatch(/expected object/);
    expect(errorOf(() => parseFilterSet({ groups: [] }, FIELDS, 'f.json')).issues[0]).toMatchObject({
      at: 'groups',
      message: 'expected at least one group',
    });
    expect(errorOf(() => parseFilterSet({ groups: [{ name: 'a b', filters: [] }] }, FIELDS, 'f.json')).issues[0]).toMatchObject({
      at: 'groups[0].name',
      message: expect.stringContaining('letters, digits'),
    });
    expect(
      errorOf(() =>
        parseFilterSet(
          {
            groups: [
              { name: 'a', filters: [] },
              { name: 'a', filters: [] },
            ],
          },
          FIELDS,
          'f.json',
        ),
      ).issues[0].message,
    ).toBe('group name "a" is used twice');
    expect(errorOf(() => parseFilterSet({ filters: [] }, FIELDS, 'f.json')).issues.map((i) => i.message)).toEqual([
      'required: "groups", a list of { "name", "filters": [...] }',
      'unknown key(s) "filters": expected { "groups": [{ "name", "filters": [...] }] }',
    ]);
  });

  it('a good set: defaults, groups by name', () => {
    const s = parseFilterSet(
      JSON.stringify({
        groups: [
          { name: 'g1', filters: [{ name: 'a', output: 1, where: { field: 'diaSource.band', eq: 'r' } }] },
          { name: 'g2', filters: [{ name: 'b', output: 2, cap: 5, description: 'bright', where: { field: 'diaSource.snr', gt: 100 } }] },
        ],
      }),
      FIELDS,
      'two.json',
    );
    expect(s.groups.map((g) => g.name)).toEqual(['g1', 'g2']);
    expect(s.groups[0].filters[0].cap).toBe(DEFAULT_CAP);
    expect(groupOf(s, 'g2').filters[0]).toEqual({
      name: 'b',
      output: 2,
      cap: 5,
      description: 'bright',
      where: { field: 'diaSource.snr', gt: 100 },
    });
    expect(() => groupOf(s, 'g3')).toThrow('two.json has no group "g3": its groups are g1, g2');
    expect(() => groupOf(s, undefined)).toThrow('two.json has 2 groups (g1, g2): choose one with --group');
    expect(groupOf(parseFilterSet(set([]), FIELDS, 'x'), undefined).name).toBe('g1');
    const compiled = compileGroup(groupOf(s, 'g1'), FIELDS);
    expect(compiled.map((f) => [f.name, f.output, f.cap, f.test(alert({ band: 'r' })), f.test(alert({ band: 'i' }))])).toEqual([
      ['a', 1, 20, true, false],
    ]);
  });

  it('compileFilter checks a definition made in code too', () => {
    const e = errorOf(() =>
      compileFilter({ name: 'coded', output: 9, cap: 1, where: { field: 'diaSource.snr', eq: 'high' } }, FIELDS, 'test'),
    );
    expect(e.message).toContain('filter "coded" (test) where.eq: expected a number (the field is float), got string "high"');
  });
});
