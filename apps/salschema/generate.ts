/**
 * A generated SAL interface set, shaped like the seed's experiment: by default 1,051 topics =
 * 274 commands, 541 events and 236 telemetry topics (29,284 msg/s at the seed rates 1 / 10 / 100 Hz),
 * spread over real CSC names in proportion to how many topics of each kind they have in ts_xml, with
 * field counts, IDL types, array lengths, enumerations, units and name words drawn from the figures
 * measured on real ts_xml (ts-xml-profile.ts).
 *
 * Written as ts_xml in the current layout (`<Subsystem>/<Subsystem>_{Commands,Events,Telemetry}.xml`
 * plus SALSubsystems.xml; no SALGenerics.xml, so every topic counted is one written and the totals are
 * exact), so loadTsXmlFolder / loadTopicMetadata / salmock / saltransform read it as they read ts_xml.
 * Deterministic: the same options give the same bytes (one seeded PRNG, a fixed draw order).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { mulberry32 } from '../lib/prng';
import { Histogram, KINDS } from './ts-xml-measure';
import { TS_XML_PROFILE, TsXmlProfile } from './ts-xml-profile';
import { IdlType, INTEGER_IDL_TYPES, TOPIC_INFIX, TOPIC_TAG, TopicKind } from '../lib/sal/ts-xml';

/** Bump when the output for the same options changes (the manifest then differs, so folders are rewritten). */
export const GENERATOR_VERSION = 1;
/** Default seed of the generated set. */
export const DEFAULT_SEED = 29284;
/** Topics per kind of the seed's experiment. */
export const SEED_TOPIC_COUNTS: Readonly<Record<TopicKind, number>> = { command: 274, event: 541, telemetry: 236 };
/** Where the main job writes the generated set by default (git-ignored). */
export const DEFAULT_GENERATED_DIR = resolve(__dirname, '..', '..', '.gen', 'ts_xml');
/** Name of the manifest written beside `sal_interfaces`. */
export const MANIFEST_FILE = 'generated-ts-xml.json';

/** What to generate. */
export interface GenerateOptions {
  seed?: number;
  commands?: number;
  events?: number;
  telemetry?: number;
  /** Figures to draw from (default: the committed profile). */
  profile?: TsXmlProfile;
}

/** Topics generated, per kind and in all. */
export interface GeneratedCounts {
  command: number;
  event: number;
  telemetry: number;
  topics: number;
  subsystems: number;
  fields: number;
}

/** The generated set as files: path relative to `sal_interfaces` → XML text. */
export interface GeneratedTsXml {
  files: Map<string, string>;
  counts: GeneratedCounts;
  options: Required<Omit<GenerateOptions, 'profile'>>;
}

type Rng = () => number;

/** Checks and completes the options; throws with what is wrong. */
export function resolveOptions(opts: GenerateOptions = {}): Required<Omit<GenerateOptions, 'profile'>> {
  const out = {
    seed: opts.seed ?? DEFAULT_SEED,
    commands: opts.commands ?? SEED_TOPIC_COUNTS.command,
    events: opts.events ?? SEED_TOPIC_COUNTS.event,
    telemetry: opts.telemetry ?? SEED_TOPIC_COUNTS.telemetry,
  };
  if (!Number.isInteger(out.seed) || out.seed < 0 || out.seed > 0xffffffff) {
    throw new Error(`seed must be an integer from 0 to 4294967295, got ${opts.seed}`);
  }
  for (const k of ['commands', 'events', 'telemetry'] as const) {
    if (!Number.isInteger(out[k]) || out[k] < 0 || out[k] > 100_000) {
      throw new Error(`${k} must be a whole number of topics from 0 to 100000, got ${opts[k]}`);
    }
  }
  if (out.commands + out.events + out.telemetry === 0) throw new Error('nothing to generate: all topic counts are 0');
  return out;
}

/** Escapes text for an XML element. */
export function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Picks a key by weight. */
function weighted<T>(r: Rng, rows: readonly (readonly [T, number])[]): T {
  const total = rows.reduce((n, [, w]) => n + w, 0);
  let x = r() * total;
  for (const [k, w] of rows) {
    x -= w;
    if (x < 0) return k;
  }
  return rows[rows.length - 1][0];
}

