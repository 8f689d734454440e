import { formatTable } from './table';

describe('formatTable', () => {
  it('pads columns to the widest cell, right-aligns the numeric ones, no trailing blanks', () => {
    expect(
      formatTable(
        ['NAME', 'N', 'NOTE'],
        [
          ['a', 5, null],
          ['bbbb', 123, 'x'],
        ],
        { right: [1] },
      ),
    ).toEqual(['NAME    N  NOTE', 'a       5  -', 'bbbb  123  x']);
  });
  it('an empty string stays empty, null and undefined show the empty marker', () => {
    expect(
      formatTable(
        ['A', 'B'],
        [
          ['', null],
          ['x', undefined],
        ],
        { empty: '?' },
      ),
    ).toEqual(['A  B', '   ?', 'x  ?']);
  });
});
