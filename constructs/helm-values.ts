/**
 * Helm values as the PR diff shows them: the base file in helm-values/, the
 * site overlay in helm-values/sites/<site>/, then typed overrides from the
 * constructs, deep-merged in that order and rendered as one YAML document.
 *
 * One home per site setting: what the constructs set from the site (config/sites/<site>.yaml and
 * the schema's defaults) is set there only. An overlay is for chart keys the site schema does not
 * model; an overlay key the typed overrides also set (even to undefined, i.e. "the chart default")
 * fails instead of being silently replaced.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse, stringify } from 'yaml';

export const HELM_VALUES_DIR = path.join(__dirname, '..', 'helm-values');

export type Values = Record<string, unknown>;

function isPlainObject(v: unknown): v is Values {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, everything else (arrays included) is replaced; undefined is skipped. */
export function mergeValues(...layers: (Values | undefined)[]): Values {
  const out: Values = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer ?? {})) {
      if (v === undefined) continue;
      out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeValues(out[k] as Values, v) : v;
    }
  }
  return out;
}

function readValues(file: string): Values | undefined {
  if (!fs.existsSync(file)) return undefined;
  const parsed = parse(fs.readFileSync(file, 'utf8')) as unknown;
  if (parsed !== null && !isPlainObject(parsed))
    throw new Error(`${path.relative(process.cwd(), file)}: expected a YAML mapping of Helm values`);
  return (parsed ?? {}) as Values;
}

/** Dotted paths where an overlay sets a key the typed overrides also set (either side not a mapping). */
export function overlayConflicts(overlay: Values, overrides: Values, prefix = ''): string[] {
  return Object.keys(overlay).flatMap((k) => {
    if (!Object.prototype.hasOwnProperty.call(overrides, k)) return [];
    const [a, b] = [overlay[k], overrides[k]];
    const at = prefix ? `${prefix}.${k}` : k;
    return isPlainObject(a) && isPlainObject(b) ? overlayConflicts(a, b, at) : [at];
  });
}

/** Base values, the site's overlay, then overrides; an overlay key the overrides own is an error. */
export function siteValues(valuesFile: string, site: string, overrides: Values, dir = HELM_VALUES_DIR): Values {
  const base = readValues(path.join(dir, valuesFile));
  if (!base) throw new Error(`helm values file ${path.join(dir, valuesFile)} is missing`);
  const overlayFile = path.join(dir, 'sites', site, valuesFile);
  const overlay = readValues(overlayFile);
  const conflicts = overlay ? overlayConflicts(overlay, overrides) : [];
  if (conflicts.length) {
    throw new Error(
      `site "${site}", ${path.relative(process.cwd(), overlayFile)}: ${conflicts.join(', ')} ${conflicts.length === 1 ? 'is' : 'are'} set from the site's typed config ` +
        `(config/sites/${site}.yaml, config/schema.ts), which would replace the overlay's value; set ${conflicts.length === 1 ? 'it' : 'them'} in the site YAML and remove ${conflicts.length === 1 ? 'it' : 'them'} from the overlay`,
    );
  }
  return mergeValues(base, overlay, overrides);
}

/** Stable YAML: sorted keys, no line folding, so diffs stay small. */
export function renderValues(values: Values): string {
  return stringify(values, { sortMapEntries: true, lineWidth: 0 });
}