/** Draws a value from a bucketed histogram (bucket by share, uniform inside it), at most `max`. */
function fromHistogram(r: Rng, h: Histogram, max: number): number {
  const [lo, hi] = weighted(
    r,
    h.map(([a, b, s]) => [[a, b] as const, s] as const),
  );
  const top = Math.max(lo, Math.min(hi, max));
  return lo + Math.floor(r() * (top - lo + 1));
}

/** Splits `n` over weights by largest remainder (deterministic, exact total). */
export function apportion(n: number, weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total === 0) return weights.map((_, i) => (i === 0 ? n : 0));
  const exact = weights.map((w) => (w / total) * n);
  const out = exact.map(Math.floor);
  let left = n - out.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    out[i]++;
  }
  return out;
}

const capitalize = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
const FILLER = new Set(['in', 'of', 'to', 'on', 'is', 'out', 'all']);

/** A camelCase name of 1–3 words drawn from a word list, not in `taken` (a numeral suffix if needed). */
function drawName(r: Rng, words: readonly (readonly [string, number])[], taken: Set<string>): string {
  const content = words.filter(([w]) => !FILLER.has(w));
  for (let attempt = 0; attempt < 8; attempt++) {
    const n = 1 + Math.floor(r() * 3);
    const parts: string[] = [];
    while (parts.length < n) {
      const w = weighted(r, content);
      if (!parts.includes(w)) parts.push(w);
    }
    const name = parts[0] + parts.slice(1).map(capitalize).join('');
    if (!taken.has(name)) return name;
  }
  const base = weighted(r, content);
  let i = 2;
  while (taken.has(`${base}${i}`)) i++;
  return `${base}${i}`;
}

interface GenItem {
  name: string;
  idlType: IdlType;
  count: number;
  units: string;
  description: string;
  enumeration?: string;
}

interface GenTopic {
  name: string;
  description: string;
  items: GenItem[];
}

function unitsFor(r: Rng, idl: IdlType, profile: TsXmlProfile['kinds'][TopicKind]): string {
  if (idl === 'string' || idl === 'boolean') return 'unitless';
  return weighted(r, profile.topUnits);
}

function enumerationText(r: Rng, words: readonly (readonly [string, number])[], group: string): string {
  const n = 2 + Math.floor(r() * 6);
  const symbols = new Set<string>();
  while (symbols.size < n) symbols.add(`${group}_${capitalize(weighted(r, words))}`);
  return [...symbols].join(',');
}

const DESCRIPTION_TAILS = [
  '',
  '',
  ' Valid when 0 <= value < limit & the axis is enabled.',
  ' Reported as "nan" when unknown.',
  " The controller's own value.",
];

function generateItems(r: Rng, kind: TopicKind, profile: TsXmlProfile): GenItem[] {
  const p = profile.kinds[kind];
  const n = fromHistogram(r, p.fieldsPerTopic.histogram, p.fieldsPerTopic.max);
  const intScalarShare = Object.entries(p.scalarTypes)
    .filter(([t]) => INTEGER_IDL_TYPES.has(t as IdlType))
    .reduce((a, [, s]) => a + (s as number), 0);
  const enumGivenInt = intScalarShare > 0 ? Math.min(1, p.enumerationShare / ((1 - p.arrayShare) * intScalarShare)) : 0;
  const taken = new Set<string>();
  const items: GenItem[] = [];
  for (let i = 0; i < n; i++) {
    const array = r() < p.arrayShare;
    const types = Object.entries(array ? p.arrayTypes : p.scalarTypes) as [IdlType, number][];
    const idlType = weighted(r, types);
    const count = array ? fromHistogram(r, p.arrayCount.histogram, p.arrayCount.max) : 1;
    const name = drawName(r, profile.fieldWords, taken);
    taken.add(name);
    const words = name.replace(/([A-Z])/g, ' $1').toLowerCase();
    const item: GenItem = {
      name,
      idlType,
      count,
      units: unitsFor(r, idlType, p),
      description: `${capitalize(words.trim())}${array ? `, one value per element (${count})` : ''}.${DESCRIPTION_TAILS[Math.floor(r() * DESCRIPTION_TAILS.length)]}`,
    };
    if (!array && INTEGER_IDL_TYPES.has(idlType) && r() < enumGivenInt) {
      item.enumeration = enumerationText(r, profile.topicWords, capitalize(name));
    }
    items.push(item);
  }
  return items;
}

