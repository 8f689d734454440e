/**
 * The exit codes of every `efd` command (apps/lib/exit-codes.ts, README "Exit codes"), per class:
 * usage (2) for every subcommand, bad input (3), an unreachable server (4), run as the CLI runs them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Command } from 'commander';
import { buildProgram } from './main';
import { closedPort, efd } from '../../test/cli';
import { EXIT, exitCodeOf, worstExit } from '../lib/exit-codes';

function leafCommands(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => (c.commands.length ? leafCommands(c, [...prefix, c.name()]) : [[...prefix, c.name()]]));
}

const FIXTURE_XML = path.join(__dirname, '..', '..', 'test', 'fixtures', 'ts_xml');

/** `efd influxdb-init` of database x at `url` with one tier, raw, of `duration` (shards of 1h). */
function influxdbInit(url: string, duration: string): Promise<{ code: number; output: string }> {
  return efd('influxdb-init', '--url', url, '--database', 'x', '--tiers', JSON.stringify([{ name: 'raw', duration, shardDuration: '1h' }]));
}

describe('efd exit codes', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-exit-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('usage: 2', () => {
    const leaves = leafCommands(buildProgram()).filter(([name]) => name !== 'help');
    it('covers every subcommand', () => expect(leaves.length).toBeGreaterThan(15));

    it.each(leaves.map((l) => [l.join(' '), l]))('efd %s --no-such-flag', async (_name, words) => {
      const { code, output } = await efd(...(words as string[]), '--no-such-flag');
      expect(output).toMatch(/unknown option '--no-such-flag'|error: /);
      expect(code).toBe(EXIT.usage);
    });

    it('an unknown command, no command, a flag value the app refuses', async () => {
      expect((await efd('no-such-command')).code).toBe(EXIT.usage);
      expect((await efd()).code).toBe(EXIT.usage);
      const bad = await efd(
        'influxdb-sink',
        '--batch-size',
        'many',
        '--brokers',
        '127.0.0.1:1',
        '--registry',
        'http://127.0.0.1:1',
        '--influxdb-url',
        'http://127.0.0.1:1',
      );
      expect(bad.output).toMatch(/--batch-size/);
      expect(bad.code).toBe(EXIT.usage);
      expect((await efd('salschema', 'check', '--xml', FIXTURE_XML, '--schemas', tmp)).code).toBe(EXIT.usage);
    });

    it('--help is not an error', async () => {
      expect((await efd('--help')).code).toBe(EXIT.ok);
      expect((await efd('salschema', 'convert', '--help')).code).toBe(EXIT.ok);
    });
  });

  describe('bad input: 3', () => {
    it('ts_xml that does not parse, a folder that does not exist', async () => {
      const xml = path.join(tmp, 'xml');
      fs.mkdirSync(xml);
      fs.writeFileSync(
        path.join(xml, 'Test_Telemetry.xml'),
        '<?xml version="1.0"?>\n<SALTelemetrySet>\n<SALTelemetry>\n<Subsystem>Test</Subsystem>\n',
      );
      const cut = await efd('salschema', 'convert', '--xml', xml, '--out', path.join(tmp, 'out'));
      expect(cut.output).toContain('Test_Telemetry.xml:4: the file ends inside <SALTelemetry> (line 3)');
      expect(cut.code).toBe(EXIT.badInput);
      expect((await efd('salschema', 'convert', '--xml', path.join(tmp, 'missing'), '--out', path.join(tmp, 'out'))).code).toBe(
        EXIT.badInput,
      );
    });

    it('efd validate: a --charts folder or a sums file that does not exist', async () => {
      const kc = ['--kubeconfig', path.join(tmp, 'kubeconfig')];
      const charts = await efd('validate', '--charts', path.join(tmp, 'no-charts'), ...kc);
      expect(charts.output).toContain(`--charts ${path.join(tmp, 'no-charts')} is not a folder`);
      expect(charts.code).toBe(EXIT.badInput);
      const sums = await efd('validate', '--charts', tmp, '--sums', path.join(tmp, 'no-sums'), ...kc);
      expect(sums.output).toMatch(/sums file .*no-sums: ENOENT/);
      expect(sums.code).toBe(EXIT.badInput);
      expect((await efd('validate', ...kc)).code).toBe(EXIT.usage);
    });

    it('retention tiers that are not durations', async () => {
      const r = await influxdbInit('http://127.0.0.1:1', '7 days');
      expect(r.output).toContain('[0].duration: "7 days" is not a duration');
      expect(r.code).toBe(EXIT.badInput);
    });
  });

  describe('unreachable server: 4', () => {
    let port: number;
    beforeAll(async () => {
      port = await closedPort();
    });

    it('the schema registry', async () => {
      const r = await efd(
        'salschema',
        'check',
        '--xml',
        FIXTURE_XML,
        '--registry',
        `http://127.0.0.1:${port}`,
        '--retries',
        '1',
        '--topics',
        '^ATDome_position$',
      );
      expect(r.code).toBe(EXIT.unreachable);
    });

    it('Kafka Connect', async () => {
      const r = await efd('connectors', 'status', '--connect-url', `http://127.0.0.1:${port}`);
      expect(r.output).toContain(`Kafka Connect at http://127.0.0.1:${port} is unreachable`);
      expect(r.code).toBe(EXIT.unreachable);
    }, 30_000);

    it('InfluxDB', async () => {
      const r = await influxdbInit(`http://127.0.0.1:${port}`, '7d');
      expect(r.output).toContain('cannot reach InfluxDB (ECONNREFUSED)');
      expect(r.code).toBe(EXIT.unreachable);
    });
  });

  describe('exitCodeOf', () => {
    it('reads the error, its class and its causes', () => {
      expect(exitCodeOf(new Error('x'))).toBe(EXIT.failed);
      expect(exitCodeOf(Object.assign(new Error('e'), { name: 'SiteConfigError' }))).toBe(EXIT.badInput);
      expect(
        exitCodeOf(new Error('outer', { cause: new Error('inner', { cause: Object.assign(new Error('s'), { code: 'ECONNREFUSED' }) }) })),
      ).toBe(EXIT.unreachable);
      expect(exitCodeOf(Object.assign(new Error('no file'), { code: 'ENOENT' }))).toBe(EXIT.badInput);
      expect(exitCodeOf(new AggregateError([Object.assign(new Error('a'), { code: 'EHOSTUNREACH' })]))).toBe(EXIT.unreachable);
    });
    it('ranks the parts of a command: usage, unreachable, bad input, failed', () => {
      expect(worstExit(EXIT.ok, EXIT.failed, EXIT.badInput)).toBe(EXIT.badInput);
      expect(worstExit(EXIT.badInput, EXIT.unreachable)).toBe(EXIT.unreachable);
      expect(worstExit(EXIT.ok, EXIT.ok)).toBe(EXIT.ok);
    });
  });
});
