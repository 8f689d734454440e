/**
 * Test helper shared by the unit and conformance suites: the one-pass SAL text → Avro encoder against
 * parse + avsc (the slow path), on every topic of a ts_xml folder and on randomly edited lines.
 */
import type { Type } from 'avsc';
import { avroType } from '../lib/avro-type';
import { wireEncoder } from '../lib/registry';
import { convertTopics } from '../lib/sal/convert';
import { loadTopicMetadata } from '../lib/sal/metadata';
import { loadTsXmlFolder } from '../lib/sal/ts-xml';
import { recordGenerator } from '../lib/sal/values';
import { compileSalTextEncoder, SalTextEncoder } from './fast-encode';
import { formatSalText, layoutFromAvro, makeLayout, parseSalText, SalTextError } from '../lib/sal/sal-text';

/** parse + avsc: the bytes, or the SalTextError. */
export function slow(line: string, layout: ReturnType<typeof makeLayout>, type: Type, id: number, ts: number): Buffer | SalTextError {
  try {
    return wireEncoder(id, type)(parseSalText(line, layout, ts));
  } catch (err) {
    return err as SalTextError;
  }
}

/** The one-pass encoder: the bytes, or the SalTextError. */
export function fast(enc: (l: string | Buffer, t: number) => Buffer, line: string | Buffer, ts: number): Buffer | SalTextError {
  try {
    return enc(line, ts);
  } catch (err) {
    return err as SalTextError;
  }
}

/** Every topic of the ts_xml folder `dir`: the same bytes as parse + avsc, with the fallback and from each fast path alone. */
export function expectSameBytesOnEveryTopic(dir: string): void {
  const { topics } = loadTopicMetadata(dir);
  const { schemas } = convertTopics(loadTsXmlFolder(dir).topics);
  const diffs: string[] = [];
  for (const meta of topics) {
    const schema = schemas.get(meta.topic) as never;
    const type = avroType(schema);
    const layout = layoutFromAvro(schema);
    const enc = compileSalTextEncoder(layout, schema, 7, type);
    if (!enc) throw new Error(`${meta.topic}: no fast encoder`);
    for (let seq = 0; seq < 3; seq++) {
      const line = formatSalText(layout, recordGenerator(meta, 3)(seq, 1_700_000_000_123));
      const want = slow(line, layout, type, 7, 5) as Buffer;
      if (!(fast(enc, line, 5) as Buffer).equals(want)) diffs.push(meta.topic);
      // from the record's bytes, without falling back
      const direct = enc.fastOnly(Buffer.from(line), 5);
      if (!direct?.equals(want)) diffs.push(`${meta.topic} (fast path alone)`);
      const jsOnly = compileSalTextEncoder(layout, schema, 7, type, { wasm: false })?.fastOnly(Buffer.from(line), 5);
      if (!jsOnly?.equals(want)) diffs.push(`${meta.topic} (JavaScript path alone)`);
    }
  }
  expect(diffs).toEqual([]);
}

/**
 * 4,000 random edits (one to three each: delete, insert, duplicate a byte, cut the line short) of lines
 * of topics of `dir`: the WebAssembly and the JavaScript paths give parse + avsc's bytes or its SalTextError.
 */
export function expectSameOutcomeOnEditedLines(dir: string): void {
  const { topics } = loadTopicMetadata(dir);
  const { schemas } = convertTopics(loadTsXmlFolder(dir).topics);
  // topics with every kind of value: double/float/int/long arrays, strings, booleans, bytes
  const sample = topics.filter((t, i) => i % 9 === 0 || /^Test_(arrays|scalars)$/.test(t.topic));
  const INSERTS = [',', ' ', '.', 'e', 'E', '-', '+', '0', '5', '9', ')', '(', "'", 'x', '\t', 'n', 'i'];
  let seed = 17;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const outcomes = { same: 0, errors: 0 };
  const diffs: string[] = [];
  for (let n = 0; n < 4000; n++) {
    const meta = sample[rnd(sample.length)];
    const schema = schemas.get(meta.topic) as never;
    const type = avroType(schema);
    const layout = layoutFromAvro(schema);
    const text = formatSalText(layout, recordGenerator(meta, 1)(n, 1_700_000_000_000));
    // one to three edits inside the value list: delete, insert, duplicate a byte, or cut the line short
    let line = text;
    for (let e = 0, edits = 1 + rnd(3); e < edits; e++) {
      const at = line.indexOf(':(') + 2 + rnd(Math.max(1, line.length - line.indexOf(':(') - 2));
      const op = rnd(4);
      if (op === 0) line = line.slice(0, at) + line.slice(at + 1);
      else if (op === 1) line = line.slice(0, at) + INSERTS[rnd(INSERTS.length)] + line.slice(at);
      else if (op === 2) line = line.slice(0, at) + line[at] + line.slice(at);
      else if (rnd(8) === 0) line = line.slice(0, at);
    }
    const want = slow(line, layout, type, 3, 9);
    for (const wasm of [true, false]) {
      const enc = compileSalTextEncoder(layout, schema, 3, type, { wasm }) as SalTextEncoder;
      const got = fast(enc, line, 9);
      const same =
        want instanceof Buffer
          ? got instanceof Buffer && got.equals(want)
          : got instanceof SalTextError && got.message === (want as SalTextError).message;
      if (!same) diffs.push(`${wasm ? 'wasm' : 'js'} ${meta.topic}: ${line.slice(0, 200)}`);
    }
    if (want instanceof Buffer) outcomes.same++;
    else outcomes.errors++;
  }
  expect(diffs.slice(0, 5)).toEqual([]);
  // both outcomes are exercised: many edits still parse (an extra space, a digit), most do not
  expect(outcomes.same).toBeGreaterThan(400);
  expect(outcomes.errors).toBeGreaterThan(1000);
}
