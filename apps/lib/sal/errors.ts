/**
 * Errors found while reading ts_xml or mapping it to Avro. They are collected,
 * never thrown, so that one bad file does not stop the others.
 */

/** One problem in a ts_xml file, located as precisely as the parser allows. */
export interface SalSchemaError {
  /** Path of the XML file. */
  file: string;
  /** 1-based line, when it could be found in the raw text. */
  line?: number;
  /** EFDB_Topic of the topic concerned, if known. */
  topic?: string;
  /** EFDB_Name of the item (field) concerned, if any. */
  field?: string;
  /** What is wrong. */
  message: string;
  /** What to change in the XML to fix it. */
  fix?: string;
}

/** Renders an error as `file:line: topic.field: message (fix: ...)`. */
export function formatSalSchemaError(e: SalSchemaError): string {
  const where = e.line === undefined ? e.file : `${e.file}:${e.line}`;
  const what = [e.topic, e.field].filter(Boolean).join('.');
  const fix = e.fix ? ` (fix: ${e.fix})` : '';
  return `${where}: ${what ? `${what}: ` : ''}${e.message}${fix}`;
}
