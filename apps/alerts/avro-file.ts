/**
 * Avro object container files of alerts (`efd alerts produce --from-avro`): read with the file's own (writer)
 * schema, every long exact; written (tests, tools) in one go.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createFileDecoder, Schema, streams, Type } from 'avsc';
import { AVRO_TYPE_OPTIONS } from '../lib/avro-type';
import { BadInputError } from '../lib/exit-codes';

/** The records of an Avro object container file, decoded with the file's writer schema; bad files name themselves. */
export function readAvroFile(file: string): Promise<unknown[]> {
  if (!existsSync(file)) return Promise.reject(new BadInputError(`--from-avro ${file}: no such file`));
  if (statSync(file).isDirectory()) return Promise.reject(new BadInputError(`--from-avro ${file}: a directory, not an Avro file`));
  return new Promise((resolve, reject) => {
    const out: unknown[] = [];
    createFileDecoder(file, { parseHook: (s: Schema) => Type.forSchema(s, { ...AVRO_TYPE_OPTIONS }) })
      .on('data', (v: unknown) => out.push(v))
      .on('end', () => resolve(out))
      .on('error', (err: Error) =>
        reject(
          new BadInputError(
            `--from-avro ${file}: not an Avro object container file of alerts (${err.message}); write one with avsc or fastavro`,
            {
              cause: err,
            },
          ),
        ),
      );
  });
}

/** Writes `records` as an Avro object container file of `type` (null codec); resolves once the file is written. */
export function writeAvroFile(file: string, type: Type, records: readonly unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const enc = new streams.BlockEncoder(type);
    enc.on('data', (c: Buffer) => chunks.push(c));
    enc.on('error', reject);
    enc.on('end', () => {
      try {
        writeFileSync(file, Buffer.concat(chunks));
        resolve();
      } catch (err) {
        reject(err as Error);
      }
    });
    for (const r of records) enc.write(r);
    enc.end();
  });
}
