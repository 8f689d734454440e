/**
 * Filter sets: the project's named ones (`--set seed004`) and a user's own file (`--filters FILE.json`,
 * `{ "groups": [{ "name": "g1", "filters": [...] }] }`), both checked against the alert schema's fields.
 *
 * seed004 (./filter-seed004.json): the seed's 100 filters in 5 groups of 20 (groups "1" … "5", outputs
 * Filter001 … Filter100, cap 20), simple cuts on snr, flux, position on the sky and on the CCD, extendedness,
 * spuriousness, flags, band. On a visit of 10,000 generated alerts (./generate.ts) 92 of them select more
 * than 20 alerts (so the cap applies) and 8 select fewer (bright-left-edge, bright-fading-point,
 * ra-slice-100, ra-slice-250, flagged-128-bright, ccd-corner, ccd-strip, tiny-box; not-u selects none in a
 * u-band visit): filter-sets.test.ts checks it on generated visits.
 */
import { readFileSync } from 'node:fs';
import { BadInputError, UsageError } from '../lib/exit-codes';
import { alertFieldList } from './schema';
import { FieldTypes, FilterSet, parseFilterSet } from './filter-lang';
import seed004 from './filter-seed004.json';

/** The named filter sets (`--set NAME`). */
export const FILTER_SETS: Readonly<Record<string, unknown>> = { seed004 };

/** The alert's filterable fields for the filter language: path → Avro type, `['null', T]` where a value may be missing. */
export function alertFieldTypes(): FieldTypes {
  return Object.fromEntries(alertFieldList().map((f) => [f.path, f.nullable ? ['null', f.type] : f.type]));
}

/** A named set, or a usage error naming the sets there are. */
export function namedFilterSet(name: string, fields: FieldTypes = alertFieldTypes()): FilterSet {
  const raw = FILTER_SETS[name];
  if (raw === undefined) throw new UsageError(`--set ${name}: no such filter set; the sets are ${Object.keys(FILTER_SETS).join(', ')}`);
  return parseFilterSet(raw, fields, `filter set ${name}`);
}

/** A filter file, checked; a file that cannot be read is bad input naming it. */
export function filterSetFile(path: string, fields: FieldTypes = alertFieldTypes()): FilterSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BadInputError(
      `--filters ${path}: cannot read the filter file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  return parseFilterSet(text, fields, path);
}

/** `--set` or `--filters` (exactly one). */
export function loadFilterSet(o: { set?: string; filters?: string }, fields: FieldTypes = alertFieldTypes()): FilterSet {
  if (o.set && o.filters) throw new UsageError('--set and --filters: give one of them, not both');
  if (o.set) return namedFilterSet(o.set, fields);
  if (o.filters) return filterSetFile(o.filters, fields);
  throw new UsageError(`no filters: give --set ${Object.keys(FILTER_SETS).join('|')} or --filters FILE.json`);
}
