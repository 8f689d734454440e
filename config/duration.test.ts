import { durationMs, durationSeconds } from './duration';

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

  it.each([
    ['24 hours', '24h'],
    ['30 min', '30m'],
    ['7 Days', '7d'],
    ['2weeks', '2w'],
    ['forever', 'INF'],
  ])('suggests what %p likely meant', (text, meant) => {
    expect(() => durationSeconds(text)).toThrow(
      `"${text}" is not a duration: use a number and a unit of s, m, h, d or w, e.g. "${meant}" (or "INF")`,
    );
  });

  it('keeps milliseconds exact (no rounding to hours)', () => {
    expect(durationMs('30m')).toBe(1_800_000);
    expect(durationMs('1h1s')).toBe(3_601_000);
    expect(durationMs('INF')).toBe(Infinity);
  });

  it('refuses a duration too long to count in milliseconds exactly', () => {
    expect(() => durationSeconds('999999999999w')).toThrow(/too long a duration/);
  });
});
