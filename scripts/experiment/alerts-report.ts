/**
 * The report of `efd alerts experiment` (./alerts-run.ts), built from what the run measured alone (pure,
 * tested), so a failed run reports what it got up to the failure:
 *
 * - per visit, the producer's line (`efd alerts produce`: first alert made → last acknowledged);
 * - per filter group, when its committed source offsets reached the end of the visit (a group commits a
 *   record only once its filters' outputs of it are acknowledged: the group is done with the visit), in
 *   seconds after the visit's last acknowledgement;
 * - per user, when it received the last alert of the visit on its topic (the first of its status lines whose
 *   end offset is past that alert's offset), in seconds after the visit's last acknowledgement — negative
 *   when a filter passed its last alert of the visit before the producer was done (a capped filter often
 *   has its cap early in the visit) — and that alert's end-to-end time (its record timestamp, which the
 *   filter keeps from the producer, to the user's receipt);
 * - per filter, how many alerts it passed in the visit (from the filter topics' records, read back).
 *
 * - per visit, the CPU seconds the producer, the filter processes, the users' processes and the broker used
 *   over the visit's interval, and the whole machine's busy CPU (a shared machine: what others took).
 *
 * A visit is kept up with when every filter group and every user with an alert of it was done before the
 * next visit was due (t0 + (k+1) · interval). The first `warmUpVisits` visits (the processes' first work:
 * JIT, connections, schema look-ups, the broker's new segments) are reported but do not count.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The producer's line for one visit (apps/alerts/produce.ts visitLine, parsed). */
export interface ProducedVisit {
  index: number;
  /** Visit id (diaSource.ccdVisitId's visit). */
  visit: string;
  alerts: number;
  bytes: number;
  firstMs: number;
  submittedMs: number;
  lastAckMs: number;
  produceS: number;
  /** Started this much after its time (s), when late. */
  lateS?: number;
}

/** A filter group's committed total over the alert topic's partitions, each time it changed. */
export interface GroupProgress {
  group: string;
  /** [ms, committed records] in time order. */
  steps: [number, number][];
}

/** One user's status lines (apps/alerts/consume.ts statusLine, parsed): end offsets as reached, in time order. */
export interface UserProgress {
  user: number;
  topic: string;
  /** [ms received, end offset]. */
  ends: [number, number][];
}

/** One record of a filter topic, read back after the run. */
export interface FilterRecord {
  offset: number;
  visit: string;
  timestampMs: number;
}

export interface FilterTopic {
  topic: string;
  /** The filter's cap per visit. */
  cap: number;
  records: FilterRecord[];
}

/** CPU seconds used so far (cumulative), at a time. */
export interface CpuSample {
  t: number;
  producer?: number;
  filters?: number;
  users?: number;
  broker?: number;
  /** Every process of the machine (all cores). */
  machine?: number;
}

export const CPU_ROLES = ['producer', 'filters', 'users', 'broker', 'machine'] as const;
export type CpuRole = (typeof CPU_ROLES)[number];

export interface AlertsExperimentSettings {
  prefix: string;
  /** Visits measured (after the warm-up ones). */
  visits: number;
  /** Visits produced first and not counted. */
  warmUpVisits: number;
  /** Cores of the machine (the CPU available per visit is cores × interval). */
  cores: number;
  alertsPerVisit: number;
  intervalS: number;
  users: number;
  usersPerProcess: number;
  userProcesses: number;
  cutouts: boolean;
  seed: number;
  partitions: number;
  filterGroups: number;
  filters: number;
  endpoints: { kafka: string; registry: string };
}

export interface ReportInput {
  id: string;
  status: 'ok' | 'failed';
  error?: string;
  startedAt: Date;
  finishedAt: Date;
  settings: AlertsExperimentSettings;
  produced: ProducedVisit[];
  groups: GroupProgress[];
  users: UserProgress[];
  /** The filter topics' records (undefined: not read, the run failed before). */
  topics?: FilterTopic[];
  /** CPU used, sampled along the run. */
  cpu?: CpuSample[];
}

