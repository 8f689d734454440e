/** Which benchmark files `npm run bench -- <name…>` runs, and in what order. */

/**
 * CPU-bound benchmarks first, then the ones that load the servers: InfluxDB keeps compacting for
 * minutes after the sink benchmark, which no idle check sees but a µs/msg figure does.
 */
export const ORDER = [
  'saltransform',
  'synth',
  'unit-suite',
  'kafka-clients',
  'kafka-consumers',
  'salmock',
  'alerts-produce',
  'alerts-filter',
  'influxdb-sink',
  'replication',
  'experiment',
  'faults',
];
function rank(file: string): number {
  const i = ORDER.findIndex((o) => file.startsWith(`${o}.`));
  return i < 0 ? ORDER.length : i;
}

/** Bench files a name selects: its start, `_` read as `-` (`influxdb_sink` is influxdb-sink.bench.ts). */
export function selectBenchFiles(all: string[], wanted: string[]): string[] {
  const norm = (s: string) => s.replace(/_/g, '-');
  const unknown = wanted.filter((w) => !all.some((f) => norm(f).startsWith(norm(w))));
  if (unknown.length) {
    const names = all.map((f) => f.replace(/\.bench\.ts$/, ''));
    throw new Error(`no benchmark named ${unknown.map((w) => `"${w}"`).join(', ')}: the benchmarks are ${names.join(', ')}`);
  }
  return all
    .filter((f) => !wanted.length || wanted.some((w) => norm(f).startsWith(norm(w))))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
