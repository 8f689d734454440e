/**
 * ts_xml reader: SAL interface definitions (XML) → a typed model.
 *
 * Handles both layouts found in ts_xml's history:
 * - current: `<Subsystem>/<Subsystem>_{Commands,Events,Telemetry}.xml` with topics carrying only
 *   Subsystem, EFDB_Topic, Description (and Category in SALGenerics.xml), plus `SALGenerics.xml`
 *   (root SALObjects) and `SALSubsystems.xml` (AddedGenerics per subsystem);
 * - legacy (2019–2020): the same sets, whose topics also carry Version, Author, Alias, Device, Property,
 *   Action, Value and Explanation; that release's SALGenerics.xml (no Category) and SALSubsystems.xml
 *   (root SALSubsystems, `<Subsystem>` entries with `<Generics>yes|no</Generics>`).
 *
 * Generic topics are merged into each subsystem the way its release prescribes (see
 * {@link mergeGenerics}). Nothing here throws on bad input: problems come back as
 * {@link SalSchemaError}s naming file, line, topic and field; topic elements left out are kept as
 * {@link RejectedTopic}s so a report can say why each one got no schema.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { parseEnumeration, SalEnumeration } from './enumeration';
import { SalSchemaError } from './errors';
import { Span, XmlLocator } from './xml-lines';
import { decodeUtf8, wellFormedError } from './xml-text';
import { IDL_INTEGER_RANGE, TOPIC_LIMITS } from './idl-range';

export type { SalEnumeration, SalEnumSymbol } from './enumeration';
export type { SalSchemaError } from './errors';

/** The three kinds of SAL topic. */
export type TopicKind = 'command' | 'event' | 'telemetry';

/** XML element of a topic of each kind. */
export const TOPIC_TAG: Record<TopicKind, 'SALCommand' | 'SALEvent' | 'SALTelemetry'> = {
  command: 'SALCommand',
  event: 'SALEvent',
  telemetry: 'SALTelemetry',
};

/** Infix between subsystem and topic name in EFDB_Topic (telemetry has none). */
export const TOPIC_INFIX: Record<TopicKind, string> = { command: 'command_', event: 'logevent_', telemetry: '' };

/** Kind of an EFDB_Topic by its name: `<Subsystem>_command_…` command, `<Subsystem>_logevent_…` event, else telemetry. */
export function topicKindOfName(efdbTopic: string): TopicKind {
  const rest = efdbTopic.slice(efdbTopic.indexOf('_') + 1);
  if (rest.startsWith(TOPIC_INFIX.command)) return 'command';
  if (rest.startsWith(TOPIC_INFIX.event)) return 'event';
  return 'telemetry';
}

/** The IDL integer types of two to eight bytes, signed and unsigned. */
export const MULTIBYTE_INTEGER_IDL_TYPES = [
  'short',
  'unsigned short',
  'int',
  'unsigned int',
  'long',
  'unsigned long',
  'long long',
  'unsigned long long',
] as const;

/** IDL (DDS) types accepted in `<IDL_Type>`: those of the SAL → Avro type table. */
export const IDL_TYPES = [
  'null',
  'boolean',
  'string',
  ...MULTIBYTE_INTEGER_IDL_TYPES,
  'float',
  'double',
  'byte',
  'char',
  'octet',
  'bytes',
] as const;

/** One accepted IDL type. */
export type IdlType = (typeof IDL_TYPES)[number];

/** IDL types holding integers: the only ones an `<Enumeration>` may be attached to. */
export const INTEGER_IDL_TYPES: ReadonlySet<IdlType> = new Set<IdlType>([...MULTIBYTE_INTEGER_IDL_TYPES, 'byte', 'octet']);

/** Optional per-item tags of older ts_xml, kept as metadata (value parsed to number/boolean when it is one). */
export const ITEM_METADATA_TAGS = [
  'Frequency',
  'Publishers',
  'Values_per_Publisher',
  'Size_in_bytes',
  'Conversion',
  'Sensor_location',
  'Instances_per_night',
  'Bytes_per_night',
  'Needed_by_DM',
  'Needed_by_Camera',
  'Needed_by_OCS',
  'Needed_by_TCS',
  'Needed_by_EPO',
] as const;

/** Per-topic tags of the legacy layout, kept as metadata when not empty. */
export const TOPIC_METADATA_TAGS = ['Version', 'Author', 'Alias', 'Device', 'Property', 'Action', 'Value'] as const;

/** One field (`<item>`) of a topic. */
export interface SalItem {
  /** EFDB_Name. */
  name: string;
  /** 0-based position among the topic's items. */
  index: number;
  idlType: IdlType;
  /** Count; > 1 means an array of that many values. */
  count: number;
  units?: string;
  description?: string;
  /** IDL_Size (string length hint), when given. */
  idlSize?: number;
  /** Item-level `<Enumeration>`. */
  enumeration?: SalEnumeration;
  /** Older per-item metadata tags (see {@link ITEM_METADATA_TAGS}). */
  metadata: Record<string, string | number | boolean>;
  /** Line of the `<item>` start tag. */
  line?: number;
}