/** Seconds: p50, p99 and max over a set, nearest rank; null when empty. */
export interface Spread {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface VisitResult {
  index: number;
  /** A warm-up visit: reported, not counted. */
  warmUp: boolean;
  visit: string;
  alerts: number;
  bytes: number;
  /** First alert made → last acknowledged, s. */
  produceS: number;
  lateS: number;
  /** When the next visit was due, s after this one's last ack. */
  nextVisitAfterAckS: number;
  /** Per filter group, s after the visit's last ack until it committed the visit's end (null: never). */
  filterGroupsDoneS: { group: string; s: number | null }[];
  /** Over the users with an alert of the visit: s after the last ack they received its last one. */
  userReceiptS: Spread;
  /** Over the same users: the end-to-end time of that alert (its producer timestamp → received), s. */
  userEndToEndS: Spread;
  /** Users whose topic got nothing of the visit. */
  usersWithoutAlerts: number;
  /** Users that never received the visit's last alert of their topic. */
  usersMissing: number;
  /** Alerts per filter in the visit (from the filter topics). */
  perFilter: { min: number; median: number; max: number; atCap: number; none: number; total: number } | null;
  /** Every filter group and user done before the next visit was due. */
  keptUp: boolean;
  /** CPU seconds per role over the visit's interval (`windowS` of it sampled); null without samples. */
  cpuS: ({ windowS: number } & Record<CpuRole, number | null>) | null;
}

export interface AlertsExperimentReport {
  id: string;
  status: 'ok' | 'failed';
  error?: string;
  startedAt: string;
  finishedAt: string;
  settings: AlertsExperimentSettings;
  visits: VisitResult[];
  /** Alerts produced, and passed to the filter topics in all. */
  produced: number;
  passed: number | null;
  /** Users whose last status line names their topic's end (everything received). */
  usersComplete: number | null;
  /** Every measured visit kept up with (and the run ok). */
  keptUp: boolean;
  /** Per user and visit, for the plot: [visit index, user, s after the last ack]. */
  receipts: [number, number, number][];
  files: string[];
}

/** Nearest-rank quantile of sorted values. */
function rank(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

export function spread(values: number[]): Spread {
  if (values.length === 0) return { count: 0, p50: null, p99: null, max: null };
  const s = [...values].sort((a, b) => a - b);
  return { count: s.length, p50: r3(rank(s, 0.5)), p99: r3(rank(s, 0.99)), max: r3(s[s.length - 1]) };
}

/** When the steps first reached `total` (ms), undefined when they never did. */
export function reachedAt(steps: readonly [number, number][], total: number): number | undefined {
  return steps.find(([, n]) => n >= total)?.[0];
}

/**
 * CPU per role between the first sample at or after `fromMs` and the last at or before `toMs` (per role the
 * last sample there that has it: the producer ends with its last visit); null without two samples there.
 */
export function cpuBetween(samples: readonly CpuSample[], fromMs: number, toMs: number): VisitResult['cpuS'] {
  const inside = samples.filter((x) => x.t >= fromMs && x.t <= toMs);
  if (inside.length < 2) return null;
  const a = inside[0];
  const d = (k: CpuRole) => {
    const b = [...inside].reverse().find((x) => x[k] !== undefined);
    return a[k] === undefined || !b || b === a ? null : r3(b[k]! - a[k]!);
  };
  return {
    windowS: r3((inside[inside.length - 1].t - a.t) / 1000),
    producer: d('producer'),
    filters: d('filters'),
    users: d('users'),
    broker: d('broker'),
    machine: d('machine'),
  };
}

export function buildAlertsReport(r: ReportInput): AlertsExperimentReport {
  const s = r.settings;
  const intervalMs = s.intervalS * 1000;
  const t0 = r.produced.length ? r.produced[0].firstMs - (r.produced[0].lateS ?? 0) * 1000 : 0;
  let cumulative = 0;
  const visits: VisitResult[] = [];
  const receipts: [number, number, number][] = [];
  for (const v of r.produced) {
    cumulative += v.alerts;
    const dueMs = t0 + (v.index + 1) * intervalMs;
    const afterAck = (ms: number) => r3((ms - v.lastAckMs) / 1000);
    const filterGroupsDoneS = r.groups.map((g) => {
      const at = reachedAt(g.steps, cumulative);
      return { group: g.group, s: at === undefined ? null : afterAck(at) };
    });
    const groupsInTime = r.groups.every((g) => (reachedAt(g.steps, cumulative) ?? Infinity) <= dueMs);

    // the filter topics: per topic, the visit's records (their last offset and its timestamp)
    const lastOf = new Map<string, FilterRecord | null>();
    const counts: number[] = [];
    let atCap = 0;
    for (const t of r.topics ?? []) {
      const mine = t.records.filter((x) => x.visit === v.visit);
      counts.push(mine.length);
      if (mine.length >= t.cap) atCap++;
      lastOf.set(t.topic, mine.length ? mine.reduce((a, b) => (b.offset > a.offset ? b : a)) : null);
    }
    const receipt: number[] = [];
    const e2e: number[] = [];
    let without = 0;
    let missing = 0;
    let usersInTime = true;
    for (const u of r.users) {
      const last = lastOf.get(u.topic);
      if (last === undefined && r.topics) continue; // not a filter topic of the run (cannot happen)
      if (!last) {
        if (r.topics) without++;
        continue;
      }
      const got = u.ends.find(([, end]) => end > last.offset);
      if (!got) {
        missing++;
        usersInTime = false;
        continue;
      }
      receipt.push(afterAck(got[0]));
      e2e.push(r3((got[0] - last.timestampMs) / 1000));
      receipts.push([v.index, u.user, afterAck(got[0])]);
      if (got[0] > dueMs) usersInTime = false;
    }
    const sorted = [...counts].sort((a, b) => a - b);
    visits.push({
      index: v.index,
      warmUp: v.index < s.warmUpVisits,
      visit: v.visit,
      alerts: v.alerts,
      bytes: v.bytes,
      produceS: v.produceS,
      lateS: v.lateS ?? 0,
      nextVisitAfterAckS: afterAck(dueMs),
      filterGroupsDoneS,
      userReceiptS: spread(receipt),
      userEndToEndS: spread(e2e),
      usersWithoutAlerts: without,
      usersMissing: missing,
      perFilter: r.topics
        ? {
            min: sorted[0] ?? 0,
            median: sorted.length ? rank(sorted, 0.5) : 0,
            max: sorted[sorted.length - 1] ?? 0,
            atCap,
            none: counts.filter((c) => c === 0).length,
            total: counts.reduce((a, b) => a + b, 0),
          }
        : null,
      keptUp: groupsInTime && usersInTime && !!r.topics && v.lastAckMs <= dueMs,
      cpuS: cpuBetween(r.cpu ?? [], dueMs - intervalMs, dueMs),
    });
  }
  const ends = new Map((r.topics ?? []).map((t) => [t.topic, t.records.length ? Math.max(...t.records.map((x) => x.offset)) + 1 : 0]));
  return {
    id: r.id,
    status: r.status,
    ...(r.error ? { error: r.error } : {}),
    startedAt: r.startedAt.toISOString(),
    finishedAt: r.finishedAt.toISOString(),
    settings: s,
    visits,
    produced: r.produced.reduce((n, v) => n + v.alerts, 0),
    passed: r.topics ? r.topics.reduce((n, t) => n + t.records.length, 0) : null,
    usersComplete: r.topics ? r.users.filter((u) => (u.ends[u.ends.length - 1]?.[1] ?? 0) === (ends.get(u.topic) ?? -1)).length : null,
    keptUp: r.status === 'ok' && visits.length === s.warmUpVisits + s.visits && visits.every((v) => v.warmUp || v.keptUp),
    receipts,
    files: [],
  };
}

const num = (v: number) => v.toLocaleString('en-US');
const sec = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)} s`);

/** The terminal summary (the figures of results.json, and where the files are). */
export function alertsSummaryLines(r: AlertsExperimentReport): string[] {
  const s = r.settings;
  const lines = [
    `alerts experiment ${r.id}: ${r.status === 'ok' ? 'done' : `FAILED: ${r.error?.split('\n')[0]}`}`,
    `  settings   ${s.visits} visit(s)${s.warmUpVisits ? ` after ${s.warmUpVisits} warm-up` : ''} of ${num(s.alertsPerVisit)} alerts every ${s.intervalS} s${s.cutouts ? ' with cutouts' : ' without cutouts'}, ` +
      `${s.filters} filters in ${s.filterGroups} processes, ${s.users} users (monitor) in ${s.userProcesses} process(es), ${s.partitions}-partition alert topic`,
  ];
  for (const v of r.visits) {
    const done = v.filterGroupsDoneS.map((g) => sec(g.s)).join(', ');
    const u = v.userReceiptS;
    const e = v.userEndToEndS;
    const f = v.perFilter;
    const c = v.cpuS;
    const cpu = (x: number | null) => (x === null ? '?' : x.toFixed(1));
    lines.push(
      `  visit ${v.index} (${v.visit})${v.warmUp ? ' warm-up, not counted:' : ''}  produced ${num(v.alerts)} alerts in ${v.produceS.toFixed(2)} s${v.lateS > 0.1 ? ` (started ${v.lateS.toFixed(2)} s late)` : ''}; ` +
        `${v.keptUp ? 'kept up' : 'NOT KEPT UP'} (next visit due ${v.nextVisitAfterAckS.toFixed(1)} s after the last ack)`,
      `    filter groups done after the last ack: ${done}`,
      `    users' last alert of the visit after the last ack: p50 ${sec(u.p50)}, p99 ${sec(u.p99)}, max ${sec(u.max)} (${u.count} users` +
        `${v.usersWithoutAlerts ? `, ${v.usersWithoutAlerts} got none` : ''}${v.usersMissing ? `, ${v.usersMissing} NEVER RECEIVED IT` : ''}); ` +
        `its end-to-end time p50 ${sec(e.p50)}, p99 ${sec(e.p99)}, max ${sec(e.max)}`,
      ...(f
        ? [
            `    alerts per filter: min ${f.min}, median ${f.median}, max ${f.max}; ${f.atCap} of ${s.filters} at the cap, ${f.none} passed none; ${num(f.total)} in all`,
          ]
        : []),
      ...(c
        ? [
            `    CPU over ${c.windowS.toFixed(1)} s of its interval: producer ${cpu(c.producer)} s, filters ${cpu(c.filters)} s, users ${cpu(c.users)} s, broker ${cpu(c.broker)} s; ` +
              `the machine ${cpu(c.machine)} of ${(c.windowS * s.cores).toFixed(0)} core-s busy` +
              (c.machine !== null
                ? ` (${cpu(Math.max(0, c.machine - CPU_ROLES.slice(0, 4).reduce((n, k) => n + (c[k] ?? 0), 0)))} s by other processes)`
                : ''),
          ]
        : []),
    );
  }
  lines.push(
    `  result     ${num(r.produced)} alerts produced, ${r.passed === null ? '?' : num(r.passed)} passed to the filter topics; ` +
      `${r.usersComplete === null ? '?' : r.usersComplete} of ${s.users} users received their whole topic; ` +
      `${r.keptUp ? `every measured visit kept up with at ${s.intervalS} s` : 'NOT every measured visit kept up with'}`,
  );
  if (r.files.length) lines.push(`  report     ${r.files.map((f) => `file://${f}`).join('\n             ')}`);
  return lines;
}

