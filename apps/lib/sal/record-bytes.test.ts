import { avroType } from '../avro-type';
import { convertTopics } from './convert';
import { topicMetadata } from './metadata';
import { parseTsXml } from './ts-xml';
import { formatSalText, layoutFromMeta, parseSalText } from './sal-text';
import { planTopics } from './plan';
import { meanRecordBytes, planBytesPerSecond, topicRecordBytes } from './record-bytes';
import { recordGenerator } from './values';

const XML = `<?xml version="1.0" encoding="UTF-8"?>
<SALEventSet>
  <SALEvent>
    <Subsystem>AlarmRule</Subsystem>
    <EFDB_Topic>AlarmRule_logevent_state</EFDB_Topic>
    <Description>d</Description>
    <item><EFDB_Name>state</EFDB_Name><Description>d</Description><IDL_Type>byte</IDL_Type><Units>unitless</Units><Count>1</Count>
      <Enumeration>Unconfigured,Configured,Running</Enumeration></item>
    <item><EFDB_Name>name</EFDB_Name><Description>d</Description><IDL_Type>string</IDL_Type><Units>unitless</Units><Count>1</Count></item>
  </SALEvent>
</SALEventSet>`;
const { file, errors } = parseTsXml(XML, 'AlarmRule_Events.xml');
const meta = topicMetadata(file.topics[0]);

describe('record sizes', () => {
  it('an enumerated byte item gets one byte holding a named value (it used to be a bare number SAL text could not format)', () => {
    expect(errors).toEqual([]);
    const gen = recordGenerator(meta, 1);
    const type = avroType(convertTopics(file.topics).schemas.get(meta.topic) as never);
    for (let seq = 0; seq < 20; seq++) {
      const rec = gen(seq, 1_700_000_000_000);
      expect(Buffer.isBuffer(rec.state)).toBe(true);
      expect([1, 2, 3]).toContain((rec.state as Buffer)[0]);
      expect(type.isValid(rec)).toBe(true);
      const line = formatSalText(layoutFromMeta(meta), rec);
      expect(parseSalText(line, layoutFromMeta(meta), 0).state).toEqual(rec.state);
    }
  });

  it('measures the SAL text bytes of records, per topic, kind and plan', () => {
    const one = topicRecordBytes(meta);
    const line = formatSalText(layoutFromMeta(meta), recordGenerator(meta, 1)(0, 1_700_000_000_000));
    expect(one).toBeGreaterThan(line.length - 13); // string values vary in length (0–12 characters)
    expect(one).toBeLessThan(line.length + 13);
    expect(meanRecordBytes([meta])).toEqual({ command: 0, event: Math.round(one), telemetry: 0 });
    expect(planBytesPerSecond(planTopics([meta]))).toBeCloseTo(10 * one, 6);
  });
});
