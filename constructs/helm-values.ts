/**
 * Helm values as the PR diff shows them: the base file in helm-values/, the
 * site overlay in helm-values/sites/<site>/, then typed overrides from the
 * constructs, deep-merged in that order and rendered as one YAML document.
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
  if (parsed !== null && !isPlainObject(parsed)) throw new Error(`${path.relative(process.cwd(), file)}: expected a YAML mapping of Helm values`);
  return (parsed ?? {}) as Values;
}

/** Base values, the site's overlay, then overrides. */
export function siteValues(valuesFile: string, site: string, overrides: Values, dir = HELM_VALUES_DIR): Values {
  const base = readValues(path.join(dir, valuesFile));
  if (!base) throw new Error(`helm values file ${path.join(dir, valuesFile)} is missing`);
  return mergeValues(base, readValues(path.join(dir, 'sites', site, valuesFile)), overrides);
}

/** Stable YAML: sorted keys, no line folding, so diffs stay small. */
export function renderValues(values: Values): string {
  return stringify(values, { sortMapEntries: true, lineWidth: 0 });
}
