/**
 * Sizes and values no SAL message can carry are refused by salschema with the limit and the field,
 * so salmock and saltransform never get them (a Count of 10^9 used to be accepted, and salmock then ran
 * out of memory; an enumeration value 300 on a byte item was written as 44).
 */
import { topicMetadata } from './metadata';
import { parseTsXml } from './ts-xml';
import { TOPIC_LIMITS } from './idl-range';
import { recordGenerator } from './values';

const topic = (items: string) => `<?xml version="1.0" encoding="UTF-8"?>
<SALTelemetrySet>
  <SALTelemetry>
    <Subsystem>Big</Subsystem>
    <EFDB_Topic>Big_data</EFDB_Topic>
${items}  </SALTelemetry>
</SALTelemetrySet>
`;
const item = (name: string, idl: string, count: string, extra = '') =>
  `    <item>\n      <EFDB_Name>${name}</EFDB_Name>\n      <IDL_Type>${idl}</IDL_Type>\n      <Count>${count}</Count>${extra}\n    </item>\n`;

describe('size limits', () => {
  it('refuses a Count above the limit, naming the field, the line and the limit', () => {
    const { errors, file } = parseTsXml(topic(item('ok', 'double', '3') + item('huge', 'double', '1000000000')), 'Big_Telemetry.xml');
    expect(file.topics).toEqual([]);
    expect(errors).toEqual([
      {
        file: 'Big_Telemetry.xml',
        line: 14,
        topic: 'Big_data',
        field: 'huge',
        message: 'Count 1000000000 is above the limit of 100,000 values per item',
        fix: 'set <Count> to 1 for a scalar or to the array length (at most 100,000)',
      },
    ]);
    expect(file.rejected.map((r) => r.name)).toEqual(['Big_data']);
  });

  it('accepts a Count at the limit, and salmock produces the topic', () => {
    const { errors, file } = parseTsXml(topic(item('edge', 'float', String(TOPIC_LIMITS.count))), 'Big_Telemetry.xml');
    expect(errors).toEqual([]);
    const rec = recordGenerator(topicMetadata(file.topics[0]), 1)(0, 1);
    expect((rec.edge as number[]).length).toBe(TOPIC_LIMITS.count);
  });

  it('refuses a topic whose Counts add up above the limit per message', () => {
    const items = [1, 2, 3].map((k) => item(`a${k}`, 'short', String(TOPIC_LIMITS.count))).join('');
    const { errors } = parseTsXml(topic(items), 'Big_Telemetry.xml');
    expect(errors.map((e) => [e.line, e.topic, e.field, e.message])).toEqual([
      [3, 'Big_data', undefined, 'the topic has 300,000 values (the sum of its Counts), above the limit of 200,000 per message'],
    ]);
  });

  it('refuses an IDL_Size above the limit, naming the field and its line', () => {
    const { errors } = parseTsXml(topic(item('text', 'string', '1', '\n      <IDL_Size>999999999999</IDL_Size>')), 'Big_Telemetry.xml');
    expect(errors.map((e) => [e.line, e.field, e.message])).toEqual([
      [10, 'text', 'IDL_Size 999999999999 is above the limit of 1,048,576 (the largest Kafka message by default)'],
    ]);
  });
});

describe('enumeration values must fit the item type', () => {
  it.each([
    ['byte', 'B_a=1, B_b=300', 'Enumeration value B_b=300 does not fit a byte item (0 to 255)'],
    ['octet', 'O_neg=-1', 'Enumeration value O_neg=-1 does not fit a octet item (0 to 255)'],
    ['short', 'S_big=40000', 'Enumeration value S_big=40000 does not fit a short item (-32768 to 32767)'],
    ['unsigned short', 'U_a=0, U_b=-2', 'Enumeration value U_b=-2 does not fit a unsigned short item (0 to 65535)'],
  ])('%s: %s is refused', (idl, enumeration, message) => {
    const { errors } = parseTsXml(topic(item('state', idl, '1', `\n      <Enumeration>${enumeration}</Enumeration>`)), 'Big_Telemetry.xml');
    expect(errors.map((e) => [e.line, e.field, e.message])).toEqual([[10, 'state', message]]);
  });

  it('the edges of the range are accepted', () => {
    const { errors } = parseTsXml(
      topic(item('state', 'byte', '1', '\n      <Enumeration>B_lo=0, B_hi=255</Enumeration>')),
      'Big_Telemetry.xml',
    );
    expect(errors).toEqual([]);
  });
});
