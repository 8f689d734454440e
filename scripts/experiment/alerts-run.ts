/**
 * `efd alerts experiment` without its CLI: seed 004's mini-broker end to end on an EFD (the local one by
 * default), as real processes —
 *
 * 1. the alert topic `<prefix>alerts` (10 partitions, as `efd alerts produce` makes it);
 * 2. the 5 filter groups of seed004 (`efd alerts filter --set seed004 --group G`, one process each), until
 *    each consumer group is stable;
 * 3. the users, `--users` of them spread over the 100 filter topics as the gcp-alerts stack spreads its
 *    consumers (config/alerts.ts spreadOver), in monitor mode: `--users-per-process` users in each process
 *    (./alerts-users.ts: consume.ts's runAlertsUsers, each user its own consumer and group), until every one
 *    consumes;
 * 4. the producer (`efd alerts produce --visits N …`), its line per visit read as it comes;
 * 5. until every group committed the last visit's end and every user reached its topic's end; then the
 *    processes stop and the filter topics are read back.
 *
 * Meanwhile every filter group's committed offsets are polled ({@link POLL_MS}), so a group's finish time is
 * known to within a poll. The report: ./alerts-report.ts. The topics and the subject are deleted afterwards
 * unless kept. `--find-max` ({@link runAlertsFindMax}) runs it at growing visit sizes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spreadOver } from '../../config/alerts';
import { ALERTS_TOPIC, filterTopicOf } from '../../config/names';
import { filterGroupId } from '../../apps/alerts/filter-cli';
import { namedFilterSet } from '../../apps/alerts/filter-sets';
import { parseStatusLine } from '../../apps/alerts/consume';
import { parseVisitLine } from '../../apps/alerts/produce';
import { UnreachableError } from '../../apps/lib/exit-codes';
import { createAdmin, type EfdAdmin } from '../../apps/lib/kafka-admin';
import { createConsumer } from '../../apps/lib/kafka-consumer';
import { silentLogger } from '../../apps/lib/logging';
import { createRegistry } from '../../apps/lib/registry';
import { sleep } from '../../apps/lib/retry';
import {
  alertsSummaryLines,
  buildAlertsReport,
  findMaxStep,
  findMaxSummaryLines,
  type FindMaxReport,
  writeAlertsReport,
  type AlertsExperimentReport,
  type AlertsExperimentSettings,
  type CpuSample,
  type FilterTopic,
  type GroupProgress,
  type ProducedVisit,
  type UserProgress,
} from './alerts-report';
import { USERS_RUNNING, type UsersProcessArgs } from './alerts-users';
import { machineBusySeconds, treeCpuSeconds } from './proc-cpu';

const root = path.resolve(__dirname, '..', '..');
const TSX = path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const EFD_MAIN = path.join(root, 'apps', 'cli', 'main.ts');
const USERS_MAIN = path.join(__dirname, 'alerts-users.ts');

/** How often the filter groups' committed offsets are read (their finish times are known to within this). */
export const POLL_MS = 50;
/** How often the processes' CPU is read. */
const CPU_EVERY_MS = 1000;
/** The seed's filter set. */
const FILTER_SET = 'seed004';

export interface AlertsExperimentOptions {
  endpoints: { kafka: string; registry: string };
  /** Visits measured. @default 2 */
  visits?: number;
  /** Visits produced first, reported but not counted (the processes' first work). @default 1 */
  warmUpVisits?: number;
  /** @default 10,000 */
  alertsPerVisit?: number;
  /** @default 39 s */
  intervalS?: number;
  /** @default 100 */
  users?: number;
  /** @default 50 */
  usersPerProcess?: number;
  /** @default true */
  cutouts?: boolean;
  /** @default 4 */
  seed?: number;
  /** Partitions of the alert topic. @default 10 */
  partitions?: number;
  /** Topic prefix (default `<id>.`, the run's own). */
  prefix?: string;
  /** Report folder. @default experiments/<id> under the repository */
  outDir?: string;
  /** @default true */
  plots?: boolean;
  /** Keep the topics and the subject afterwards. @default false (EFD_EXPERIMENT_KEEP=1) */
  keep?: boolean;
  /** Longest wait after the last visit's ack for the filters and users, s. @default max(60, interval) */
  drainTimeoutS?: number;
  /** The Kafka broker's process, for its CPU in the report (the local EFD's; unknown elsewhere). */
  brokerPid?: number;
  say?: (line: string) => void;
}