/**
 * Vega-Lite spec of the receipt plot: per visit, a row of the users' receipts of their last alert and a row
 * of the filter groups' finishes (s after the visit's last ack), and the time the next visit was due.
 */
export function receiptPlotSpec(r: AlertsExperimentReport): Record<string, unknown> {
  const USERS = 'users received their last alert';
  const GROUPS = 'filter groups done';
  const warm = new Set(r.visits.filter((v) => v.warmUp).map((v) => v.index));
  const row = (k: number, what: string) => `visit ${k}${warm.has(k) ? ' (warm-up)' : ''}: ${what === USERS ? 'users' : 'filter groups'}`;
  const values = [
    ...r.receipts.map(([k, , s]) => ({ row: row(k, USERS), s, kind: USERS })),
    ...r.visits.flatMap((v) =>
      v.filterGroupsDoneS.filter((g) => g.s !== null).map((g) => ({ row: row(v.index, GROUPS), s: g.s, kind: GROUPS })),
    ),
  ];
  const due = r.visits.flatMap((v) => [USERS, GROUPS].map((w) => ({ row: row(v.index, w), s: v.nextVisitAfterAckS })));
  const order = r.visits.flatMap((v) => [row(v.index, GROUPS), row(v.index, USERS)]);
  const s = r.settings;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Per visit: when users received their last alert, when the filter groups were done',
      subtitle: `${r.id}: ${num(s.alertsPerVisit)} alerts a visit every ${s.intervalS} s${s.cutouts ? ' with cutouts' : ''}, ${s.filters} filters, ${s.users} users; ▼ the next visit due${r.status === 'failed' ? ' (failed run: partial)' : ''}`,
    },
    width: 640,
    height: Math.max(80, 50 * 2 * r.visits.length),
    background: 'white',
    config: { font: 'DejaVu Sans', view: { stroke: null }, legend: { labelLimit: 400 } },
    layer: [
      {
        data: { values },
        mark: { type: 'tick', thickness: 2, opacity: 0.7 },
        encoding: {
          x: { field: 's', type: 'quantitative', title: 'seconds after the visit’s last alert was acknowledged' },
          y: { field: 'row', type: 'nominal', title: null, sort: order },
          color: { field: 'kind', type: 'nominal', title: null, legend: { orient: 'bottom' } },
        },
      },
      {
        data: { values: due },
        mark: { type: 'point', shape: 'triangle-down', size: 120, filled: true, color: '#d62728' },
        encoding: { x: { field: 's', type: 'quantitative' }, y: { field: 'row', type: 'nominal', sort: order } },
      },
    ],
  };
}

