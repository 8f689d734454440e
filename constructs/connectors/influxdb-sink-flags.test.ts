import { influxDbSinkSchema } from '../../config/connectors';
import { registerInfluxdbSinkCommand, sinkConfig } from '../../apps/influxdb-sink/cli';
import { parsedFlags } from '../../test/cli';
import { influxDbSinkFlags, sinkArgs, SinkFlags } from './influxdb-sink-flags';

/** What `efd influxdb-sink <args>` parses the arguments into (the real command, its action replaced). */
const parsed = (args: string[]) => parsedFlags(registerInfluxdbSinkCommand, ['influxdb-sink', ...args]);

const base = {
  site: 'ldf',
  bootstrapServers: 'kafka:9092',
  schemaRegistryUrl: 'http://registry:8081',
  influxdbUrl: 'http://influxdb:8086',
  database: 'efd',
  retentionPolicy: 'raw',
  settings: influxDbSinkSchema.parse({ tags: ['salIndex'] }),
};
const source = {
  prefix: 'summit',
  siteTag: 'site',
  topicsRegex: 'summit[.](?:lsst[.]sal[.].*)',
  schemaRegistryUrl: 'http://remote-registry-summit:8081',
};

describe('influxdb-sink flags → container arguments', () => {
  it.each([
    ["the site's own sink", undefined],
    ["a replicated source's sink", source],
  ])('%s: the arguments parse back into the same app config', async (_name, src) => {
    const flags: SinkFlags = influxDbSinkFlags({ ...base, source: src });
    const fromArgs = sinkConfig(await parsed(sinkArgs(flags)), {});
    expect(fromArgs).toEqual(sinkConfig(flags, {}));
  });

  it('a replicated source: its topics and registry, tagged with its prefix, measurements without it', () => {
    const c = sinkConfig(influxDbSinkFlags({ ...base, source }), {});
    expect(c).toMatchObject({
      topicsRegex: 'summit[.](?:lsst[.]sal[.].*)',
      registry: 'http://remote-registry-summit:8081',
      staticTag: ['site=summit'],
      stripPrefix: 'summit.',
      tag: ['salIndex'],
      group: 'ldf-influxdb-sink-summit',
      deadLetterTopic: 'lsst.efd.influxdb-sink.dlq.summit',
    });
    const own = sinkConfig(influxDbSinkFlags(base), {});
    expect([own.topicsRegex, own.staticTag, own.stripPrefix, own.group]).toEqual(['lsst[.]sal[.].*', [], undefined, 'ldf-influxdb-sink']);
  });
});