/** One topic (SALCommand, SALEvent or SALTelemetry). */
export interface SalTopic {
  subsystem: string;
  kind: TopicKind;
  /** EFDB_Topic, e.g. `ATDome_command_moveAzimuth`; for merged generics, `<Subsystem>_command_start`. */
  name: string;
  description?: string;
  /** Explanation (legacy layout), when not empty. */
  explanation?: string;
  /** Category (SALGenerics.xml: mandatory, csc, configurable). */
  category?: string;
  /** Legacy per-topic tags that are not empty (see {@link TOPIC_METADATA_TAGS}). */
  metadata: Record<string, string>;
  items: SalItem[];
  /** Set-level enumerations of the file (set) the topic comes from. */
  enumerations: SalEnumeration[];
  /** True when the topic was merged in from SALGenerics.xml. */
  generic: boolean;
  /** File and line of the topic's definition (for generics: in SALGenerics.xml). */
  file: string;
  line?: number;
}

/** One `<SALSubsystem>` of SALSubsystems.xml. */
export interface SalSubsystem {
  name: string;
  description?: string;
  /** IndexEnumeration: `no`, `any` or a list of index names. */
  indexEnumeration?: string;
  /** AddedGenerics split on commas (`yes`/`no` kept as single entries). */
  addedGenerics: string[];
  line?: number;
}

/** What a ts_xml file holds. */
export type TsXmlRole = 'topics' | 'generics' | 'subsystems' | 'other';

/** A parsed ts_xml file. */
export interface TsXmlFile {
  file: string;
  role: TsXmlRole;
  /** Root element name. */
  root: string;
  /** `legacy` when topics carry the 2019 tags (Version, Author, ...), else `current`. */
  layout: 'current' | 'legacy';
  topics: SalTopic[];
  subsystems: SalSubsystem[];
  /** Topic elements of the file left out (see {@link RejectedTopic}). */
  rejected: RejectedTopic[];
}

/** Subsystem of a rejected topic whose subsystem cannot be told. */
export const UNKNOWN_SUBSYSTEM = '(unknown)';

/** A topic element that was found but left out, and why. */
export interface RejectedTopic {
  /** `<Subsystem>`, else the file's subsystem, else {@link UNKNOWN_SUBSYSTEM}. */
  subsystem: string;
  kind: TopicKind;
  /** EFDB_Topic, when it has one. */
  name?: string;
  file: string;
  line?: number;
  reasons: SalSchemaError[];
}

/** A parsed file and the problems found in it. */
export interface TsXmlParse {
  file: TsXmlFile;
  errors: SalSchemaError[];
}

type XmlNode = Record<string, unknown>;

const SET_KIND: Record<string, TopicKind> = {
  SALCommandSet: 'command',
  SALEventSet: 'event',
  SALTelemetrySet: 'telemetry',
};
const ARRAY_TAGS = new Set(['SALCommand', 'SALEvent', 'SALTelemetry', 'item', 'Enumeration', 'SALSubsystem']);
/** Root of the 2019–2020 SALSubsystems.xml and its per-subsystem element (`<Subsystem>`, as a topic's child is named too). */
const LEGACY_SUBSYSTEMS_ROOT = 'SALSubsystems';
const LEGACY_SUBSYSTEM_PATH = `${LEGACY_SUBSYSTEMS_ROOT}.Subsystem`;
const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LEGACY_TAGS = [...TOPIC_METADATA_TAGS, 'Explanation'];

const parser = new XMLParser({
  ignoreAttributes: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name: string, jPath: unknown) => ARRAY_TAGS.has(name) || jPath === LEGACY_SUBSYSTEM_PATH,
});

function asNode(v: unknown): XmlNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as XmlNode) : {};
}

/** Text of a child element (first one if repeated); undefined when absent. */
function textOf(node: XmlNode, key: string): string | undefined {
  let v = node[key];
  if (Array.isArray(v)) v = v[0];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object') return '#text' in v ? String((v as XmlNode)['#text']).trim() : '';
  return String(v).trim();
}

/** Text of a child element, undefined when absent or empty. */
function nonEmpty(node: XmlNode, key: string): string | undefined {
  const t = textOf(node, key);
  return t ? t : undefined;
}