/** One step of `--find-max` (over the measured visits; the warm-up ones aside). */
export interface FindMaxStep {
  alertsPerVisit: number;
  status: 'ok' | 'failed';
  error?: string;
  keptUp: boolean;
  /** The slowest visit's produce time, s. */
  maxProduceS: number;
  /** The latest filter group finish over the visits, s after the visit's last ack. */
  maxFilterDoneS: number | null;
  /** The latest user receipt over the visits, s after the visit's last ack. */
  maxUserReceiptS: number | null;
  /** The least time left over the visits between the last filter group or user done and the next visit due, s (negative: late). */
  minMarginS: number | null;
  dir: string;
}

export interface FindMaxReport {
  intervalS: number;
  visits: number;
  steps: FindMaxStep[];
  /** The largest visit every step up to which kept up with (null: not even the first). */
  largestKeptUp: number | null;
  files: string[];
}

/** The find-max summary lines. */
export function findMaxSummaryLines(r: FindMaxReport): string[] {
  const s = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)} s`);
  return [
    `alerts find-max: ${r.visits} visit(s) per size every ${r.intervalS} s`,
    ...r.steps.map(
      (x) =>
        `  ${x.alertsPerVisit.toLocaleString('en-US').padStart(7)} alerts/visit: ${x.status === 'failed' ? `FAILED (${x.error?.split('\n')[0]})` : x.keptUp ? 'kept up' : 'NOT kept up'}; ` +
        `produce ≤ ${x.maxProduceS.toFixed(2)} s, filters done ≤ ${s(x.maxFilterDoneS)}, users ≤ ${s(x.maxUserReceiptS)} after the last ack; ` +
        `at least ${s(x.minMarginS)} to spare before the next visit`,
    ),
    `  largest visit kept up with at ${r.intervalS} s: ${r.largestKeptUp === null ? 'none of the sizes' : `${r.largestKeptUp.toLocaleString('en-US')} alerts`}`,
    ...(r.files.length ? [`  report     ${r.files.map((f) => `file://${f}`).join('\n             ')}`] : []),
  ];
}

/** A step of `--find-max` from its run's report (the measured visits; the warm-up ones aside). */
export function findMaxStep(alertsPerVisit: number, rep: AlertsExperimentReport, dir: string): FindMaxStep {
  const worst = (xs: (number | null)[]) => (xs.some((x) => x !== null) ? Math.max(...xs.filter((x): x is number => x !== null)) : null);
  const measured = rep.visits.filter((v) => !v.warmUp);
  // time left between the visit done (its last ack, its last filter group and user) and the next visit due
  const margins = measured.map(
    (v) => v.nextVisitAfterAckS - Math.max(0, ...v.filterGroupsDoneS.map((g) => g.s ?? Infinity), v.userReceiptS.max ?? 0),
  );
  return {
    alertsPerVisit,
    status: rep.status,
    ...(rep.error ? { error: rep.error } : {}),
    keptUp: rep.keptUp,
    maxProduceS: Math.max(0, ...measured.map((v) => v.produceS)),
    maxFilterDoneS: worst(measured.flatMap((v) => v.filterGroupsDoneS.map((g) => g.s))),
    maxUserReceiptS: worst(measured.map((v) => v.userReceiptS.max)),
    minMarginS: margins.length && margins.every(Number.isFinite) ? r3(Math.min(...margins)) : null,
    dir,
  };
}

/** Writes results.json, summary.txt and (unless disabled) the receipt plot into `dir`; fills `report.files`. */
export async function writeAlertsReport(report: AlertsExperimentReport, dir: string, opts: { plots: boolean }): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, 'results.json');
  const text = path.join(dir, 'summary.txt');
  report.files = [json, text];
  if (opts.plots && report.visits.length) {
    const { renderSpec } = require('./plots') as typeof import('./plots');
    report.files.push(...(await renderSpec(receiptPlotSpec(report), dir, 'receipt-times')));
  }
  fs.writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(text, `${alertsSummaryLines(report).join('\n')}\n`);
}
