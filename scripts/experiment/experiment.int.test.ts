/**
 * `efd experiment` as a user runs it, on the local EFD: a small generated interface set (14 topics),
 * 3 s of salmock; the JSON report must account for every message, with ordered latency figures per
 * stage and the plots on disk. Bad input: an unknown subsystem (exit 2, nothing started) and an
 * InfluxDB that is down (exit 1, named, the partial report still written).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeGeneratedTsXml } from '../../apps/salschema/generate';
import { Endpoints } from '../../scripts/local-efd/endpoints';
import { ensureStack } from '../../test/integration/env';
import type { ExperimentReport } from './report';

const root = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-experiment-it-'));
let xml: string;
let e: Endpoints;

function efd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(root, 'apps', 'cli', 'main.ts'), ...args],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  e = await ensureStack();
  xml = writeGeneratedTsXml(path.join(tmp, 'ts_xml'), { commands: 4, events: 6, telemetry: 4, seed: 7 }).xmlDir;
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('runs the pipeline and reports every message, throughput and latency per stage, with plots', async () => {
  const out = path.join(tmp, 'ok');
  const r = await efd(['experiment', '--xml', xml, '--duration', '3', '--rate-factor', '0.02', '--json', '--out', out]);
  expect({ code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ code: 0, stderr: '' });
  const report = JSON.parse(r.stdout.trim().split('\n').pop()!) as ExperimentReport;
  expect(report.status).toBe('ok');
  expect(report.settings.topics).toBe(14);
  expect(report.produced).toBeGreaterThan(500);
  expect(report.written + report.deadLettered).toBe(report.produced);
  expect(report.unaccounted).toBe(0);
  expect(report.inInfluxDb!.points).toBe(report.written);
  expect(report.inInfluxDb!.measurements).toBe(14);
  expect(report.inInfluxDb!.fields).toBeGreaterThan(report.inInfluxDb!.points);
  for (const stage of ['intoKafka', 'saltransform', 'sink', 'endToEnd'] as const) {
    const l = report.stages[stage];
    expect(l.count).toBeGreaterThan(0);
    expect(l.median).toBeGreaterThan(0);
    expect(l.median).toBeLessThanOrEqual(l.p95);
    expect(l.p95).toBeLessThanOrEqual(l.p99);
    expect(l.p99).toBeLessThanOrEqual(l.max);
  }
  expect(report.stages.endToEnd.count).toBe(report.written);
  // the end-to-end time covers the stages it is made of
  expect(report.stages.endToEnd.median).toBeGreaterThanOrEqual(report.stages.sink.median);
  expect(report.latencyMs).toEqual(report.stages.endToEnd);
  expect(report.throughput.written.pointsPerS).toBeGreaterThan(0);
  expect(report.timeline.length).toBeGreaterThan(3);
  const names = report.files.map((f) => path.basename(f)).sort();
  expect(names).toEqual([
    'ingest-rate.png',
    'ingest-rate.svg',
    'latency-histogram.png',
    'latency-histogram.svg',
    'latency-over-time.png',
    'latency-over-time.svg',
    'report.json',
  ]);
  expect(fs.readFileSync(path.join(out, 'latency-histogram.png')).subarray(0, 4).toString('latin1')).toBe('\x89PNG');
  expect(fs.readFileSync(path.join(out, 'latency-histogram.svg'), 'utf8')).toMatch(/Latency per stage/);
  expect(JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')).produced).toBe(report.produced);
}, 300_000);

it('refuses an unknown subsystem before starting anything (exit 2)', async () => {
  const r = await efd(['experiment', '--xml', xml, '--subsystems', 'NoSuchCSC']);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/unknown subsystem\(s\) NoSuchCSC: .* has /);
});

it('names an InfluxDB that is down, exits 1 and still writes the partial report', async () => {
  const out = path.join(tmp, 'down');
  const a = e.clusters[0];
  const r = await efd([
    'experiment',
    '--xml',
    xml,
    '--duration',
    '1',
    '--brokers',
    a.kafka,
    '--registry',
    a.registry,
    '--influxdb-url',
    'http://127.0.0.1:9',
    '--out',
    out,
  ]);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/InfluxDB at http:\/\/127\.0\.0\.1:9\/ping does not answer/);
  const partial = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as ExperimentReport;
  expect(partial.status).toBe('failed');
  expect(partial.error).toMatch(/InfluxDB/);
}, 180_000);