function listOf(node: XmlNode, key: string): unknown[] {
  const v = node[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * Tidies a multi-line description: removes the indentation the XML adds (the common leading
 * whitespace of the lines after the first), trailing spaces and blank lines at the ends.
 */
export function normalizeText(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const [first, ...rest] = text.split('\n').map((l) => l.trimEnd());
  const indents = rest.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  const out = [first.trim(), ...rest.map((l) => l.slice(cut))]
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return out || undefined;
}

/** Context for locating errors while parsing one file. */
class FileContext {
  readonly errors: SalSchemaError[] = [];
  /** Topic elements left out, with the errors that made them so. */
  readonly rejected: RejectedTopic[] = [];
  readonly locator: XmlLocator;

  constructor(
    readonly file: string,
    raw: string,
  ) {
    this.locator = new XmlLocator(raw);
  }

  error(e: Omit<SalSchemaError, 'file'>): void {
    this.errors.push({ file: this.file, ...e });
  }
}

/** Metadata value: number or boolean when the text is one. */
function metadataValue(text: string): string | number | boolean {
  if (/^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return Number(text);
  return text;
}

function itemMetadata(node: XmlNode): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const tag of ITEM_METADATA_TAGS) {
    const t = nonEmpty(node, tag);
    if (t !== undefined) out[tag] = metadataValue(t);
  }
  return out;
}

/** Parses `<Count>`: absent → 1; otherwise a positive integer up to the limit, or an error message. */
function parseCount(text: string | undefined): number | string {
  if (text === undefined || text === '') return 1;
  if (!/^\d+$/.test(text) || Number(text) < 1) return `Count "${text}" is not a positive integer`;
  if (Number(text) > TOPIC_LIMITS.count)
    return `Count ${text} is above the limit of ${TOPIC_LIMITS.count.toLocaleString('en-US')} values per item`;
  return Number(text);
}

/** Normalizes spacing of an IDL type (`long  long` → `long long`) and checks it is known. */
function parseIdlType(text: string): IdlType | undefined {
  const t = text.replace(/\s+/g, ' ').trim();
  return (IDL_TYPES as readonly string[]).includes(t) ? (t as IdlType) : undefined;
}

interface ItemScope {
  ctx: FileContext;
  topic: string;
  span?: Span;
}

function lineOf(scope: ItemScope, tag: string): number | undefined {
  return scope.span ? scope.ctx.locator.lineOfChild(tag, scope.span) : undefined;
}

function parseItemType(node: XmlNode, name: string, scope: ItemScope): IdlType | undefined {
  const raw = textOf(node, 'IDL_Type');
  const err = (message: string, fix: string) =>
    scope.ctx.error({ line: lineOf(scope, 'IDL_Type'), topic: scope.topic, field: name, message, fix });
  if (!raw) return void err('item has no IDL_Type', `add <IDL_Type> with one of: ${IDL_TYPES.join(', ')}`);
  const idl = parseIdlType(raw);
  if (!idl) err(`unknown IDL_Type "${raw}"`, `use one of: ${IDL_TYPES.join(', ')}`);
  return idl;
}

function parseItemEnumeration(node: XmlNode, name: string, idl: IdlType, scope: ItemScope) {
  const raw = textOf(node, 'Enumeration');
  if (raw === undefined) return { ok: true as const, enumeration: undefined };
  const at = { line: lineOf(scope, 'Enumeration'), topic: scope.topic, field: name };
  if (!INTEGER_IDL_TYPES.has(idl)) {
    scope.ctx.error({ ...at, message: `Enumeration on a ${idl} item`, fix: 'use an integer IDL_Type or drop it' });
    return { ok: false as const };
  }
  const parsed = parseEnumeration(raw);
  if (!parsed.ok) {
    scope.ctx.error({ ...at, message: parsed.error, fix: 'write NAME or NAME=value entries separated by commas' });
    return { ok: false as const };
  }
  const [lo, hi] = IDL_INTEGER_RANGE[idl]!;
  const out = parsed.enumeration.symbols.find((s) => BigInt(s.value) < lo || BigInt(s.value) > hi);
  if (out) {
    const message = `Enumeration value ${out.name}=${out.value} does not fit a ${idl} item (${lo} to ${hi})`;
    scope.ctx.error({ ...at, message, fix: `give ${out.name} a value in that range, or use a wider IDL_Type` });
    return { ok: false as const };
  }
  return { ok: true as const, enumeration: parsed.enumeration };
}

/** Children that hold one value each (a repeated one means end tags are misplaced); Enumeration is always a list. */
const SINGLE_ITEM_TAGS = ['EFDB_Name', 'IDL_Type', 'Count', 'Units', 'IDL_Size', 'Description', 'Enumeration'];
const SINGLE_TOPIC_TAGS = ['Subsystem', 'EFDB_Topic', 'Description', 'Category', 'Explanation'];

/** What is wrong with an element's structure: a child it cannot hold, or a one-value child repeated. */
function structureProblem(node: XmlNode, singles: string[], nested: string[]): string | undefined {
  for (const tag of nested) if (node[tag] !== undefined) return `has an <${tag}> inside it`;
  for (const tag of singles) {
    const v = node[tag];
    if (Array.isArray(v) && (tag !== 'Enumeration' || v.length > 1)) return `has <${tag}> more than once`;
  }
  return undefined;
}

const MISPLACED = 'an end tag is misplaced or missing';

/** Parses one `<item>`; undefined (with errors recorded) when it cannot be used. */
function parseItem(node: XmlNode, index: number, scope: ItemScope): SalItem | undefined {
  const line = scope.span ? scope.ctx.locator.lineAt(scope.span.start) : undefined;
  const name = textOf(node, 'EFDB_Name');
  const bad = structureProblem(node, SINGLE_ITEM_TAGS, ['item', ...Object.values(TOPIC_TAG)]);
  if (bad) {
    const message = `item #${index + 1}${name ? ` (${name})` : ''} ${bad}: ${MISPLACED}`;
    const fix = 'end each <item> with </item> before the next one starts; one EFDB_Name, IDL_Type and Count per item';
    return void scope.ctx.error({ line, topic: scope.topic, ...(name ? { field: name } : {}), message, fix });
  }
  if (!name) {
    const message = `item #${index + 1} has no EFDB_Name`;
    return void scope.ctx.error({ line, topic: scope.topic, message, fix: 'add <EFDB_Name> to the item' });
  }
  if (!AVRO_NAME.test(name)) {
    const message = `EFDB_Name "${name}" is not a valid field name`;
    const fix = 'start with a letter or _ and use only letters, digits and _';
    return void scope.ctx.error({ line, topic: scope.topic, field: name, message, fix });
  }
  const idlType = parseItemType(node, name, scope);
  const count = parseCount(textOf(node, 'Count'));
  if (typeof count === 'string') {
    const fix = `set <Count> to 1 for a scalar or to the array length (at most ${TOPIC_LIMITS.count.toLocaleString('en-US')})`;
    scope.ctx.error({ line: lineOf(scope, 'Count'), topic: scope.topic, field: name, message: count, fix });
  }
  if (!idlType || typeof count === 'string') return undefined;
  const enumeration = parseItemEnumeration(node, name, idlType, scope);
  const size = parseIdlSize(node, name, scope);
  if (!enumeration.ok || size === false) return undefined;
  const item = buildItem(node, { name, index, idlType, count, line, enumeration: enumeration.enumeration });
  if (size !== undefined) item.idlSize = size;
  return item;
}

/** `<IDL_Size>`: undefined when absent or not a number (a hint only); false (with an error) above the limit. */
function parseIdlSize(node: XmlNode, name: string, scope: ItemScope): number | undefined | false {
  const size = nonEmpty(node, 'IDL_Size');
  if (size === undefined || !/^\d+$/.test(size)) return undefined;
  if (Number(size) <= TOPIC_LIMITS.idlSize) return Number(size);
  const message = `IDL_Size ${size} is above the limit of ${TOPIC_LIMITS.idlSize.toLocaleString('en-US')} (the largest Kafka message by default)`;
  scope.ctx.error({
    line: lineOf(scope, 'IDL_Size'),
    topic: scope.topic,
    field: name,
    message,
    fix: 'set <IDL_Size> to the longest string the field holds',
  });
  return false;
}

function buildItem(node: XmlNode, base: Pick<SalItem, 'name' | 'index' | 'idlType' | 'count' | 'line' | 'enumeration'>): SalItem {
  const item: SalItem = { ...base, metadata: itemMetadata(node) };
  if (!base.enumeration) delete item.enumeration;
  const units = nonEmpty(node, 'Units');
  const description = normalizeText(nonEmpty(node, 'Description'));
  if (units !== undefined) item.units = units;
  if (description !== undefined) item.description = description;
  return item;
}

/** Subsystem a topic file is named after (`ESS_Telemetry.xml` → ESS), for topics without `<Subsystem>`. */
function subsystemOfFile(file: string): string | undefined {
  return /^([A-Za-z][A-Za-z0-9]*)_(Commands|Events|Telemetry)\.xml$/.exec(basename(file))?.[1];
}

/** Checks Subsystem and EFDB_Topic of a topic; returns them or records why not. */
function topicIdentity(node: XmlNode, kind: TopicKind, n: number, ctx: FileContext, line?: number) {
  const tag = TOPIC_TAG[kind];
  // ts_xml's schema lets a topic leave <Subsystem> out (v28's ESS telemetry does): the file names it
  const subsystem = textOf(node, 'Subsystem') || subsystemOfFile(ctx.file);
  const name = textOf(node, 'EFDB_Topic');
  if (!name) {
    const message = `${tag} #${n + 1} has no EFDB_Topic (topic name)`;
    const fix = `add <EFDB_Topic>${subsystem ?? '<Subsystem>'}_${TOPIC_INFIX[kind]}<name></EFDB_Topic>`;
    return void ctx.error({ line, message, fix });
  }
  if (!subsystem) {
    return void ctx.error({ line, topic: name, message: 'topic has no Subsystem', fix: 'add <Subsystem>' });
  }
  const prefix = `${subsystem}_${TOPIC_INFIX[kind]}`;
  if (!name.startsWith(prefix) || name.length === prefix.length || !AVRO_NAME.test(name)) {
    const message = `EFDB_Topic "${name}" must be ${prefix}<name> (letters, digits and _ only)`;
    return void ctx.error({ line, topic: name, message, fix: `rename it ${prefix}<name>` });
  }
  return { subsystem, name };
}

function topicMetadata(node: XmlNode): Record<string, string> {
  const out: Record<string, string> = {};
  for (const tag of TOPIC_METADATA_TAGS) {
    const t = nonEmpty(node, tag);
    if (t !== undefined) out[tag] = t;
  }
  return out;
}

function parseItems(node: XmlNode, topic: string, ctx: FileContext, span?: Span): SalItem[] {
  const items: SalItem[] = [];
  const seen = new Set<string>();
  listOf(node, 'item').forEach((raw, k) => {
    const itemSpan = span ? ctx.locator.element('item', k, span) : undefined;
    const item = parseItem(asNode(raw), k, { ctx, topic, span: itemSpan });
    if (!item) return;
    if (seen.has(item.name)) {
      const message = `field ${item.name} is defined twice in the topic`;
      return void ctx.error({ line: item.line, topic, field: item.name, message, fix: 'rename or remove one' });
    }
    seen.add(item.name);
    items.push(item);
  });
  return items;
}

interface SetScope {
  ctx: FileContext;
  kind: TopicKind;
  span: Span;
  enumerations: SalEnumeration[];
}

/** Parses the n-th topic element of a set. */
function parseTopic(node: XmlNode, n: number, scope: SetScope): SalTopic | undefined {
  const { ctx, kind } = scope;
  const span = ctx.locator.element(TOPIC_TAG[kind], n, scope.span);
  const line = span ? ctx.locator.lineAt(span.start) : undefined;
  const before = ctx.errors.length;
  const reject = (name?: string) => {
    const subsystem = textOf(node, 'Subsystem') || subsystemOfFile(ctx.file) || UNKNOWN_SUBSYSTEM;
    ctx.rejected.push({ subsystem, kind, file: ctx.file, line, name, reasons: ctx.errors.slice(before) });
    return undefined;
  };
  const bad = structureProblem(node, SINGLE_TOPIC_TAGS, Object.values(TOPIC_TAG));
  if (bad) {
    const name = textOf(node, 'EFDB_Topic') || undefined;
    const fix = `end each <${TOPIC_TAG[kind]}> before the next one starts; one Subsystem and EFDB_Topic per topic`;
    ctx.error({ line, ...(name ? { topic: name } : {}), message: `${TOPIC_TAG[kind]} #${n + 1} ${bad}: ${MISPLACED}`, fix });
    return reject(name);
  }
  const id = topicIdentity(node, kind, n, ctx, line);
  if (!id) return reject(textOf(node, 'EFDB_Topic') || undefined);
  const items = parseItems(node, id.name, ctx, span);
  const values = items.reduce((n, i) => n + i.count, 0);
  if (values > TOPIC_LIMITS.valuesPerTopic) {
    const message = `the topic has ${values.toLocaleString('en-US')} values (the sum of its Counts), above the limit of ${TOPIC_LIMITS.valuesPerTopic.toLocaleString('en-US')} per message`;
    ctx.error({ line, topic: id.name, message, fix: 'split the topic, or check the Counts of its items' });
  }
  if (ctx.errors.length > before) return reject(id.name); // a schema missing a field would be wrong: skip the topic
  const topic: SalTopic = {
    ...id,
    kind,
    metadata: topicMetadata(node),
    items,
    enumerations: scope.enumerations,
    generic: false,
    file: ctx.file,
    line,
  };
  const description = normalizeText(nonEmpty(node, 'Description'));
  const explanation = normalizeText(nonEmpty(node, 'Explanation'));
  const category = nonEmpty(node, 'Category');
  if (description !== undefined) topic.description = description;
  if (explanation !== undefined) topic.explanation = explanation;
  if (category !== undefined) topic.category = category;
  return topic;
}

/** Parses the set-level `<Enumeration>` elements (direct children of the set). */
function parseSetEnumerations(set: XmlNode, ctx: FileContext, span: Span): SalEnumeration[] {
  const out: SalEnumeration[] = [];
  for (const raw of listOf(set, 'Enumeration')) {
    const text = typeof raw === 'string' ? raw : (textOf({ e: raw }, 'e') ?? '');
    const parsed = parseEnumeration(text);
    if (parsed.ok) {
      out.push(parsed.enumeration);
      continue;
    }
    const at = ctx.locator.find(text, span) ?? span.start;
    const fix = 'write NAME or NAME=value entries separated by commas';
    ctx.error({ line: ctx.locator.lineAt(at), message: parsed.error, fix });
  }
  return out;
}

/** Parses one SALCommandSet / SALEventSet / SALTelemetrySet. */
function parseSet(set: XmlNode, kind: TopicKind, ctx: FileContext, span: Span): SalTopic[] {
  const scope: SetScope = { ctx, kind, span, enumerations: parseSetEnumerations(set, ctx, span) };
  return listOf(set, TOPIC_TAG[kind])
    .map((t, n) => parseTopic(asNode(t), n, scope))
    .filter((t): t is SalTopic => t !== undefined);
}

/** Parses the AddedGenerics text: comma-separated categories and topic names. */
export function splitAddedGenerics(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The `<SALSubsystem>` entries of SALSubsystems.xml. The 2019–2020 form (root `SALSubsystems`) names the
 * entries `<Subsystem>`, says `<Generics>yes|no</Generics>` for AddedGenerics and `<Enumeration>` for
 * IndexEnumeration.
 */
function parseSubsystems(root: XmlNode, ctx: FileContext, legacy: boolean): SalSubsystem[] {
  const out: SalSubsystem[] = [];
  const tag = legacy ? 'Subsystem' : 'SALSubsystem';
  listOf(root, tag).forEach((raw, i) => {
    const node = asNode(raw);
    const span = ctx.locator.element(tag, i, ctx.locator.all);
    const line = span ? ctx.locator.lineAt(span.start) : undefined;
    const name = textOf(node, 'Name');
    if (!name) return void ctx.error({ line, message: `${tag} #${i + 1} has no Name`, fix: 'add <Name>' });
    const added = splitAddedGenerics(textOf(node, legacy ? 'Generics' : 'AddedGenerics'));
    const sub: SalSubsystem = { name, addedGenerics: added, line };
    const description = nonEmpty(node, 'Description');
    const indexEnumeration = nonEmpty(node, legacy ? 'Enumeration' : 'IndexEnumeration');
    if (description !== undefined) sub.description = description;
    if (indexEnumeration !== undefined) sub.indexEnumeration = indexEnumeration;
    out.push(sub);
  });
  return out;
}

function rootName(doc: XmlNode): string | undefined {
  return Object.keys(doc).find((k) => !k.startsWith('?') && !k.startsWith('#'));
}

function isLegacy(doc: XmlNode, root: string): boolean {
  if (root === LEGACY_SUBSYSTEMS_ROOT) return true;
  const sets = root === 'SALObjects' ? Object.values(asNode(doc[root])) : [doc[root]];
  return sets.some((set) =>
    Object.values(TOPIC_TAG).some((tag) => listOf(asNode(set), tag).some((t) => LEGACY_TAGS.some((k) => asNode(t)[k] !== undefined))),
  );
}

/** Topics of a SALObjects root (SALGenerics.xml): each set child, in document order. */
function parseObjects(root: XmlNode, ctx: FileContext): SalTopic[] {
  const topics: SalTopic[] = [];
  for (const [setTag, kind] of Object.entries(SET_KIND)) {
    if (root[setTag] === undefined) continue;
    const span = ctx.locator.element(setTag, 0, ctx.locator.all) ?? ctx.locator.all;
    topics.push(...parseSet(asNode(root[setTag]), kind, ctx, span));
  }
  return topics;
}

function roleOf(root: string): TsXmlRole {
  if (root in SET_KIND) return 'topics';
  if (root === 'SALObjects') return 'generics';
  if (root === 'SALSubsystemSet' || root === LEGACY_SUBSYSTEMS_ROOT) return 'subsystems';
  return 'other';
}

/** Root elements of ts_xml files, for the error about any other root. */
export const TS_XML_ROOTS = [...Object.keys(SET_KIND), 'SALObjects', 'SALSubsystemSet', LEGACY_SUBSYSTEMS_ROOT];

/** Reads the document; undefined (with an error at the real line) when the XML is not well formed. */
function parseDocument(text: string, ctx: FileContext): XmlNode | undefined {
  const bad = wellFormedError(text);
  if (bad) return void ctx.error(bad);
  try {
    return asNode(parser.parse(text));
  } catch (err) {
    // the validator lets a few things through that the parser refuses (an unclosed <?xml ...?> declaration)
    const pi = [...text.matchAll(/<\?[\s\S]*?(?:\?>|$)/g)].find(
      (m) => !m[0].endsWith('?>') || /^[^"]*("[^"]*"[^"]*)*"[^"]*$|^[^']*('[^']*'[^']*)*'[^']*$/.test(m[0]),
    );
    const line = pi ? ctx.locator.lineAt(pi.index!) : 1;
    const message = `not well-formed XML: ${(err as Error).message}`;
    return void ctx.error({
      line,
      message,
      fix: pi ? 'correct the quotes of that <?...?> declaration and end it with ?>' : 'correct the markup',
    });
  }
}

/** A file that gave no topics (not read, not XML, or another root). */
function emptyFile(file: string): TsXmlFile {
  return { file, role: 'other', root: '', layout: 'current', topics: [], subsystems: [], rejected: [] };
}

/**
 * Parses the text of one ts_xml file (pure: no file access).
 * Topic files, SALGenerics.xml and SALSubsystems.xml (both forms) are recognised by their root element;
 * any other root is an error (role `other`) naming the roots expected.
 */
export function parseTsXml(text: string, file: string): TsXmlParse {
  const ctx = new FileContext(file, text);
  const empty = emptyFile(file);
  const doc = parseDocument(text, ctx);
  const root = doc && rootName(doc);
  if (doc && !root)
    ctx.error({ line: 1, message: 'the file holds no XML element', fix: 'restore its content from the ts_xml release it came from' });
  if (!doc || !root) return { file: empty, errors: ctx.errors };
  const node = asNode(doc[root]);
  const role = roleOf(root);
  const out: TsXmlFile = { ...empty, role, root, layout: isLegacy(doc, root) ? 'legacy' : 'current', rejected: ctx.rejected };
  if (role === 'topics') out.topics = parseSet(node, SET_KIND[root], ctx, ctx.locator.all);
  if (role === 'generics') out.topics = parseObjects(node, ctx);
  if (role === 'subsystems') out.subsystems = parseSubsystems(node, ctx, root === LEGACY_SUBSYSTEMS_ROOT);
  if (role === 'other') {
    const line = ctx.locator.lineOfChild(root, ctx.locator.all);
    const message = `root element <${root}> is not a ts_xml root (expected one of ${TS_XML_ROOTS.join(', ')})`;
    ctx.error({ line, message, fix: 'move the file out of the ts_xml folder, or correct its root element' });
  }
  return { file: out, errors: ctx.errors };
}

/** The `*.xml` files under a folder (recursively, sorted) and the names of every folder met on the way. */
export function discoverTsXml(dir: string): { files: string[]; folders: string[] } {
  const files: string[] = [];
  const folders: string[] = [];
  const walk = (d: string) => {
    const entries = readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const path = join(d, e.name);
      if (e.isDirectory()) {
        folders.push(e.name);
        walk(path);
      } else if (e.isFile() && e.name.toLowerCase().endsWith('.xml')) files.push(path);
    }
  };
  walk(dir);
  return { files, folders };
}

/** All `*.xml` files under a folder, recursively, in a stable (sorted) order. */
export function discoverXmlFiles(dir: string): string[] {
  return discoverTsXml(dir).files;
}

// ---------------------------------------------------------------------------------------------
// Generic topics

/** Category every subsystem gets, whatever AddedGenerics says (current layout). */
export const MANDATORY_GENERICS = 'mandatory';
/** Entitlement assumed when a folder has SALGenerics.xml but no SALSubsystems.xml (current layout). */
export const DEFAULT_ADDED_GENERICS = ['csc', 'configurable'];
/** The same for a 2019–2020 SALGenerics.xml, whose topics have no Category: SAL then added them all. */
export const LEGACY_DEFAULT_ADDED_GENERICS = ['yes'];
const GENERIC_SUBSYSTEM = 'SALGeneric';

/** Name of a generic topic without its `SALGeneric_` prefix, e.g. `command_start`. */
export function genericBriefName(topic: SalTopic): string {
  return topic.name.slice(topic.subsystem.length + 1);
}

type Entitlement = { generics: SalTopic[]; unknown: string[] };

/**
 * Generic topics a subsystem is entitled to, in SALGenerics.xml order.
 * `added` lists categories (csc, configurable, ...) and/or topic names (command_enterControl);
 * the mandatory category is always included. The old `yes` / `no` forms mean all / none.
 */
export function entitledGenerics(added: string[], generics: SalTopic[]): Entitlement {
  if (added.length === 1 && /^yes$/i.test(added[0])) return { generics: [...generics], unknown: [] };
  if (added.length === 1 && /^no$/i.test(added[0])) return { generics: [], unknown: [] };
  const wanted = new Set([MANDATORY_GENERICS, ...added]);
  const known = new Set(generics.flatMap((g) => [genericBriefName(g), g.category ?? '']));
  known.add(MANDATORY_GENERICS);
  return {
    generics: generics.filter((g) => wanted.has(genericBriefName(g)) || wanted.has(g.category ?? '\0')),
    unknown: added.filter((a) => !known.has(a)),
  };
}

/** A generic topic re-homed in a subsystem: `SALGeneric_command_start` → `ATDome_command_start`. */
export function specializeGeneric(generic: SalTopic, subsystem: string): SalTopic {
  return { ...generic, subsystem, name: `${subsystem}_${genericBriefName(generic)}`, generic: true };
}

/** A topic found in the XML (or a generic a subsystem is entitled to) that gets no schema, and why. */
export interface SkippedTopic {
  subsystem: string;
  /** EFDB_Topic (for generics: as merged, `<Subsystem>_command_start`), when known. */
  topic?: string;
  file: string;
  line?: number;
  reason: string;
}

interface MergeInput {
  topics: SalTopic[];
  generics: SalTopic[];
  subsystems?: SalSubsystem[];
  subsystemsFile?: string;
  /** Names of the folders of the checkout: a listed subsystem with a folder but no topic file gets its generics. */
  folders?: string[];
}

/** What merging generics gave: the topics, the problems, the generics left out and how many each subsystem is entitled to. */
export interface MergeResult {
  topics: SalTopic[];
  errors: SalSchemaError[];
  skipped: SkippedTopic[];
  /** Generic topics each subsystem is entitled to (merged or not). */
  entitled: Map<string, number>;
}

function subsystemEntitlement(name: string, input: MergeInput, errors: SalSchemaError[]): SalTopic[] {
  const legacyGenerics = input.generics.every((g) => g.category === undefined);
  if (!input.subsystems) {
    return entitledGenerics(legacyGenerics ? LEGACY_DEFAULT_ADDED_GENERICS : DEFAULT_ADDED_GENERICS, input.generics).generics;
  }
  const file = input.subsystemsFile ?? 'SALSubsystems.xml';
  const entry = input.subsystems.find((s) => s.name === name);
  if (!entry) {
    const fix = `add a <SALSubsystem> with <Name>${name}</Name> and <AddedGenerics>`;
    errors.push({ file, message: `subsystem ${name} is not listed, so it gets no generic topics`, fix });
    return [];
  }
  const { generics, unknown } = entitledGenerics(entry.addedGenerics, input.generics);
  for (const u of unknown) {
    const message = `${name}: AddedGenerics names "${u}", which is neither a category nor a generic topic`;
    const fix = 'use categories of SALGenerics.xml (csc, configurable) or topic names like command_enterControl';
    errors.push({ file, line: entry.line, message, fix });
  }
  return generics;
}

/** Subsystems that get generics: those with topics, and the listed ones that have a folder (only generics, e.g. a README). */
function mergedSubsystems(input: MergeInput): string[] {
  const names = new Set(input.topics.map((t) => t.subsystem));
  const listed = new Set((input.subsystems ?? []).map((s) => s.name));
  for (const f of input.folders ?? []) if (listed.has(f)) names.add(f);
  return [...names];
}

/**
 * Merges generic topics (from SALGenerics.xml) into each subsystem, as the release defines them:
 * - current layout: the mandatory ones plus the AddedGenerics of SALSubsystems.xml;
 * - 2019–2020 layout: all of them where `<Generics>yes</Generics>`, none where `no`.
 * A subsystem gets them when it has topics, or a folder of its own and an entry in SALSubsystems.xml
 * (subsystems that have only generic topics). Without SALGenerics.xml the topics are returned unchanged.
 * A subsystem topic that is also a generic one it gets: in the current layout an error (the subsystem's
 * definition is kept); in the 2019–2020 layout, where subsystem files still listed some generics, the
 * subsystem's definition is kept and the generic is reported as skipped.
 */
export function mergeGenerics(input: MergeInput): MergeResult {
  const result: MergeResult = { topics: [...input.topics], errors: [], skipped: [], entitled: new Map() };
  if (input.generics.length === 0) return result;
  const legacy = input.generics.every((g) => g.category === undefined);
  for (const name of mergedSubsystems(input)) {
    const own = new Map(input.topics.filter((t) => t.subsystem === name).map((t) => [t.name, t]));
    const generics = subsystemEntitlement(name, input, result.errors);
    result.entitled.set(name, generics.length);
    for (const g of generics) {
      const topic = specializeGeneric(g, name);
      const clash = own.get(topic.name);
      if (!clash) {
        result.topics.push(topic);
        continue;
      }
      const where = `${clash.file}${clash.line ? `:${clash.line}` : ''}`;
      const skip = { subsystem: name, topic: topic.name, file: g.file, line: g.line };
      if (legacy) {
        result.skipped.push({ ...skip, reason: `generic topic defined by the subsystem itself (${where}); that definition is used` });
        continue;
      }
      const message = `${topic.name} is also a generic topic this subsystem gets from SALGenerics.xml`;
      const fix = 'remove it from this file, or drop the generic from AddedGenerics in SALSubsystems.xml';
      result.errors.push({ file: clash.file, line: clash.line, topic: topic.name, message, fix });
      result.skipped.push({ ...skip, reason: `${message}; the subsystem's definition (${where}) is used` });
    }
  }
  return result;
}

/** Reports topics defined more than once (e.g. two layouts under one folder); keeps the first. */
function dropDuplicateTopics(topics: SalTopic[], errors: SalSchemaError[], skipped: SkippedTopic[]): SalTopic[] {
  const first = new Map<string, SalTopic>();
  for (const t of topics) {
    const prev = first.get(t.name);
    if (!prev) first.set(t.name, t);
    else {
      const message = `topic defined again (first in ${prev.file}${prev.line ? `:${prev.line}` : ''})`;
      errors.push({ file: t.file, line: t.line, topic: t.name, message, fix: 'keep one definition per topic' });
      skipped.push({
        subsystem: t.subsystem,
        topic: t.name,
        file: t.file,
        line: t.line,
        reason: `${message}; the first definition is used`,
      });
    }
  }
  return [...first.values()];
}

/** Everything read from a ts_xml folder. */
export interface TsXmlFolder {
  /** All XML files found, parsed (files that could not be read are missing). */
  files: TsXmlFile[];
  /** Topics to publish: subsystem topics plus generics merged per subsystem. */
  topics: SalTopic[];
  errors: SalSchemaError[];
  /** Topics found that get no topic model, with the reason (rejected elements, clashes, duplicates). */
  skipped: SkippedTopic[];
  /** Per subsystem: topic elements found in its files plus the generic topics it is entitled to. */
  found: Map<string, number>;
}

function readOne(path: string): TsXmlParse {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    return {
      file: emptyFile(path),
      errors: [{ file: path, message: `cannot read: ${(err as Error).message}`, fix: 'check the path and its permissions' }],
    };
  }
  const text = decodeUtf8(bytes, path);
  if (typeof text !== 'string') return { file: emptyFile(path), errors: [text] };
  return parseTsXml(text, path);
}

/** Skipped entries of the topic elements a file left out, one per element, with its first error as reason. */
function rejectedAsSkipped(files: TsXmlFile[]): SkippedTopic[] {
  return files.flatMap((f) =>
    f.rejected.map((r) => ({
      subsystem: r.subsystem,
      ...(r.name ? { topic: r.name } : {}),
      file: r.file,
      line: r.line,
      reason: r.reasons.map((e) => `${e.field ? `${e.field}: ` : ''}${e.message}`).join('; ') || 'rejected',
    })),
  );
}

/** Topic elements per subsystem (kept and rejected) of the subsystems' own files. */
function countFound(files: TsXmlFile[], entitled: Map<string, number>): Map<string, number> {
  const found = new Map(entitled);
  const add = (s: string) => found.set(s, (found.get(s) ?? 0) + 1);
  for (const f of files.filter((x) => x.role === 'topics')) {
    for (const t of f.topics) if (t.subsystem !== GENERIC_SUBSYSTEM) add(t.subsystem);
    for (const r of f.rejected) if (r.subsystem !== GENERIC_SUBSYSTEM) add(r.subsystem);
  }
  return found;
}

/** Combines parsed files into the published topic list (generics merged, duplicates reported). */
export function assembleTopics(parsed: TsXmlFile[], folders: string[] = []): Omit<TsXmlFolder, 'files'> {
  const subsystemFile = parsed.find((f) => f.role === 'subsystems');
  const generics = parsed.filter((f) => f.role === 'generics').flatMap((f) => f.topics);
  const own = parsed.filter((f) => f.role === 'topics').flatMap((f) => f.topics);
  const merged = mergeGenerics({
    topics: own.filter((t) => t.subsystem !== GENERIC_SUBSYSTEM),
    generics,
    subsystems: subsystemFile?.subsystems,
    subsystemsFile: subsystemFile?.file,
    folders,
  });
  const errors = [...merged.errors];
  const skipped = [...rejectedAsSkipped(parsed), ...merged.skipped];
  const topics = dropDuplicateTopics(merged.topics, errors, skipped);
  return { topics, errors, skipped, found: countFound(parsed, merged.entitled) };
}

/** Reads every ts_xml file under `dir` (recursively) and builds the topic model. */
export function loadTsXmlFolder(dir: string): TsXmlFolder {
  const { files: paths, folders } = discoverTsXml(dir);
  const results = paths.map(readOne);
  const files = results.map((r) => r.file);
  const assembled = assembleTopics(files, folders);
  return { files, ...assembled, errors: [...results.flatMap((r) => r.errors), ...assembled.errors] };
}