export class AlertsExperimentError extends Error {
  constructor(
    message: string,
    readonly report: AlertsExperimentReport,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

interface Child {
  name: string;
  proc: ChildProcess;
  /** The last lines of its stderr (and stdout lines nobody read). */
  tail: () => string;
}

function spawnChild(name: string, script: string, args: string[], onLine: (line: string) => void): Child {
  const proc = spawn(process.execPath, [TSX, script, ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: process.env.EFD_EXPERIMENT_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (l: string) => {
    tail.push(l);
    if (tail.length > 30) tail.shift();
  };
  let partial = '';
  proc.stdout?.on('data', (d) => {
    const lines = (partial + String(d)).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim()) onLine(l);
  });
  let errPartial = '';
  proc.stderr?.on('data', (d) => {
    const lines = (errPartial + String(d)).split('\n');
    errPartial = lines.pop() ?? '';
    lines.filter((l) => l.trim()).forEach(keep);
  });
  return { name, proc, tail: () => [...tail, errPartial].filter(Boolean).join('\n') };
}

const exited = (c: Child) => c.proc.exitCode !== null || c.proc.signalCode !== null;

function stop(children: Child[]): Promise<unknown> {
  for (const c of children) if (!exited(c)) c.proc.kill('SIGTERM');
  return Promise.all(children.map((c) => (exited(c) ? undefined : new Promise((r) => c.proc.once('exit', r)))));
}

/** Throws naming the first child that stopped (with its last lines), if one did. */
function checkAlive(children: Child[], when: string): void {
  const died = children.find(exited);
  if (died) {
    throw new Error(`${died.name} stopped ${when} (exit ${died.proc.exitCode ?? died.proc.signalCode}):\n${died.tail()}`);
  }
}

async function until(what: string, timeoutMs: number, children: Child[], probe: () => Promise<boolean> | boolean, everyMs = 200) {
  const t0 = Date.now();
  for (;;) {
    checkAlive(children, `while waiting for ${what}`);
    if (await probe()) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)} s`);
    await sleep(everyMs);
  }
}

/** Kafka and the registry answer; throws naming each one that does not (a quick admin of its own: no long retries). */
async function preflight(e: AlertsExperimentOptions['endpoints']): Promise<void> {
  const problems: string[] = [];
  const admin = createAdmin({
    brokers: e.kafka,
    clientId: 'alerts-experiment-preflight',
    logger: silentLogger(),
    connectionTimeoutMs: 10_000,
    requestTimeoutMs: 10_000,
    retries: 1,
  });
  const kafka = async () => {
    try {
      await admin.connect();
      await admin.listTopics();
    } catch (err) {
      problems.push(
        `Kafka at ${e.kafka} does not answer (${(err as Error).message}): start the local EFD (efd local up), or pass --brokers`,
      );
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
  const registry = async () => {
    try {
      await createRegistry(e.registry, { logger: silentLogger(), retry: { attempts: 1 } }).listSubjects();
    } catch (err) {
      problems.push(`the schema registry at ${e.registry} does not answer (${(err as Error).message}): pass --registry`);
    }
  };
  await Promise.all([kafka(), registry()]);
  if (problems.length) throw new UnreachableError(problems.join('; '));
}

/** Sum over the partitions of what a group committed of `topic`. */
async function committedTotal(admin: EfdAdmin, group: string, topic: string): Promise<number> {
  return (await admin.groupOffsets(group, [topic])).reduce((n, o) => n + Math.max(0, Number(o.offset)), 0);
}

/** Every record of the filter topics (visit header, offset, timestamp), read from their beginning to `ends`. */
async function readFilterTopics(
  kafka: string,
  topics: { topic: string; cap: number }[],
  ends: Map<string, number>,
  groupId: string,
): Promise<FilterTopic[]> {
  const byTopic = new Map(topics.map((t) => [t.topic, { ...t, records: [] as FilterTopic['records'] }]));
  const expected = [...ends.values()].reduce((a, b) => a + b, 0);
  if (expected === 0) return [...byTopic.values()];
  let got = 0;
  const consumer = createConsumer(
    { brokers: kafka, clientId: 'alerts-experiment-read', logger: silentLogger() },
    { groupId, maxWaitTimeMs: 100 },
  );
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: topics.filter((t) => (ends.get(t.topic) ?? 0) > 0).map((t) => t.topic), fromBeginning: true });
    await consumer.run({
      partitionsConcurrency: 8,
      eachBatch: async (b) => {
        const t = byTopic.get(b.topic)!;
        for (const m of b.messages) {
          const v = m.headers?.visit;
          t.records.push({
            offset: Number(m.offset),
            visit: v === undefined ? '' : String(Array.isArray(v) ? v[0] : v),
            timestampMs: Number(m.timestamp),
          });
          got++;
        }
        if (got >= expected) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      finished,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`reading the filter topics back: ${got} of ${expected} records within 120 s`)), 120_000);
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return [...byTopic.values()];
}

/** Drops the run's topics and the alert subject. */
async function cleanUp(admin: EfdAdmin, registry: string, prefix: string, say: (l: string) => void): Promise<void> {
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length) await admin.deleteTopics(topics);
    const reg = createRegistry(registry, { logger: silentLogger(), retry: { attempts: 2 } });
    await reg.deleteSubject(`${prefix}${ALERTS_TOPIC}-value`).catch(() => undefined);
    await reg.deleteSubject(`${prefix}${ALERTS_TOPIC}-value`, { permanent: true }).catch(() => undefined);
    say(`  cleaned up: ${topics.length} topics and the subject ${prefix}${ALERTS_TOPIC}-value deleted (--keep keeps them)`);
  } catch (err) {
    say(`  clean-up incomplete: ${(err as Error).message}`);
  }
}

export async function runAlertsExperiment(o: AlertsExperimentOptions): Promise<AlertsExperimentReport> {
  const say = o.say ?? ((l: string) => process.stdout.write(`${l}\n`));
  const stamp = new Date()
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 14);
  const id = `alertsexp${stamp}${randomBytes(2).toString('hex')}`;
  const prefix = o.prefix ?? `${id}.`;
  const set = namedFilterSet(FILTER_SET);
  const filters = set.groups.flatMap((g) => g.filters);
  const users = o.users ?? 100;
  const usersPerProcess = Math.max(1, Math.min(o.usersPerProcess ?? 50, users));
  const settings: AlertsExperimentSettings = {
    prefix,
    visits: o.visits ?? 2,
    warmUpVisits: o.warmUpVisits ?? 1,
    cores: os.cpus().length,
    alertsPerVisit: o.alertsPerVisit ?? 10_000,
    intervalS: o.intervalS ?? 39,
    users,
    usersPerProcess,
    userProcesses: Math.ceil(users / usersPerProcess),
    cutouts: o.cutouts ?? true,
    seed: o.seed ?? 4,
    partitions: o.partitions ?? 10,
    filterGroups: set.groups.length,
    filters: filters.length,
    endpoints: o.endpoints,
  };
  const outDir = path.resolve(o.outDir ?? path.join(root, 'experiments', id));
  const { kafka, registry } = o.endpoints;
  const source = `${prefix}${ALERTS_TOPIC}`;
  const startedAt = new Date();
  const produced: ProducedVisit[] = [];
  const groups: GroupProgress[] = set.groups.map((g) => ({ group: filterGroupId(g.name, prefix), steps: [] }));
  // user i reads topicOf[i]; its status lines, as they come
  const topicOf = spreadOver(users, filters.length).flatMap((n, i) => Array.from({ length: n }, () => filterTopicOf(filters[i].output)));
  const userProgress: UserProgress[] = topicOf.map((t, user) => ({ user, topic: `${prefix}${t}`, ends: [] }));
  let topics: FilterTopic[] | undefined;
  const cpu: CpuSample[] = [];
  const children: Child[] = [];
  const admin = createAdmin({ brokers: kafka, clientId: 'alerts-experiment', logger: silentLogger() });
  let sampling = false;
  let sampler: Promise<void> = Promise.resolve();
  /** Past the preflight: there may be topics to delete. */
  let started = false;
  const report = (status: 'ok' | 'failed', error?: string) =>
    buildAlertsReport({
      id,
      status,
      error,
      startedAt,
      finishedAt: new Date(),
      settings,
      produced,
      groups,
      users: userProgress,
      topics,
      cpu,
    });
  try {
    await preflight(o.endpoints);
    await admin.connect();
    started = true;
    say(
      `alerts experiment ${id}: ${settings.visits} visit(s)${settings.warmUpVisits ? ` after ${settings.warmUpVisits} warm-up` : ''} of ${settings.alertsPerVisit} alerts every ${settings.intervalS} s` +
        `${settings.cutouts ? ' with cutouts' : ''}; ${filters.length} filters in ${set.groups.length} processes; ` +
        `${users} users in ${settings.userProcesses} process(es); topics ${prefix}*`,
    );
    let phase = Date.now();
    const took = () => {
      const t = ((Date.now() - phase) / 1000).toFixed(1);
      phase = Date.now();
      return `${t} s`;
    };
    await admin.createTopics([{ topic: source, partitions: settings.partitions }]);

    // the filter groups, one process each, until each consumer group is stable with its member
    for (const g of set.groups) {
      const args = ['alerts', 'filter', '--set', FILTER_SET, '--group', g.name, '--topic-prefix', prefix];
      children.push(
        spawnChild(
          `efd alerts filter --group ${g.name}`,
          EFD_MAIN,
          [...args, '--brokers', kafka, '--registry', registry, '--metrics-port', '0'],
          () => undefined,
        ),
      );
    }
    for (const g of groups) {
      await until(`filter group ${g.group} stable`, 120_000, children, async () => {
        const d = await admin.describeGroup(g.group);
        return d.state === 'Stable' && d.members.length === 1;
      });
    }
    say(`  ${set.groups.length} filter groups consuming (${took()})`);

    // the users, usersPerProcess to a process
    const filterChildren = [...children];
    const running = new Set<number>();
    const userChildren: Child[] = [];
    for (let first = 0, p = 0; first < users; first += usersPerProcess, p++) {
      const args: UsersProcessArgs = { brokers: kafka, topicPrefix: prefix, first, topics: topicOf.slice(first, first + usersPerProcess) };
      const c = spawnChild(
        `users process ${p + 1} (users ${first}–${first + args.topics.length - 1})`,
        USERS_MAIN,
        [JSON.stringify(args)],
        (line) => {
          if (line.startsWith(USERS_RUNNING)) {
            running.add(p);
            return;
          }
          const m = /^user:(\d+), (.*)$/.exec(line);
          const s = m ? parseStatusLine(m[2]) : undefined;
          if (m && s) userProgress[Number(m[1])]?.ends.push([s.receivedMs, s.end]);
        },
      );
      children.push(c);
      userChildren.push(c);
    }
    await until(`${users} users consuming`, 180_000, children, () => running.size === userChildren.length);
    say(`  ${users} users consuming (${took()})`);

    // the filter groups' progress, polled all along
    const pids: { producer?: number } = {};
    const sum = (xs: (number | undefined)[]) => (xs.every((x) => x !== undefined) ? xs.reduce((a, b) => a! + b!, 0) : undefined);
    const sampleCpu = () =>
      cpu.push({
        t: Date.now(),
        producer: treeCpuSeconds(pids.producer),
        filters: sum(filterChildren.map((c) => treeCpuSeconds(c.proc.pid))),
        users: sum(userChildren.map((c) => treeCpuSeconds(c.proc.pid))),
        broker: treeCpuSeconds(o.brokerPid),
        machine: machineBusySeconds(),
      });
    let lastCpu = 0;
    sampling = true;
    sampler = (async () => {
      while (sampling) {
        if (Date.now() - lastCpu >= CPU_EVERY_MS) {
          lastCpu = Date.now();
          sampleCpu();
        }
        await Promise.all(
          groups.map(async (g) => {
            const n = await committedTotal(admin, g.group, source).catch(() => undefined);
            const last = g.steps[g.steps.length - 1];
            if (n !== undefined && (!last || n > last[1])) g.steps.push([Date.now(), n]);
          }),
        );
        await sleep(POLL_MS);
      }
    })();

    const produceVisits = settings.warmUpVisits + settings.visits;
    const total = produceVisits * settings.alertsPerVisit;
    const producer = spawnChild(
      'efd alerts produce',
      EFD_MAIN,
      [
        'alerts',
        'produce',
        '--visits',
        String(produceVisits),
        '--alerts-per-visit',
        String(settings.alertsPerVisit),
        '--interval',
        String(settings.intervalS),
        '--seed',
        String(settings.seed),
        '--topic-prefix',
        prefix,
        '--partitions',
        String(settings.partitions),
        ...(settings.cutouts ? [] : ['--no-cutouts']),
        '--brokers',
        kafka,
        '--registry',
        registry,
        '--metrics-port',
        '0',
      ],
      (line) => {
        const v = parseVisitLine(line);
        if (!v) return;
        produced.push(v);
        say(
          `  visit ${v.index} (${v.visit}): ${v.alerts} alerts produced in ${v.produceS.toFixed(2)} s${v.lateS ? `, ${v.lateS} s late` : ''}`,
        );
      },
    );
    pids.producer = producer.proc.pid;
    await new Promise<void>((resolve, reject) => {
      const others = setInterval(() => {
        try {
          checkAlive(children, 'while the producer ran');
        } catch (err) {
          clearInterval(others);
          reject(err as Error);
        }
      }, 500);
      producer.proc.once('exit', (code) => {
        clearInterval(others);
        if (code === 0 && produced.length === produceVisits) resolve();
        else reject(new Error(`efd alerts produce exited ${code} after ${produced.length} visit(s):\n${producer.tail()}`));
      });
    });

    // drain: every group committed the end, then every user at its topic's end
    const lastAck = produced[produced.length - 1].lastAckMs;
    const drainMs = (o.drainTimeoutS ?? Math.max(60, settings.intervalS)) * 1000 - (Date.now() - lastAck);
    await until(`every filter group through the ${total} alerts`, Math.max(drainMs, 1000), children, () =>
      groups.every((g) => (g.steps[g.steps.length - 1]?.[1] ?? 0) >= total),
    );
    const ends = new Map<string, number>();
    for (const t of new Set(filters.map((f) => `${prefix}${filterTopicOf(f.output)}`))) {
      ends.set(
        t,
        (await admin.topicOffsets(t)).reduce((n, p) => n + Number(p.high), 0),
      );
    }
    await until(
      `every user at its topic's end`,
      Math.max((o.drainTimeoutS ?? Math.max(60, settings.intervalS)) * 1000 - (Date.now() - lastAck), 1000),
      children,
      () => userProgress.every((u) => (u.ends[u.ends.length - 1]?.[1] ?? 0) >= (ends.get(u.topic) ?? 0)),
    );
    sampling = false;
    await sampler;
    sampleCpu();
    await stop(children);
    topics = await readFilterTopics(
      kafka,
      filters.map((f) => ({ topic: `${prefix}${filterTopicOf(f.output)}`, cap: f.cap })),
      ends,
      `${prefix}alerts-experiment-read`,
    );
    const done = report('ok');
    await writeAlertsReport(done, outDir, { plots: o.plots ?? true });
    return done;
  } catch (err) {
    sampling = false;
    await sampler;
    const failed = report('failed', (err as Error).message);
    await writeAlertsReport(failed, outDir, { plots: o.plots ?? true }).catch((e: Error) => say(`  report not written: ${e.message}`));
    throw new AlertsExperimentError((err as Error).message, failed, err);
  } finally {
    await stop(children);
    if (started && !(o.keep ?? process.env.EFD_EXPERIMENT_KEEP === '1')) await cleanUp(admin, registry, prefix, say);
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Runs the experiment at each visit size in turn (each a run of its own, in `<out>/<size>`) until one is not
 * kept up with; the largest kept up with is the answer. Writes `<out>/find-max.json` and `find-max.txt`.
 */
export async function runAlertsFindMax(o: AlertsExperimentOptions, sizes: number[]): Promise<FindMaxReport> {
  const say = o.say ?? ((l: string) => process.stdout.write(`${l}\n`));
  const stamp = new Date()
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 14);
  const outDir = path.resolve(o.outDir ?? path.join(root, 'experiments', `alerts-find-max-${stamp}`));
  const r: FindMaxReport = { intervalS: o.intervalS ?? 39, visits: o.visits ?? 2, steps: [], largestKeptUp: null, files: [] };
  for (const size of sizes) {
    const dir = path.join(outDir, String(size));
    let rep: AlertsExperimentReport;
    try {
      rep = await runAlertsExperiment({ ...o, alertsPerVisit: size, outDir: dir, prefix: o.prefix ? `${o.prefix}${size}.` : undefined });
    } catch (err) {
      if (!(err instanceof AlertsExperimentError)) throw err;
      rep = err.report;
    }
    alertsSummaryLines(rep).forEach(say);
    r.steps.push(findMaxStep(size, rep, dir));
    if (!rep.keptUp) break;
    r.largestKeptUp = size;
  }
  fs.mkdirSync(outDir, { recursive: true });
  const json = path.join(outDir, 'find-max.json');
  const text = path.join(outDir, 'find-max.txt');
  r.files = [json, text];
  fs.writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  fs.writeFileSync(text, `${findMaxSummaryLines(r).join('\n')}\n`);
  return r;
}