function itemXml(it: GenItem): string {
  const lines = [
    '    <item>',
    `      <EFDB_Name>${xmlEscape(it.name)}</EFDB_Name>`,
    `      <Description>${xmlEscape(it.description)}</Description>`,
    `      <IDL_Type>${it.idlType}</IDL_Type>`,
    `      <Units>${xmlEscape(it.units)}</Units>`,
    `      <Count>${it.count}</Count>`,
  ];
  if (it.enumeration) lines.push(`      <Enumeration>${xmlEscape(it.enumeration)}</Enumeration>`);
  lines.push('    </item>');
  return lines.join('\n');
}

const SET_OF: Record<TopicKind, string> = { command: 'SALCommandSet', event: 'SALEventSet', telemetry: 'SALTelemetrySet' };
const FILE_OF: Record<TopicKind, string> = { command: 'Commands', event: 'Events', telemetry: 'Telemetry' };

function setXml(subsystem: string, kind: TopicKind, topics: GenTopic[]): string {
  const set = SET_OF[kind];
  const tag = TOPIC_TAG[kind];
  const body = topics.map((t) =>
    [
      `  <${tag}>`,
      `    <Subsystem>${xmlEscape(subsystem)}</Subsystem>`,
      `    <EFDB_Topic>${xmlEscape(`${subsystem}_${TOPIC_INFIX[kind]}${t.name}`)}</EFDB_Topic>`,
      `    <Description>${xmlEscape(t.description)}</Description>`,
      ...t.items.map(itemXml),
      `  </${tag}>`,
    ].join('\n'),
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<?xml-stylesheet type="text/xsl" href="http://lsst-sal.tuc.noao.edu/schema/${set}.xsl"?>`,
    `<${set} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="http://lsst-sal.tuc.noao.edu/schema/${set}.xsd">`,
    ...body,
    `</${set}>`,
    '',
  ].join('\n');
}

function subsystemsXml(names: string[]): string {
  const entries = names.map((n) =>
    [
      '  <SALSubsystem>',
      `    <Name>${xmlEscape(n)}</Name>`,
      `    <Description>Generated interface of ${xmlEscape(n)} (shape of real ts_xml, not its content).</Description>`,
      '    <IndexEnumeration>no</IndexEnumeration>',
      '    <AddedGenerics>no</AddedGenerics>',
      '  </SALSubsystem>',
    ].join('\n'),
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<?xml-stylesheet type="text/xsl" href="http://lsst-sal.tuc.noao.edu/schema/SALSubsystemSet.xsl"?>',
    '<SALSubsystemSet xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="http://lsst-sal.tuc.noao.edu/schema/SALSubsystemSet.xsd">',
    ...entries,
    '</SALSubsystemSet>',
    '',
  ].join('\n');
}

/** Generates the interface set in memory (pure, deterministic). */
export function generateTsXml(opts: GenerateOptions = {}): GeneratedTsXml {
  const options = resolveOptions(opts);
  const profile = opts.profile ?? TS_XML_PROFILE;
  const r = mulberry32(options.seed);
  const subs = profile.subsystems;
  const wanted: Record<TopicKind, number> = { command: options.commands, event: options.events, telemetry: options.telemetry };
  const perKind = Object.fromEntries(
    KINDS.map((k) => [
      k,
      apportion(
        wanted[k],
        subs.map((s) => s[k]),
      ),
    ]),
  ) as Record<TopicKind, number[]>;
  const files = new Map<string, string>();
  const used: string[] = [];
  const counts: GeneratedCounts = { command: 0, event: 0, telemetry: 0, topics: 0, subsystems: 0, fields: 0 };
  subs.forEach((s, i) => {
    const taken = new Set<string>();
    let any = false;
    for (const kind of KINDS) {
      const n = perKind[kind][i];
      if (n === 0) continue;
      const topics: GenTopic[] = [];
      for (let k = 0; k < n; k++) {
        const name = drawName(r, profile.topicWords, taken);
        taken.add(name);
        const items = generateItems(r, kind, profile);
        const words = name.replace(/([A-Z])/g, ' $1').toLowerCase();
        topics.push({ name, items, description: `${capitalize(words.trim())} of ${s.name} (generated ${kind} topic).` });
        counts.fields += items.length;
      }
      counts[kind] += n;
      files.set(join(s.name, `${s.name}_${FILE_OF[kind]}.xml`), setXml(s.name, kind, topics));
      any = true;
    }
    if (any) used.push(s.name);
  });
  files.set('SALSubsystems.xml', subsystemsXml(used));
  counts.topics = counts.command + counts.event + counts.telemetry;
  counts.subsystems = used.length;
  return { files, counts, options };
}

/** Manifest of a written folder: what made it, and a digest of every file. */
export interface GeneratedManifest {
  generator: 'efd salschema generate';
  version: number;
  options: Required<Omit<GenerateOptions, 'profile'>>;
  profile: string;
  counts: GeneratedCounts;
  files: Record<string, string>;
}

function manifestOf(gen: GeneratedTsXml, profile: TsXmlProfile): GeneratedManifest {
  const digest = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 16);
  const files = Object.fromEntries([...gen.files.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([p, t]) => [p, digest(t)]));
  return {
    generator: 'efd salschema generate',
    version: GENERATOR_VERSION,
    options: gen.options,
    profile: `${profile.source.repository}@${profile.source.tag}`,
    counts: gen.counts,
    files,
  };
}

/** What {@link writeGeneratedTsXml} did. */
export interface WrittenTsXml {
  /** The `sal_interfaces` folder: give it to loadTsXmlFolder, salmock `--xml`, … */
  xmlDir: string;
  counts: GeneratedCounts;
  /** False when the folder already held exactly this set (nothing rewritten). */
  written: boolean;
  manifest: string;
}

/**
 * Writes the generated set under `dir` (default {@link DEFAULT_GENERATED_DIR}) as `dir/sal_interfaces`
 * plus a manifest; rewrites only when the manifest differs (other options, seed or generator version).
 * Refuses a non-empty folder that holds no manifest (it is not ours to replace). Throws with the path
 * when the folder cannot be written.
 */
export function writeGeneratedTsXml(dir: string = DEFAULT_GENERATED_DIR, opts: GenerateOptions = {}): WrittenTsXml {
  const root = resolve(dir);
  const xmlDir = join(root, 'sal_interfaces');
  const manifestPath = join(root, MANIFEST_FILE);
  const gen = generateTsXml(opts);
  const manifest = `${JSON.stringify(manifestOf(gen, opts.profile ?? TS_XML_PROFILE), null, 2)}\n`;
  const done = { xmlDir, counts: gen.counts, manifest: manifestPath };
  if (existsSync(manifestPath) && existsSync(xmlDir) && readFileSync(manifestPath, 'utf8') === manifest) return { ...done, written: false };
  try {
    if (existsSync(root) && !existsSync(manifestPath) && readdirSync(root).length > 0) {
      throw new Error(`${root} is not empty and holds no ${MANIFEST_FILE}; choose an empty or new folder`);
    }
    mkdirSync(root, { recursive: true });
    const tmp = join(root, `.sal_interfaces.${process.pid}.tmp`);
    rmSync(tmp, { recursive: true, force: true });
    for (const [rel, text] of gen.files) {
      const path = join(tmp, rel);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
    rmSync(manifestPath, { force: true });
    rmSync(xmlDir, { recursive: true, force: true });
    try {
      renameSync(tmp, xmlDir);
    } catch (err) {
      // another process wrote the folder meanwhile: fine if it wrote this very set
      rmSync(tmp, { recursive: true, force: true });
      if (existsSync(manifestPath) && readFileSync(manifestPath, 'utf8') === manifest) return { ...done, written: false };
      throw err;
    }
    writeFileSync(manifestPath, manifest);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code) throw new Error(`cannot write the generated ts_xml under ${root}: ${e.message}`);
    throw err;
  }
  return { ...done, written: true };
}
