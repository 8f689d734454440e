import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EXIT, exitCodeOf } from '../../apps/lib/exit-codes';
import { closedPort, efd } from '../../test/cli';
import { alertsExperimentOptions, FIND_MAX_SIZES, findMaxSizes } from './alerts-cli';

const local = () => ({ kafka: '127.0.0.1:9092', registry: 'http://127.0.0.1:8081/apis/ccompat/v7' });

describe('alertsExperimentOptions', () => {
  it("defaults: 2 visits of 10,000 alerts every 39 s with cutouts, 100 users 50 to a process, the local EFD's cluster a", () => {
    expect(alertsExperimentOptions({}, local)).toEqual({
      endpoints: local(),
      visits: 2,
      warmUpVisits: 1,
      alertsPerVisit: 10_000,
      intervalS: 39,
      users: 100,
      usersPerProcess: 50,
      cutouts: true,
      seed: 4,
      prefix: undefined,
      outDir: undefined,
      plots: true,
      keep: undefined,
      drainTimeoutS: undefined,
    });
  });

  it('takes the flags: a shorter interval as a duration or seconds, no cutouts, other endpoints', () => {
    const o = alertsExperimentOptions(
      {
        visits: '3',
        alertsPerVisit: '2000',
        interval: '5s',
        users: '10',
        usersPerProcess: '4',
        cutouts: false,
        brokers: 'k:1',
        registry: 'http://r',
        drainTimeout: '1m',
      },
      () => {
        throw new Error('not asked when both endpoints are given');
      },
    );
    expect(o).toMatchObject({
      visits: 3,
      alertsPerVisit: 2000,
      intervalS: 5,
      users: 10,
      usersPerProcess: 4,
      cutouts: false,
      endpoints: { kafka: 'k:1', registry: 'http://r' },
      drainTimeoutS: 60,
    });
    expect(alertsExperimentOptions({ interval: '0.5' }, local).intervalS).toBe(0.5);
    expect(alertsExperimentOptions({ warmUpVisits: '0' }, local).warmUpVisits).toBe(0);
    expect(alertsExperimentOptions({ brokers: 'k:2' }, local).endpoints).toEqual({ kafka: 'k:2', registry: local().registry });
    // the local broker's CPU is measured only when the run uses the local broker
    const withPid = () => ({ ...local(), brokerPid: 42 });
    expect(alertsExperimentOptions({}, withPid).brokerPid).toBe(42);
    expect(alertsExperimentOptions({ brokers: 'k:2' }, withPid).brokerPid).toBeUndefined();
  });

  it('refuses bad values naming the flag (usage, exit 2)', () => {
    const bad = (flags: Record<string, string>, msg: RegExp) => {
      let err: unknown;
      try {
        alertsExperimentOptions(flags, local);
      } catch (e) {
        err = e;
      }
      expect((err as Error).message).toMatch(msg);
      expect(exitCodeOf(err)).toBe(EXIT.usage);
    };
    bad({ visits: '0' }, /^--visits must be a whole number from 1 to/);
    bad({ alertsPerVisit: '100001' }, /^--alerts-per-visit must be a whole number from 1 to 100,000 \(got "100001"\)$/);
    bad({ interval: 'soon' }, /^--interval "soon": /);
    bad({ users: '1.5' }, /^--users must be a whole number/);
  });

  it('a local EFD that is not up: unreachable (exit 4), saying how to start it or what to pass', () => {
    let err: unknown;
    try {
      alertsExperimentOptions({}, () => {
        throw new Error('Local EFD endpoints file /x/endpoints.json not found: the local EFD is not running.');
      });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe(
      'Local EFD endpoints file /x/endpoints.json not found: the local EFD is not running. Or pass --brokers and --registry.',
    );
    expect(exitCodeOf(err)).toBe(EXIT.unreachable);
  });
});

describe('findMaxSizes', () => {
  it('off, the default steps, or a growing list', () => {
    expect(findMaxSizes(undefined)).toBeUndefined();
    expect(findMaxSizes(true)).toEqual(FIND_MAX_SIZES);
    expect(FIND_MAX_SIZES).toEqual([10_000, 20_000, 50_000, 100_000]);
    expect(findMaxSizes('1000, 5000')).toEqual([1000, 5000]);
    expect(() => findMaxSizes('5000,1000')).toThrow('--find-max 5000,1000: list the sizes growing, e.g. 10000,20000,50000');
    expect(() => findMaxSizes('200000')).toThrow(/^--find-max must be a whole number from 1 to 100,000/);
  });
});

test('efd alerts experiment with a bad flag exits 2 before anything starts', async () => {
  const r = await efd('alerts', 'experiment', '--visits', '0', '--brokers', 'k:1', '--registry', 'http://r');
  expect(r.code).toBe(EXIT.usage);
  expect(r.output).toContain('efd alerts experiment: --visits must be a whole number from 1 to');
});

test('Kafka and the registry not answering: exit 4 naming both and the flags, nothing started, the failed report written', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'alerts-exp-'));
  try {
    const [k, r] = [await closedPort(), await closedPort()];
    const run = await efd(
      'alerts',
      'experiment',
      '--brokers',
      `127.0.0.1:${k}`,
      '--registry',
      `http://127.0.0.1:${r}`,
      '--out',
      out,
      '--no-plots',
    );
    expect(run.code).toBe(EXIT.unreachable);
    expect(run.output).toContain(`Kafka at 127.0.0.1:${k} does not answer`);
    expect(run.output).toContain(`the schema registry at http://127.0.0.1:${r} does not answer`);
    expect(run.output).not.toContain('cleaned up');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'))).toMatchObject({ status: 'failed', visits: [] });
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
