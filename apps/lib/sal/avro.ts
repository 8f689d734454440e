/**
 * SAL topic model → Avro record schema (pure).
 *
 * Mapping (SQR-029 "Systematic conversion of SAL Avro schemas"):
 * - record `name` = EFDB_Topic, `namespace` = `lsst.sal`, topic description → `doc`;
 * - custom schema keys: `sal_topic_type` (SALCommand|SALEvent|SALTelemetry), `sal_subsystem`,
 *   and for the legacy layout `sal_version`, `sal_author`, `sal_alias`, `sal_device`,
 *   `sal_property`, `sal_action`, `sal_value`;
 * - each item → a field: EFDB_Name → `name`, Description → `doc`, Units → `sal_units`,
 *   position → `sal_index`, IDL_Type → `type` via {@link IDL_TO_AVRO}; Count > 1 → Avro array;
 * - the EFD fields ({@link EFD_FIELDS}) come first in every record.
 * Enumerations stay numeric fields; their names and values are kept as data
 * (`sal_enumeration` on the field, `sal_enumerations` on the record) and in `doc`.
 */
import { SalEnumeration } from './enumeration';
import { IdlType, SalItem, SalTopic, TopicKind } from './ts-xml';

/** Avro primitive type names. */
export type AvroPrimitive = 'null' | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'bytes' | 'string';

/** Type of a field: a primitive, an array of primitives, or a primitive with a logical type. */
export type AvroFieldType = AvroPrimitive | { type: 'array'; items: AvroPrimitive } | { type: 'long'; logicalType: 'timestamp-millis' };

/** One Avro record field, with optional `sal_*` custom attributes. */
export interface AvroField {
  name: string;
  type: AvroFieldType;
  doc?: string;
  [custom: `sal_${string}`]: unknown;
}

/** An Avro record schema for one SAL topic. */
export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace: string;
  doc?: string;
  fields: AvroField[];
  [custom: `sal_${string}`]: unknown;
}

/** Namespace of every SAL schema (subjects and output topics are `lsst.sal.<topic>`). */
export const SAL_NAMESPACE = 'lsst.sal';

/**
 * IDL (DDS) type → Avro type, per SQR-029 table 3 plus float/double; `unsigned int` is `long` (SQR-029 says
 * `int`, which refused every value ≥ 2^31).
 */
export const IDL_TO_AVRO: Readonly<Record<IdlType, AvroPrimitive>> = {
  null: 'null',
  boolean: 'boolean',
  string: 'string',
  short: 'int',
  'unsigned short': 'int',
  int: 'int',
  'unsigned int': 'long', // up to 2^32 − 1: Avro int (signed 32-bit) holds only half of it
  long: 'long',
  'unsigned long': 'long',
  'long long': 'long',
  'unsigned long long': 'long',
  float: 'float',
  double: 'double',
  byte: 'bytes',
  char: 'bytes',
  octet: 'bytes',
  bytes: 'bytes',
};

/** `sal_topic_type` of each topic kind. */
export const SAL_TOPIC_TYPE: Record<TopicKind, 'SALCommand' | 'SALEvent' | 'SALTelemetry'> = {
  command: 'SALCommand',
  event: 'SALEvent',
  telemetry: 'SALTelemetry',
};

const TIMESTAMP = { type: 'long', logicalType: 'timestamp-millis' } as const;

/**
 * Fields added to every SAL schema (SQR-029 "Additional fields in Avro schemas"):
 * the Kafka-side processing time, then the five values SAL emits with each message.
 */
export const EFD_FIELDS: readonly AvroField[] = [
  {
    name: 'kafka_timestamp',
    type: TIMESTAMP,
    doc: 'Timestamp when the Kafka message was created (processed by a DM application such as saltransform).',
  },
  { name: 'sal_revcode', type: 'string', doc: 'Revision of the SAL code.' },
  { name: 'sal_created', type: TIMESTAMP, doc: 'Timestamp when SAL created the original Kafka message.' },
  { name: 'sal_ingested', type: TIMESTAMP, doc: 'Timestamp when SAL ingested the message from the DDS bus.' },
  { name: 'sal_origin', type: 'int', doc: 'SAL origin.' },
  { name: 'sal_host', type: 'int', doc: 'SAL host.' },
];

