/**
 * Runs Telegraf's kafka_consumer (Avro, schema registry) → influxdb output over a set of topics, as the
 * peer the influxdb-sink benchmark compares with, and reports its progress as InfluxDB sees it (points
 * counted per measurement, sampled every 500 ms). Benchmark only.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sleep } from '../apps/lib/retry';
import { influxQl } from '../scripts/local-efd/health';

export interface TelegrafRun {
  bin: string;
  brokers: string[];
  registry: string;
  topics: string[];
  /** Measurement Telegraf gives each topic's points (the Avro parser: `<namespace>.<name>` of the schema). */
  measurements: string[];
  influxUrl: string;
  database: string;
  expected: number;
  batch: number;
  inFlight: number;
  timeoutMs: number;
}

export interface TelegrafResult {
  /** (ms, points in InfluxDB) from the first point seen. */
  samples: [number, number][];
  /** CPU seconds Telegraf used, from /proc (user + system). */
  cpuSeconds: number;
  wallSeconds: number;
  config: string;
}

function tomlList(v: string[]): string {
  return `[${v.map((s) => JSON.stringify(s)).join(', ')}]`;
}

export function telegrafConfig(r: Omit<TelegrafRun, 'bin' | 'expected' | 'timeoutMs' | 'measurements'>, group: string): string {
  return [
    '[agent]',
    '  interval = "1s"',
    '  flush_interval = "100ms"',
    '  flush_jitter = "0s"',
    `  metric_batch_size = ${r.batch}`,
    `  metric_buffer_limit = ${r.batch * r.inFlight * 4}`,
    '  omit_hostname = true',
    '  quiet = true',
    '',
    '[[inputs.kafka_consumer]]',
    `  brokers = ${tomlList(r.brokers)}`,
    `  topics = ${tomlList(r.topics)}`,
    `  consumer_group = ${JSON.stringify(group)}`,
    '  offset = "oldest"',
    // as many records in flight as the sink has (batch × writes in flight)
    `  max_undelivered_messages = ${r.batch * r.inFlight}`,
    '  data_format = "avro"',
    `  avro_schema_registry = ${JSON.stringify(r.registry)}`,
    '  avro_timestamp = "sal_created"',
    '  avro_timestamp_format = "unix_ms"',
    '',
    '[[outputs.influxdb]]',
    `  urls = [${JSON.stringify(r.influxUrl)}]`,
    `  database = ${JSON.stringify(r.database)}`,
    '  skip_database_creation = true',
    '  timeout = "60s"',
    '',
  ].join('\n');
}

async function count(url: string, db: string, measurements: string[]): Promise<number> {
  const q = measurements.map((m) => `SELECT count("salIndex") FROM "${m}"`).join('; ');
  const r = (await influxQl(url, q, db)) as { results: { series?: { values: [string, number][] }[] }[] };
  return r.results.reduce((n, x) => n + Number(x.series?.[0].values[0][1] ?? 0), 0);
}

function cpuSecondsOf(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in clock ticks (100 Hz)
  } catch {
    return 0;
  }
}

export async function runTelegraf(r: TelegrafRun): Promise<TelegrafResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-telegraf-'));
  const config = telegrafConfig(r, `${r.database}-telegraf`);
  const file = path.join(dir, 'telegraf.conf');
  fs.writeFileSync(file, config);
  const log = fs.openSync(path.join(dir, 'telegraf.log'), 'w');
  const child = spawn(r.bin, ['--config', file], { stdio: ['ignore', log, log] });
  const t0 = performance.now();
  const samples: [number, number][] = [];
  let cpu = 0;
  let ok = false;
  try {
    const deadline = Date.now() + r.timeoutMs;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`telegraf exited with ${child.exitCode}: ${fs.readFileSync(path.join(dir, 'telegraf.log'), 'utf8').slice(-2000)}`);
      const n = await count(r.influxUrl, r.database, r.measurements);
      const now = performance.now();
      if (n > 0 && samples.length === 0) samples.push([now, 0]);
      if (n > 0) samples.push([now, n]);
      if (n >= r.expected) break;
      if (Date.now() > deadline)
        throw new Error(`telegraf wrote ${n}/${r.expected} points in ${r.timeoutMs / 1000} s; log: ${path.join(dir, 'telegraf.log')}`);
      cpu = cpuSecondsOf(child.pid as number);
      await sleep(500);
    }
    cpu = cpuSecondsOf(child.pid as number) || cpu;
    ok = true;
    return { samples, cpuSeconds: cpu, wallSeconds: (performance.now() - t0) / 1000, config };
  } finally {
    child.kill('SIGTERM');
    await new Promise((res) => (child.exitCode !== null ? res(undefined) : child.once('exit', res)));
    fs.closeSync(log);
    if (ok) fs.rmSync(dir, { recursive: true, force: true }); // kept for a look when the run failed
  }
}
