import { DEFAULT_MAX_BYTES } from './batcher';
import { sinkConfig } from './cli';

const required = { brokers: '127.0.0.1:9092', registry: 'http://127.0.0.1:8081', influxdbUrl: 'http://127.0.0.1:8086' };

describe('influxdb-sink --batch-bytes', () => {
  it('defaults to 2 MiB of line protocol per write', () => {
    expect(sinkConfig(required, {}).batchBytes).toBe(DEFAULT_MAX_BYTES);
    expect(DEFAULT_MAX_BYTES).toBe(2_097_152);
  });

  it('takes the flag, else SINK_BATCH_BYTES', () => {
    expect(sinkConfig({ ...required, batchBytes: '1048576' }, { SINK_BATCH_BYTES: '4194304' }).batchBytes).toBe(1_048_576);
    expect(sinkConfig(required, { SINK_BATCH_BYTES: '4194304' }).batchBytes).toBe(4_194_304);
  });

  it('names the flag and the variable of a bad value', () => {
    expect(() => sinkConfig({ ...required, batchBytes: '2MiB' }, {})).toThrow('--batch-bytes (env SINK_BATCH_BYTES): ');
    expect(() => sinkConfig(required, { SINK_BATCH_BYTES: '100' })).toThrow(/--batch-bytes \(env SINK_BATCH_BYTES\): .*1024/);
  });
});
