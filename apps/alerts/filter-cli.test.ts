import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../lib/exit-codes';
import { efdProgram, runProgram } from '../lib/program';
import { filterConfig, filterGroupId, registerFilterCommand } from './filter-cli';
import { emittedOf, ReadBackCache } from './filter-readback';
import type { EmittedRecord } from './filter-run';

/** `efd alerts filter …` on a program of its own, with what it wrote to stderr. */
async function filterCommand(...args: string[]): Promise<{ code: number; stderr: string }> {
  const chunks: string[] = [];
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true));
  try {
    const code = await runProgram(
      efdProgram((p) => registerFilterCommand(p.command('alerts'))),
      ['alerts', 'filter', ...args],
    );
    return { code, stderr: chunks.join('') };
  } finally {
    err.mockRestore();
  }
}

describe('alerts filter config', () => {
  it('reads flags and env, flags first', () => {
    const c = filterConfig(
      { set: 'seed004', group: '3', clientId: 'alerts-filter' },
      {
        KAFKA_BROKERS: 'k:9092',
        SCHEMA_REGISTRY_URL: 'http://r',
        ALERTS_TOPIC_PREFIX: 'x.',
        ALERTS_FILTER_GROUP: '5',
        ALERTS_FILTER_SESSION_TIMEOUT_MS: '6000',
      },
    );
    expect(c).toMatchObject({
      set: 'seed004',
      group: '3',
      brokers: 'k:9092',
      registry: 'http://r',
      topicPrefix: 'x.',
      sessionTimeoutMs: 6000,
      fromBeginning: true,
      lingerMs: 2,
    });
    expect(filterConfig({ clientId: 'c', fromBeginning: false }, { KAFKA_BROKERS: 'k:1', SCHEMA_REGISTRY_URL: 'r' }).fromBeginning).toBe(
      false,
    );
    expect(() => filterConfig({ clientId: 'c' }, { KAFKA_BROKERS: 'k:1' })).toThrow(/--registry \(env SCHEMA_REGISTRY_URL\): required/);
  });

  it('names the consumer group after the filter group and the prefix', () => {
    expect(filterGroupId('3')).toBe('alerts-filter-3');
    expect(filterGroupId('g1', 'it.x.')).toBe('it.x.alerts-filter-g1');
  });
});

describe('efd alerts filter: bad input before connecting', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'filter-cli-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = ['--brokers', '127.0.0.1:1', '--registry', 'http://127.0.0.1:1', '--metrics-port', '0'];

  it('a filter naming an unknown field: exit 3, the file, filter and field', async () => {
    const p = join(dir, 'bad.json');
    writeFileSync(
      p,
      JSON.stringify({ groups: [{ name: 'g', filters: [{ name: 'bright-r', output: 3, where: { field: 'diaSource.snrr', gt: 50 } }] }] }),
    );
    const r = await filterCommand('--filters', p, ...base);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.stderr).toContain(`efd: ${p}: 1 problem(s) in the filter definitions:`);
    expect(r.stderr).toContain(
      'filter "bright-r" (groups[0].filters[0]) where.field: "diaSource.snrr" is not an alert field — did you mean diaSource.snr?',
    );
  });

  it('a group the set does not have: exit 3; no set at all: exit 2', async () => {
    const r = await filterCommand('--set', 'seed004', '--group', '6', ...base);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.stderr).toContain('efd: filter set seed004 has no group "6": its groups are 1, 2, 3, 4, 5');
    const none = await filterCommand(...base);
    expect(none.code).toBe(EXIT.usage);
    expect(none.stderr).toContain('no filters: give --set seed004 or --filters FILE.json');
  });
});

describe('ReadBackCache', () => {
  const rec = (partition: number, timestampMs: number): EmittedRecord => ({
    filter: 0,
    partition,
    visit: '1',
    alertId: `${partition}-${timestampMs}`,
    timestampMs,
  });

  it('one read serves every partition, until a send of that partition settled after it started', async () => {
    const loads: number[] = [];
    let data = [rec(0, 100), rec(1, 100), rec(1, 300)];
    const cache = new ReadBackCache(async (fromMs) => (loads.push(fromMs), data.filter((r) => r.timestampMs >= fromMs)));
    await cache.prefetch(50);
    expect((await cache.read(200, 1)).map((r) => r.alertId)).toEqual(['1-300']);
    expect((await cache.read(60, 0)).map((r) => r.alertId)).toEqual(['0-100']);
    expect(loads).toEqual([50]);
    // partition 0 sent since: its next rebuild reads again; partition 1's does not
    cache.settled(0);
    data = [...data, rec(0, 400)];
    expect((await cache.read(60, 1)).length).toBe(2);
    expect(loads).toEqual([50]);
    expect((await cache.read(60, 0)).map((r) => r.alertId)).toEqual(['0-100', '0-400']);
    expect(loads).toEqual([50, 60]);
    // an earlier start than the cached read: read again
    await cache.read(10, 1);
    expect(loads).toEqual([50, 60, 10]);
    expect(cache.reads).toBe(3);
  });

  it('emittedOf: filter, source partition, visit, alertId and time from the output records', () => {
    const m = (topic: string, headers: Record<string, Buffer> | undefined, key = '77') => ({
      topic,
      partition: 0,
      key: Buffer.from(key),
      value: null,
      headers,
      offset: '5',
      timestamp: '1234',
    });
    const h = { visit: Buffer.from('2026010100123'), 'efd.source.partition': Buffer.from('4') };
    expect(emittedOf([m('F2', h), m('F9', h), m('F1', undefined), m('F1', h)], ['F1', 'F2'])).toEqual([
      { filter: 1, partition: 4, visit: '2026010100123', alertId: '77', timestampMs: 1234 },
      { filter: 0, partition: 4, visit: '2026010100123', alertId: '77', timestampMs: 1234 },
    ]);
  });
});
