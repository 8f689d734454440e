/**
 * Property: for random ts_xml topics (every IDL type, scalars and arrays, enumerations on integer types,
 * strings with IDL_Size; both layouts' tags), what salmock produces goes through saltransform — the
 * one-pass encoder and the parse + avsc fallback — and decodes to exactly the values salmock made.
 * The 64-bit items also carry the range edges (±2^63, 2^53 ± 1) exactly, and values no Avro long holds
 * (2^63, 2^64 − 1) are refused by both paths with the field named. Bounded: a fixed count of topics
 * from a fixed seed.
 */
import { avroType } from '../lib/avro-type';
import { isDeepStrictEqual } from 'node:util';
import { wireEncoder } from '../lib/registry';
import { mulberry32 } from '../lib/prng';
import { convertTopics } from '../lib/sal/convert';
import { topicMetadata } from '../lib/sal/metadata';
import { IDL_TYPES, INTEGER_IDL_TYPES, parseTsXml } from '../lib/sal/ts-xml';
import { recordGenerator } from '../lib/sal/values';
import { compileSalTextEncoder } from './fast-encode';
import { formatSalText, layoutFromAvro, parseSalText, SalTextError } from '../lib/sal/sal-text';
import { longValue } from '../lib/avro-type';

/** Values every 64-bit item is also sent with (unsigned ones: the non-negative ones). */
const EDGES = [2n ** 63n - 1n, -(2n ** 63n), 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, -(2n ** 53n - 1n), 0n];
/** Values no Avro long holds: refused with the field named (dead-lettered by saltransform). */
const BEYOND = ['9223372036854775808', '18446744073709551615', '-9223372036854775809'];

const TOPICS = 150;
const MESSAGES = 4;
const KINDS = [
  ['SALCommandSet', 'SALCommand', 'command_'],
  ['SALEventSet', 'SALEvent', 'logevent_'],
  ['SALTelemetrySet', 'SALTelemetry', ''],
] as const;
const TYPES = IDL_TYPES.filter((t) => t !== 'null' && t !== 'bytes');

type Rng = () => number;
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Enumeration text whose values fit the type: implicit, explicit decimal or hexadecimal. */
function enumeration(r: Rng, name: string, idl: string): string {
  const max = idl === 'byte' || idl === 'octet' ? 255 : 30000;
  const n = 1 + Math.floor(r() * 4);
  let v = Math.floor(r() * (max - 10));
  return Array.from({ length: n }, (_, k) => {
    const form = Math.floor(r() * 3);
    v += 1 + Math.floor(r() * 2);
    if (form === 0 && k > 0) return `${name}_S${k}`;
    return form === 1 ? `${name}_S${k}=${v}` : `${name}_S${k}=0x${v.toString(16)}`;
  }).join(', ');
}

