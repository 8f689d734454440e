import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT, exitCodeOf } from '../lib/exit-codes';
import { compileGroup, FilterDefinitionError } from './filter-lang';
import { alertFieldTypes, filterSetFile, loadFilterSet, namedFilterSet } from './filter-sets';
import { AlertGenerator } from './generate';

/** The 8 seed filters that select fewer than 20 alerts of a generated visit (not-u too, in a u visit). */
const BELOW_CAP = [
  'bright-left-edge',
  'bright-fading-point',
  'ra-slice-100',
  'ra-slice-250',
  'flagged-128-bright',
  'ccd-corner',
  'ccd-strip',
  'tiny-box',
];

describe('alertFieldTypes', () => {
  it('has the schema fields, nullable ones as unions with null', () => {
    const f = alertFieldTypes();
    expect(f['diaSource.snr']).toBe('float');
    expect(f['diaSource.filterName']).toBe('string');
    expect(f['diaSource.extendedness']).toEqual(['null', 'float']);
    expect(f['diaSource.ps_Cov.psFluxSigma']).toEqual(['null', 'float']);
    expect(f.alertId).toBe('long');
    expect(f['prv_diaSources.snr']).toBeUndefined();
  });
});

describe('seed004', () => {
  const set = namedFilterSet('seed004');

  it('is 100 filters in groups 1-5 of 20, outputs 1-100 in order, cap 20', () => {
    expect(set.groups.map((g) => [g.name, g.filters.length])).toEqual([
      ['1', 20],
      ['2', 20],
      ['3', 20],
      ['4', 20],
      ['5', 20],
    ]);
    const all = set.groups.flatMap((g) => g.filters);
    expect(all.map((f) => f.output)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(new Set(all.map((f) => f.name)).size).toBe(100);
    expect(all.every((f) => f.cap === 20 && typeof f.description === 'string')).toBe(true);
  });

  it('uses varied fields', () => {
    const fields = new Set(set.groups.flatMap((g) => compileGroup(g, alertFieldTypes()).flatMap((f) => f.fields)));
    for (const f of [
      'diaSource.snr',
      'diaSource.psFlux',
      'diaSource.ra',
      'diaSource.decl',
      'diaSource.x',
      'diaSource.y',
      'diaSource.extendedness',
      'diaSource.spuriousness',
      'diaSource.flags',
      'diaSource.filterName',
    ]) {
      expect(fields).toContain(f);
    }
  });

  it('on generated visits, all but a few filters reach the cap', () => {
    const filters = set.groups.flatMap((g) => compileGroup(g, alertFieldTypes()));
    const gen = new AlertGenerator({ seed: 4, alertsPerVisit: 10_000, cutouts: false });
    // visit 0 is a u-band visit, visit 1 an r-band one (the generator's band of a visit depends on the seed and index)
    for (const [k, band] of [
      [0, 'u'],
      [1, 'r'],
    ] as const) {
      const plan = gen.visit(k, Date.UTC(2026, 5, 1, 3) + k * 39_000);
      expect(plan.band).toBe(band);
      const counts = filters.map(() => 0);
      for (const a of gen.alerts(plan)) for (let i = 0; i < filters.length; i++) if (filters[i].test(a)) counts[i]++;
      const below = filters.filter((_, i) => counts[i] < 20).map((f) => f.name);
      expect(below).toEqual(band === 'u' ? [...BELOW_CAP.slice(0, 7), 'not-u', 'tiny-box'] : BELOW_CAP);
      // the under-cap filters still select some alerts in most visits: the no-cap path runs
      expect(filters.filter((f, i) => BELOW_CAP.includes(f.name) && counts[i] > 0).length).toBeGreaterThanOrEqual(7);
      // and the capped ones select well over the cap
      expect(Math.min(...counts.filter((c) => c >= 20))).toBeGreaterThanOrEqual(25);
    }
  });
});

describe('loading sets', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'filters-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a file of its own', () => {
    const p = join(dir, 'mine.json');
    writeFileSync(
      p,
      JSON.stringify({
        groups: [{ name: 'bright', filters: [{ name: 'snr100', output: 101, where: { field: 'diaSource.snr', gt: 100 } }] }],
      }),
    );
    const s = filterSetFile(p);
    expect(s.source).toBe(p);
    expect(s.groups[0].filters[0]).toEqual({ name: 'snr100', output: 101, cap: 20, where: { field: 'diaSource.snr', gt: 100 } });
    expect(loadFilterSet({ filters: p }).groups[0].name).toBe('bright');
  });

  it('a file naming a field the alert does not have: the file, filter and field', () => {
    const p = join(dir, 'bad.json');
    writeFileSync(
      p,
      JSON.stringify({
        groups: [{ name: 'g', filters: [{ name: 'bright-r', output: 3, where: { all: [{ field: 'diaSource.band', eq: 'r' }] } }] }],
      }),
    );
    let err: unknown;
    try {
      filterSetFile(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FilterDefinitionError);
    expect((err as Error).message).toContain(`${p}: 1 problem(s)`);
    expect((err as Error).message).toContain(
      'filter "bright-r" (groups[0].filters[0]) where.all[0].field: "diaSource.band" is not an alert field',
    );
    expect(exitCodeOf(err)).toBe(EXIT.badInput);
  });

  it('a file that is not there, an unknown set, neither or both', () => {
    expect(() => filterSetFile(join(dir, 'nope.json'))).toThrow(
      `--filters ${join(dir, 'nope.json')}: cannot read the filter file (ENOENT)`,
    );
    expect(() => namedFilterSet('seed005')).toThrow('--set seed005: no such filter set; the sets are seed004');
    expect(() => loadFilterSet({})).toThrow('no filters: give --set seed004 or --filters FILE.json');
    expect(() => loadFilterSet({ set: 'seed004', filters: 'x.json' })).toThrow('--set and --filters: give one of them, not both');
    try {
      namedFilterSet('seed005');
    } catch (e) {
      expect(exitCodeOf(e)).toBe(EXIT.usage);
    }
  });
});
