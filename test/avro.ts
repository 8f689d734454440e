/** Avro schemas for tests, without spelling out every field as `{ name, type }`. */

/**
 * An Avro record schema whose fields are `fields`' entries in order (field name → Avro type), keys in
 * the order the tests' literals had them: `avroRecord('T', { a: 'long', b: arrayOf('float') }, 'lsst.sal')`.
 */
export function avroRecord(name: string, fields: Record<string, unknown>, namespace?: string) {
  return {
    type: 'record',
    name,
    ...(namespace === undefined ? {} : { namespace }),
    fields: Object.entries(fields).map(([field, type]) => ({ name: field, type })),
  };
}

/** The Avro array type of `items`. */
export const arrayOf = (items: unknown) => ({ type: 'array', items });