/** Names taken by {@link EFD_FIELDS}; a ts_xml item may not use them. */
export const EFD_FIELD_NAMES: ReadonlySet<string> = new Set(EFD_FIELDS.map((f) => f.name));

/** Avro type of a ts_xml item: a primitive, or an array of it. */
export type AvroItemType = AvroPrimitive | { type: 'array'; items: AvroPrimitive };

/** Avro type of an item: its primitive, or an array of it when Count > 1. */
export function avroTypeOf(item: Pick<SalItem, 'idlType' | 'count'>): AvroItemType {
  const primitive = IDL_TO_AVRO[item.idlType];
  return item.count > 1 ? { type: 'array', items: primitive } : primitive;
}

/** `Name=1, Other=2` rendering of an enumeration, for docs. */
export function describeEnumeration(e: SalEnumeration): string {
  const list = e.symbols.map((s) => `${s.name}=${s.value}`).join(', ');
  return e.name ? `${e.name}: ${list}` : list;
}

/** Enumeration as stored in a schema: `{name?, symbols: [{name, value}]}`. */
function enumerationData(e: SalEnumeration): Record<string, unknown> {
  const symbols = e.symbols.map((s) => ({ name: s.name, value: s.value }));
  return e.name ? { name: e.name, symbols } : { symbols };
}

/** Set-level enumeration whose name the item's description mentions (e.g. "An AzimuthState enumeration."). */
export function referencedEnumeration(item: SalItem, setEnums: SalEnumeration[]): string | undefined {
  if (!item.description || item.enumeration) return undefined;
  const words = new Set(item.description.split(/[^A-Za-z0-9_]+/));
  const hits = setEnums.filter((e) => e.name && words.has(e.name));
  return hits.length === 1 ? hits[0].name : undefined;
}

function fieldDoc(item: SalItem): string | undefined {
  const parts = [item.description];
  if (item.units) parts.push(`Units: ${item.units}.`);
  if (item.enumeration) parts.push(`Enumeration ${describeEnumeration(item.enumeration)}.`);
  const doc = parts.filter(Boolean).join(' ');
  return doc || undefined;
}

/** Converts one item to an Avro field (with `sal_*` metadata). */
export function itemToAvroField(item: SalItem, setEnums: SalEnumeration[] = []): AvroField {
  const field: AvroField = { name: item.name, type: avroTypeOf(item) };
  const doc = fieldDoc(item);
  if (doc) field.doc = doc;
  field.sal_index = item.index;
  field.sal_idl_type = item.idlType;
  if (item.count > 1) field.sal_count = item.count;
  if (item.units) field.sal_units = item.units;
  if (item.idlSize !== undefined) field.sal_idl_size = item.idlSize;
  if (item.enumeration) field.sal_enumeration = enumerationData(item.enumeration);
  const ref = referencedEnumeration(item, setEnums);
  if (ref) field.sal_enumeration_ref = ref;
  for (const [tag, value] of Object.entries(item.metadata)) field[`sal_${tag.toLowerCase()}`] = value;
  return field;
}

/** Record doc: Description, else Explanation (legacy layout). */
function topicDoc(topic: SalTopic): string | undefined {
  return topic.description ?? topic.explanation;
}

function addTopicMetadata(schema: AvroRecordSchema, topic: SalTopic): void {
  schema.sal_topic_type = SAL_TOPIC_TYPE[topic.kind];
  schema.sal_subsystem = topic.subsystem;
  for (const [tag, value] of Object.entries(topic.metadata)) schema[`sal_${tag.toLowerCase()}`] = value;
  if (topic.description && topic.explanation) schema.sal_explanation = topic.explanation;
  if (topic.category) schema.sal_category = topic.category;
  if (topic.generic) schema.sal_generic = true;
  if (topic.enumerations.length > 0) schema.sal_enumerations = topic.enumerations.map(enumerationData);
}

