/**
 * Fuzz: the SAL text parser and the one-pass encoder on random edits of salmock lines for every in-repo
 * fixture topic (cuts, deletions, inserted characters that mean something in the format, duplicated
 * values, bytes that are not UTF-8). Bounded: a fixed count of edits from a fixed seed, each timed (the fastest of up to three runs when one is slow).
 * Whatever the edit: no crash other than a SalTextError with a reason class and a message, no hang, a
 * line that is accepted gives a record valid for the topic's schema, and both encoder paths agree
 * (the same bytes, or both refuse).
 */
import { avroType } from '../lib/avro-type';
import { wireEncoder } from '../lib/registry';
import { mulberry32 } from '../lib/prng';
import { convertTopics } from '../lib/sal/convert';
import { loadTopicMetadata } from '../lib/sal/metadata';
import { CURRENT_DIR, LEGACY_DIR } from '../lib/sal/test-fixtures';
import { loadTsXmlFolder } from '../lib/sal/ts-xml';
import { recordGenerator } from '../lib/sal/values';
import { compileSalTextEncoder } from './fast-encode';
import { formatSalText, layoutFromAvro, parseSalText, SalTextError } from '../lib/sal/sal-text';
import { fastestMs } from '../../test/hang';
import { cutAt, deleteAt, insertAt, pick, type Rng } from '../../test/fuzz-edit';

const EDITS_PER_TOPIC = 25;
const SLOW_MS = 500;
const CODES = new Set(['syntax', 'field-count', 'bad-value', 'unknown-topic', 'schema']);
const INSERTS = [
  ',',
  "'",
  "''",
  '(',
  ')',
  ':(',
  ' ',
  '-',
  '.',
  'e',
  'e999',
  '1e309',
  'nan',
  'inf',
  '-inf',
  'null',
  'true',
  '0x1',
  '9007199254740993',
  '\\',
  '\n',
  '\u00e9',
  '\u{1F600}',
];

function edit(r: Rng, line: Buffer): [string, Buffer] {
  const i = Math.floor(r() * (line.length + 1));
  switch (Math.floor(r() * 5)) {
    case 0:
      return cutAt(line, i);
    case 1:
      return deleteAt(line, i, 1 + Math.floor(r() * 8));
    case 2:
      return insertAt(line, i, pick(r, INSERTS));
    case 3: {
      const commas = [...line.toString('latin1').matchAll(/,/g)].map((m) => m.index!);
      if (commas.length < 2) return ['no edit', line];
      const k = Math.floor(r() * (commas.length - 1));
      const value = line.subarray(commas[k], commas[k + 1]);
      return [`repeat value ${k}`, Buffer.concat([line.subarray(0, commas[k + 1]), value, line.subarray(commas[k + 1])])];
    }
    default: {
      const byte = pick(r, [0x80, 0xc3, 0xff, 0x00, 0x27, 0x29]);
      const b = Buffer.from(line);
      if (i < b.length) b[i] = byte;
      return [`byte 0x${byte.toString(16)} at ${i}`, b];
    }
  }
}

const outcome = (f: () => Buffer): Buffer | SalTextError | Error => {
  try {
    return f();
  } catch (err) {
    return err as Error;
  }
};

describe.each([
  ['current', CURRENT_DIR],
  ['legacy', LEGACY_DIR],
])('SAL text fuzz on every %s fixture topic', (_n, dir) => {
  const { topics } = loadTopicMetadata(dir);
  const { schemas } = convertTopics(loadTsXmlFolder(dir).topics);

  it('no crash, no hang; accepted lines are valid records; both encoder paths agree', () => {
    const problems: string[] = [];
    let refused = 0;
    let accepted = 0;
    for (const meta of topics) {
      const schema = schemas.get(meta.topic) as never;
      const type = avroType(schema);
      const layout = layoutFromAvro(schema);
      const enc = compileSalTextEncoder(layout, schema, 9, type)!;
      const wire = wireEncoder(9, type);
      const r = mulberry32(meta.topic.length * 104729 + meta.fields.length);
      const base = Buffer.from(formatSalText(layout, recordGenerator(meta, 5)(1, 1_700_000_000_123)));
      for (let k = 0; k < EDITS_PER_TOPIC; k++) {
        const [what, line] = edit(r, base);
        const t0 = performance.now();
        const text = line.toString('utf8');
        let rec: Record<string, unknown> | Error;
        try {
          rec = parseSalText(text, layout, 5);
        } catch (err) {
          rec = err as Error;
        }
        const slow = rec instanceof Error ? rec : outcome(() => wire(rec as Record<string, unknown>));
        const fast = outcome(() => enc(line, 5));
        const ms = fastestMs(
          performance.now() - t0,
          () => {
            outcome(() => wire(parseSalText(line.toString('utf8'), layout, 5)));
            outcome(() => enc(line, 5));
          },
          SLOW_MS,
        );
        const where = `${meta.topic} ${what}`;
        if (ms > SLOW_MS) problems.push(`${where}: took ${ms.toFixed(0)} ms`);
        for (const [path, o] of [
          ['parser', slow],
          ['encoder', fast],
        ] as const) {
          if (o instanceof Error && !(o instanceof SalTextError && CODES.has(o.code) && o.message.length > 0))
            problems.push(`${where}: ${path} threw ${o.stack}`);
        }
        if (!(rec instanceof Error) && !type.isValid(rec)) problems.push(`${where}: accepted, but not valid for the schema`);
        if (slow instanceof Buffer !== fast instanceof Buffer)
          problems.push(
            `${where}: parser ${slow instanceof Buffer ? 'accepts' : `refuses (${(slow as Error).message})`}, encoder ${fast instanceof Buffer ? 'accepts' : `refuses (${(fast as Error).message})`}`,
          );
        else if (slow instanceof Buffer && !slow.equals(fast as Buffer)) problems.push(`${where}: the two paths give different bytes`);
        if (slow instanceof Buffer) accepted++;
        else refused++;
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
  });
});
