import { parseTsXml } from './ts-xml';

const telemetry = (subsystemTag: string) => `<?xml version="1.0" encoding="UTF-8"?>
<SALTelemetrySet>
  <SALTelemetry>${subsystemTag}
    <EFDB_Topic>ESS_airFlow</EFDB_Topic>
    <Description>Wind speed and direction.</Description>
    <item><EFDB_Name>speed</EFDB_Name><Description>d</Description><IDL_Type>float</IDL_Type><Units>m/s</Units><Count>1</Count></item>
  </SALTelemetry>
</SALTelemetrySet>`;

describe('a topic without <Subsystem> (allowed by ts_xml; v28 ESS telemetry)', () => {
  it('takes the subsystem its file is named after', () => {
    const { file, errors } = parseTsXml(telemetry(''), '/x/ESS/ESS_Telemetry.xml');
    expect(errors).toEqual([]);
    expect(file.topics.map((t) => [t.subsystem, t.name, t.items.length])).toEqual([['ESS', 'ESS_airFlow', 1]]);
  });

  it('still checks the topic name against that subsystem', () => {
    const { file, errors } = parseTsXml(telemetry(''), '/x/DIMM/DIMM_Telemetry.xml');
    expect(file.topics).toEqual([]);
    expect(errors.map((e) => [e.topic, e.message])).toEqual([
      ['ESS_airFlow', 'EFDB_Topic "ESS_airFlow" must be DIMM_<name> (letters, digits and _ only)'],
    ]);
  });

  it('is an error in a file not named after a subsystem', () => {
    const { errors } = parseTsXml(telemetry(''), '/x/topics.xml');
    expect(errors.map((e) => [e.line, e.topic, e.message])).toEqual([[3, 'ESS_airFlow', 'topic has no Subsystem']]);
  });

  it('keeps an explicit <Subsystem>', () => {
    const { file } = parseTsXml(telemetry('\n    <Subsystem>ESS</Subsystem>'), '/x/whatever.xml');
    expect(file.topics[0].subsystem).toBe('ESS');
  });
});