/** Converts a topic to its Avro record schema. Check {@link avroProblems} first. */
export function topicToAvroSchema(topic: SalTopic): AvroRecordSchema {
  const schema: AvroRecordSchema = { type: 'record', name: topic.name, namespace: SAL_NAMESPACE, fields: [] };
  const doc = topicDoc(topic);
  if (doc) schema.doc = doc;
  addTopicMetadata(schema, topic);
  const items = topic.items.map((i) => itemToAvroField(i, topic.enumerations));
  schema.fields = [...EFD_FIELDS.map((f) => ({ ...f })), ...items];
  return schema;
}

/** A reason a topic cannot be mapped as is. */
export interface AvroProblem {
  field?: string;
  line?: number;
  message: string;
  fix: string;
}

/** Problems that would make the schema invalid or ambiguous (item names clashing with EFD fields). */
export function avroProblems(topic: SalTopic): AvroProblem[] {
  return topic.items
    .filter((i) => EFD_FIELD_NAMES.has(i.name))
    .map((i) => ({
      field: i.name,
      line: i.line,
      message: `field name ${i.name} is reserved for the EFD field of the same name`,
      fix: 'rename the item',
    }));
}

const AVRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PRIMITIVES: ReadonlySet<string> = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);

function typeProblem(t: unknown): string | undefined {
  if (typeof t === 'string') return PRIMITIVES.has(t) ? undefined : `unknown type ${JSON.stringify(t)}`;
  if (typeof t !== 'object' || t === null || Array.isArray(t)) return `invalid type ${JSON.stringify(t)}`;
  const o = t as { type?: unknown; items?: unknown; logicalType?: unknown };
  if (o.type === 'array')
    return typeof o.items === 'string' && PRIMITIVES.has(o.items) ? undefined : `invalid array items ${JSON.stringify(o.items)}`;
  if ((o.type === 'long' || o.type === 'int') && typeof o.logicalType === 'string') return undefined;
  return `invalid type ${JSON.stringify(t)}`;
}

/**
 * Why a schema made by {@link topicToAvroSchema} would not be valid Avro, checked structurally (names,
 * field names unique, field types of the shapes the mapping makes); undefined when it is valid. The same
 * verdict as avsc's `Type.forSchema` on these shapes (avro.test.ts holds them equal), without compiling
 * an encoder per schema: salschema convert writes schemas, the apps compile them when they use them.
 */
export function avroSchemaProblem(schema: AvroRecordSchema): string | undefined {
  if (schema.type !== 'record') return `not a record: ${JSON.stringify(schema.type)}`;
  if (typeof schema.name !== 'string' || !AVRO_NAME.test(schema.name)) return `invalid record name ${JSON.stringify(schema.name)}`;
  if (
    schema.namespace !== undefined &&
    (typeof schema.namespace !== 'string' || !schema.namespace.split('.').every((p) => AVRO_NAME.test(p)))
  )
    return `invalid namespace ${JSON.stringify(schema.namespace)}`;
  if (!Array.isArray(schema.fields)) return 'fields is not an array';
  const seen = new Set<string>();
  for (const f of schema.fields) {
    if (typeof f.name !== 'string' || !AVRO_NAME.test(f.name)) return `invalid field name ${JSON.stringify(f.name)}`;
    if (seen.has(f.name)) return `duplicate field name ${f.name}`;
    seen.add(f.name);
    const problem = typeProblem(f.type);
    if (problem) return `field ${f.name}: ${problem}`;
  }
  return undefined;
}

/** Fully-qualified schema name, also the Kafka topic name: `lsst.sal.<topic>`. */
export function fullSchemaName(topic: Pick<SalTopic, 'name'>): string {
  return `${SAL_NAMESPACE}.${topic.name}`;
}