/** A random topic of subsystem `Prop`, as one ts_xml file. */
function randomTopic(r: Rng, n: number): { xml: string; file: string } {
  const [set, tag, infix] = pick(r, KINDS);
  const legacy = r() < 0.3;
  const items = Array.from({ length: Math.floor(r() * 8) }, (_, k) => {
    const idl = pick(r, TYPES);
    const count = r() < 0.4 ? 1 + Math.floor(r() * 12) : 1;
    const extra: string[] = [];
    if (INTEGER_IDL_TYPES.has(idl) && r() < 0.3) extra.push(`<Enumeration>${enumeration(r, `E${k}`, idl)}</Enumeration>`);
    if (idl === 'string' && r() < 0.5) extra.push(`<IDL_Size>${1 + Math.floor(r() * 256)}</IDL_Size>`);
    if (legacy) extra.push('<Frequency>1</Frequency>');
    const idlText = idl === 'long long' && r() < 0.5 ? 'long  long' : idl;
    return `<item><EFDB_Name>f${k}_${idl.replace(/ /g, '_')}</EFDB_Name><Description>d</Description><IDL_Type>${idlText}</IDL_Type><Units>unitless</Units><Count>${count}</Count>${extra.join('')}</item>`;
  });
  const legacyTags = legacy
    ? '<Version>1</Version><Author/><Alias>a</Alias><Explanation>x</Explanation>'
    : '<Description>Random.</Description>';
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<${set}>\n<${tag}><Subsystem>Prop</Subsystem><EFDB_Topic>Prop_${infix}t${n}</EFDB_Topic>${legacyTags}\n${items.join('\n')}\n</${tag}>\n</${set}>\n`;
  return { xml, file: `Prop_${set.replace('SAL', '').replace('Set', 's')}.xml` };
}

describe('property: salmock → saltransform → decode round-trips the values exactly', () => {
  it(`holds for ${TOPICS} random ts_xml topics, ${MESSAGES} messages each`, () => {
    const r = mulberry32(20260715);
    const problems: string[] = [];
    let values = 0;
    let edges = 0;
    let refused = 0;
    for (let n = 0; n < TOPICS; n++) {
      const { xml, file } = randomTopic(r, n);
      const parsed = parseTsXml(xml, file);
      if (parsed.errors.length > 0 || parsed.file.topics.length !== 1) {
        problems.push(`topic ${n}: salschema refused it: ${JSON.stringify(parsed.errors)}\n${xml}`);
        continue;
      }
      const topic = parsed.file.topics[0];
      const { schemas, errors } = convertTopics([topic]);
      if (errors.length > 0) {
        problems.push(`${topic.name}: ${JSON.stringify(errors)}`);
        continue;
      }
      const schema = schemas.get(topic.name) as never;
      const type = avroType(schema);
      const layout = layoutFromAvro(schema);
      const enc = compileSalTextEncoder(layout, schema, 3, type);
      const wire = wireEncoder(3, type);
      const gen = recordGenerator(topicMetadata(topic), n);
      for (let seq = 0; seq < MESSAGES; seq++) {
        const rec = gen(seq, 1_700_000_000_000 + seq);
        const line = formatSalText(layout, rec);
        const viaParser = wire(parseSalText(line, layout, rec.kafka_timestamp as number));
        const viaFast = enc ? enc.fastOnly(Buffer.from(line), rec.kafka_timestamp as number) : undefined;
        if (!enc) problems.push(`${topic.name}: no one-pass encoder`);
        else if (!viaFast) problems.push(`${topic.name}: the one-pass encoder fell back on ${line}`);
        else if (!viaFast.equals(viaParser)) problems.push(`${topic.name}: the two paths differ on ${line}`);
        const decoded = type.fromBuffer(viaParser.subarray(5));
        const want = { ...rec, sal_created: Math.round(rec.sal_created as number), sal_ingested: Math.round(rec.sal_ingested as number) };
        if (!isDeepStrictEqual({ ...decoded }, want))
          problems.push(`${topic.name} seq ${seq}: decoded ${JSON.stringify(decoded)} ≠ produced ${JSON.stringify(want)}`);
        values += topic.items.reduce((k, i) => k + i.count, 0);
      }
      const wide = topicMetadata(topic).fields.filter((f) => f.idlType.endsWith('long long') && !f.enumeration?.length);
      for (const edge of wide.length > 0 ? EDGES : []) {
        const rec = gen(MESSAGES, 1_700_000_000_000);
        for (const f of wide) {
          const v = longValue(f.idlType.startsWith('unsigned') && edge < 0n ? -edge - 1n : edge);
          rec[f.name] = f.array ? new Array(f.count).fill(v) : v;
        }
        const line = formatSalText(layout, rec);
        const viaParser = wire(parseSalText(line, layout, 1));
        const viaFast = enc?.fastOnly(Buffer.from(line), 1);
        if (!viaFast?.equals(viaParser)) problems.push(`${topic.name}: edge ${edge}: the one-pass encoder fell back or differs on ${line}`);
        const decoded = type.fromBuffer(viaParser.subarray(5)) as Record<string, unknown>;
        for (const f of wide) {
          if (!isDeepStrictEqual(decoded[f.name], rec[f.name]))
            problems.push(`${topic.name}.${f.name}: edge ${edge} decoded as ${String(decoded[f.name])}`);
        }
        edges++;
      }
      for (const bad of wide.length > 0 ? BEYOND : []) {
        const f = wide[0];
        const rec = gen(MESSAGES, 1_700_000_000_000);
        rec[f.name] = f.array ? new Array(f.count).fill(424242) : 424242;
        const line = formatSalText(layout, rec).replace(/\b424242\b/, bad);
        for (const [path, run] of [
          ['parser', () => parseSalText(line, layout, 1)],
          ['one-pass', () => enc?.(Buffer.from(line), 1)],
        ] as const) {
          try {
            run();
            problems.push(`${topic.name}.${f.name}: ${bad} accepted by the ${path} path`);
          } catch (err) {
            const named = err instanceof SalTextError && err.code === 'bad-value' && err.message.includes(`(${f.name}`);
            if (!named) problems.push(`${topic.name}.${f.name}: ${bad} refused by the ${path} path without the field: ${String(err)}`);
          }
        }
        refused++;
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(values).toBeGreaterThan(TOPICS * MESSAGES);
    expect(edges).toBeGreaterThan(20 * EDGES.length);
    expect(refused).toBeGreaterThan(20);
  });
});
