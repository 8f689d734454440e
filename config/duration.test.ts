import { durationHours, durationSeconds } from './duration';

describe('durationSeconds', () => {
  it.each([
    ['1h', 3600],
    ['24h', 86400],
    ['7d', 604800],
    ['1w', 604800],
    ['1h30m', 5400],
    ['52w', 52 * 604800],
  ])('%s is %d s', (text, seconds) => expect(durationSeconds(text)).toBe(seconds));

  it('INF is infinite', () => expect(durationSeconds('INF')).toBe(Infinity));

  it.each(['', '1', 'h', '1y', '-1h', '1.5h'])('rejects %p with a hint', (text) => {
    expect(() => durationSeconds(text)).toThrow(/not a duration.*s, m, h, d or w/);
  });

  it('rounds hours up', () => expect(durationHours('90m')).toBe(2));
});
