import { parseEnumeration, parseEnumValue } from './enumeration';

function symbols(text: string) {
  const r = parseEnumeration(text);
  if (!r.ok) throw new Error(r.error);
  return r.enumeration.symbols.map((s) => [s.name, s.value]);
}

describe('parseEnumValue', () => {
  it.each([
    ['0', 0],
    ['2', 2],
    ['04', 4],
    ['0x05', 5],
    ['0X1f', 31],
    [' 12 ', 12],
    ['-3', -3],
  ])('%s → %d', (text, value) => expect(parseEnumValue(text)).toBe(value));

  it.each(['', 'five', '0x', '1.5', '0xZZ'])('rejects %j', (text) => expect(parseEnumValue(text)).toBeUndefined());
});

describe('parseEnumeration', () => {
  it.each<[string, string, [string, number][]]>([
    [
      'numbers implicit entries from 1 (SAL: Enum_One = 1)',
      'Enum_One, Enum_Two, Enum_Three',
      [
        ['Enum_One', 1],
        ['Enum_Two', 2],
        ['Enum_Three', 3],
      ],
    ],
    [
      'decodes explicit decimal, leading-zero and hex values (Test_Events.xml)',
      'ValueEnum_Zero=0, ValueEnum_Two=2, ValueEnum_Four=04, ValueEnum_Five=0x05',
      [
        ['ValueEnum_Zero', 0],
        ['ValueEnum_Two', 2],
        ['ValueEnum_Four', 4],
        ['ValueEnum_Five', 5],
      ],
    ],
    [
      'continues from the previous explicit value',
      'A_x=10, A_y, A_z=0x20, A_w',
      [
        ['A_x', 10],
        ['A_y', 11],
        ['A_z', 32],
        ['A_w', 33],
      ],
    ],
  ])('%s', (_what, text, want) => {
    expect(symbols(text)).toEqual(want);
  });

  it('names the group by the shared prefix, and tolerates no spaces / a trailing comma', () => {
    const r = parseEnumeration('SummaryStates_DisabledState,SummaryStates_EnabledState,');
    expect(r).toEqual({
      ok: true,
      enumeration: {
        name: 'SummaryStates',
        symbols: [
          { name: 'SummaryStates_DisabledState', value: 1 },
          { name: 'SummaryStates_EnabledState', value: 2 },
        ],
      },
    });
  });

  it('has no group name when prefixes differ', () => {
    const r = parseEnumeration('Foo_a, Bar_b');
    expect(r.ok && r.enumeration.name).toBe(undefined);
  });

  it.each([
    ['A_x=five', /not a number/],
    ['A_x, A_x', /listed twice/],
    ['1bad', /invalid name/],
    ['  ,  ', /empty/],
  ])('rejects %j', (text, message) => {
    const r = parseEnumeration(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(message);
  });
});
