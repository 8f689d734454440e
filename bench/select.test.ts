import { selectBenchFiles } from './select';

const all = ['experiment.bench.ts', 'influxdb-sink.bench.ts', 'salmock.bench.ts', 'saltransform.bench.ts', 'synth.bench.ts'];

describe('selectBenchFiles', () => {
  it('runs every benchmark without a name, CPU-bound ones first', () => {
    expect(selectBenchFiles(all, [])).toEqual([
      'saltransform.bench.ts',
      'synth.bench.ts',
      'salmock.bench.ts',
      'influxdb-sink.bench.ts',
      'experiment.bench.ts',
    ]);
  });
  it('runs the fault benchmark (it stops an InfluxDB of its own) last', () => {
    expect(selectBenchFiles(['faults.bench.ts', ...all], []).slice(-2)).toEqual(['experiment.bench.ts', 'faults.bench.ts']);
  });
  it('selects by the start of the name, `_` read as `-`', () => {
    expect(selectBenchFiles(all, ['influxdb_sink'])).toEqual(['influxdb-sink.bench.ts']);
    expect(selectBenchFiles(all, ['salt', 'salm'])).toEqual(['saltransform.bench.ts', 'salmock.bench.ts']);
  });
  it('refuses a name that selects nothing, listing the benchmarks (it used to run nothing and say it wrote the results)', () => {
    expect(() => selectBenchFiles(all, ['salmock', 'influx_db'])).toThrow(
      'no benchmark named "influx_db": the benchmarks are experiment, influxdb-sink, salmock, saltransform, synth',
    );
  });
});
