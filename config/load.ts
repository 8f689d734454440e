/**
 * Loads and validates every site in config/sites/*.yaml. Errors name the site,
 * the file and line, the field path and what was expected, so an operator can
 * fix the YAML without reading the schema.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { Site, siteSchema } from './schema';
import { topologyProblems } from './topology';

export const SITES_DIR = path.join(__dirname, 'sites');

export interface SiteProblem {
  site: string;
  file: string;
  line?: number;
  field: string;
  message: string;
}

export class SiteConfigError extends Error {
  constructor(readonly problems: SiteProblem[]) {
    super(
      `invalid site configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems
          .map((p) => `  site "${p.site}", ${p.file}${p.line ? `:${p.line}` : ''}, field ${p.field || '(top level)'}: ${p.message}`)
          .join('\n'),
    );
    this.name = 'SiteConfigError';
  }
}

/** A site source: its YAML text and where it came from (for messages). */
export interface SiteSource {
  file: string;
  text: string;
}

function fieldPath(p: PropertyKey[]): string {
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove it or check its spelling`;
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) return `missing; expected ${issue.expected}`;
  return issue.message.replace(/^Invalid input: /, '');
}

/** Parses one site's YAML; returns the site or the problems found. */
export function parseSite(source: SiteSource): { site?: Site; problems: SiteProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter, prettyErrors: false });
  const fallbackName = path.basename(source.file).replace(/\.ya?ml$/, '');
  if (doc.errors.length) {
    return {
      problems: doc.errors.map((e) => ({
        site: fallbackName,
        file: source.file,
        line: lineCounter.linePos(e.pos[0]).line,
        field: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
      })),
    };
  }
  const raw = doc.toJS() as unknown;
  const siteName =
    raw && typeof raw === 'object' && typeof (raw as { name?: unknown }).name === 'string' ? (raw as { name: string }).name : fallbackName;
  const result = siteSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const keyPath = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
      return {
        site: siteName,
        file: source.file,
        line: lineOf(doc, lineCounter, keyPath),
        field: fieldPath(keyPath),
        message: describeIssue(issue),
      };
    });
    return { problems };
  }
  if (result.data.name !== fallbackName) {
    return {
      problems: [
        {
          site: siteName,
          file: source.file,
          line: lineOf(doc, lineCounter, ['name']),
          field: 'name',
          message: `expected "${fallbackName}" to match the file name`,
        },
      ],
    };
  }
  return { site: result.data, problems: [] };
}

/** The line of the field named by `keyPath` (its key), or of the deepest parent that exists. */
function lineOf(doc: ReturnType<typeof parseDocument>, counter: LineCounter, keyPath: PropertyKey[]): number | undefined {
  for (let n = keyPath.length; n > 0; n--) {
    const parent = doc.getIn(keyPath.slice(0, n - 1) as unknown[], true);
    const key = keyPath[n - 1];
    let node: unknown;
    if (isMap(parent)) node = parent.items.find((pair) => isScalar(pair.key) && pair.key.value === key)?.key;
    else if (isSeq(parent) && typeof key === 'number') node = parent.items[key];
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Rules across sites: unique names and the replication topology (./topology.ts). */
export function checkSites(entries: { site: Site; file: string }[]): SiteProblem[] {
  const problems: SiteProblem[] = [];
  const byName = new Map<string, string>();
  for (const { site, file } of entries) {
    const first = byName.get(site.name);
    if (first)
      problems.push({
        site: site.name,
        file,
        field: 'name',
        message: `duplicate site name: "${site.name}" is already defined in ${first}`,
      });
    else byName.set(site.name, file);
  }
  problems.push(...topologyProblems(entries));
  return problems;
}

/** Validates a set of site sources; throws SiteConfigError listing every problem. */
export function loadSitesFrom(sources: SiteSource[]): Site[] {
  const problems: SiteProblem[] = [];
  const entries: { site: Site; file: string }[] = [];
  for (const source of sources) {
    const parsed = parseSite(source);
    problems.push(...parsed.problems);
    if (parsed.site) entries.push({ site: parsed.site, file: source.file });
  }
  problems.push(...checkSites(entries));
  if (problems.length) throw new SiteConfigError(problems);
  return entries.map((e) => e.site);
}

/** Reads config/sites/*.yaml (or another folder) in name order. */
export function readSiteSources(dir = SITES_DIR): SiteSource[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ file: path.relative(process.cwd(), path.join(dir, f)) || f, text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

/**
 * What to say when `names` are not all sites (undefined when they are): `unknown site "x"; known sites:
 * a, b (config/sites/*.yaml)`. The caller throws it as its kind of error.
 */
export function unknownSitesMessage(sites: readonly { name: string }[], names: readonly string[]): string | undefined {
  const unknown = names.filter((n) => !sites.some((s) => s.name === n));
  if (!unknown.length) return undefined;
  return `unknown site ${unknown.map((n) => `"${n}"`).join(', ')}; known sites: ${sites.map((s) => s.name).join(', ')} (config/sites/*.yaml)`;
}

/** Every site of the project, validated. */
export function loadSites(dir = SITES_DIR): Site[] {
  return loadSitesFrom(readSiteSources(dir));
}
