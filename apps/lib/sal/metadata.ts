/**
 * Per-topic metadata for apps that produce or parse SAL messages (salmock, saltransform):
 * what each field is, in ts_xml order, with its Avro type and array length.
 */
import { AvroFieldType, AvroPrimitive, EFD_FIELDS, IDL_TO_AVRO, fullSchemaName, SAL_TOPIC_TYPE } from './avro';
import { SalEnumSymbol } from './enumeration';
import { SalSchemaError } from './errors';
import { IdlType, loadTsXmlFolder, SalTopic, TopicKind } from './ts-xml';

/** One ts_xml field of a topic. */
export interface FieldMeta {
  name: string;
  /** 0-based position in the ts_xml topic (the order of values in a SAL text message). */
  index: number;
  idlType: IdlType;
  /** Avro type of one value (the array item type when `count` > 1). */
  avroType: AvroPrimitive;
  /** Number of values; > 1 means the field is an Avro array of exactly this length. */
  count: number;
  array: boolean;
  units?: string;
  /** Allowed named values, when the item has its own enumeration. */
  enumeration?: SalEnumSymbol[];
}

/** Metadata of one topic. */
export interface TopicMeta {
  subsystem: string;
  kind: TopicKind;
  /** `sal_topic_type` of the schema. */
  topicType: 'SALCommand' | 'SALEvent' | 'SALTelemetry';
  /** EFDB_Topic, e.g. `ATDome_command_moveAzimuth`. */
  topic: string;
  /** Topic name without the subsystem prefix, e.g. `command_moveAzimuth`, `position`. */
  shortName: string;
  /** `lsst.sal.<topic>`: schema full name and Avro output topic. */
  schemaName: string;
  /** Merged in from SALGenerics.xml. */
  generic: boolean;
  /** ts_xml fields in order. */
  fields: FieldMeta[];
  /** EFD fields every record carries before the ts_xml fields. */
  efdFields: { name: string; type: AvroFieldType }[];
}

function fieldMeta(topic: SalTopic): FieldMeta[] {
  return topic.items.map((item) => {
    const f: FieldMeta = {
      name: item.name,
      index: item.index,
      idlType: item.idlType,
      avroType: IDL_TO_AVRO[item.idlType],
      count: item.count,
      array: item.count > 1,
    };
    if (item.units) f.units = item.units;
    if (item.enumeration) f.enumeration = item.enumeration.symbols.map((s) => ({ ...s }));
    return f;
  });
}

/** Metadata of one topic of the model. */
export function topicMetadata(topic: SalTopic): TopicMeta {
  return {
    subsystem: topic.subsystem,
    kind: topic.kind,
    topicType: SAL_TOPIC_TYPE[topic.kind],
    topic: topic.name,
    shortName: topic.name.slice(topic.subsystem.length + 1),
    schemaName: fullSchemaName(topic),
    generic: topic.generic,
    fields: fieldMeta(topic),
    efdFields: EFD_FIELDS.map((f) => ({ name: f.name, type: f.type })),
  };
}

/** Metadata of every topic found under a ts_xml folder (generics merged), sorted by topic name. */
export function loadTopicMetadata(xmlDir: string): { topics: TopicMeta[]; errors: SalSchemaError[] } {
  const { topics, errors } = loadTsXmlFolder(xmlDir);
  const metas = topics.map(topicMetadata).sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  return { topics: metas, errors };
}
