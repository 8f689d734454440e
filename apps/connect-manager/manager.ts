/**
 * The connect manager's operations: reconcile (plan + apply, once or every N seconds), status with
 * optional restart of failed connectors/tasks, and delete of managed connectors.
 */
import type { EfdAdmin } from '../lib/kafka-admin';
import type { Logger } from '../lib/logging';
import { sleep } from '../lib/retry';
import { ConnectClient, ConnectorStatus } from './connect-client';
import { ConnectorSpec } from '../../config/connector-spec';
import { Action, applyPlan, ApplyResult, changesOf, formatPlan, isManagedBy, plan } from './plan';

/** Lists topics (the apps' admin client, or a stub in tests). */
export type TopicLister = () => Promise<string[]>;

export function adminTopicLister(admin: Pick<EfdAdmin, 'listTopics'>): TopicLister {
  return () => admin.listTopics();
}

export interface ReconcileOptions {
  client: ConnectClient;
  /** Reads the desired set (re-read every cycle so ConfigMap updates apply without a restart). */
  desired: () => ConnectorSpec[];
  /** Needed only when a spec has `topicsRegex`. */
  listTopics?: TopicLister;
  managerId: string;
  dryRun?: boolean;
  adopt?: boolean;
}

export interface ReconcileResult {
  actions: Action[];
  apply?: ApplyResult;
}

/** One reconciliation: plan against the worker and the topic list, apply unless dry-run. */
export async function reconcile(o: ReconcileOptions): Promise<ReconcileResult> {
  const desired = o.desired();
  const needTopics = desired.some((d) => d.topicsRegex !== undefined);
  if (needTopics && !o.listTopics) {
    throw new Error('desired connectors expand topic regexes: give the Kafka bootstrap servers (--brokers or KAFKA_BROKERS)');
  }
  const [current, topics] = await Promise.all([o.client.connectors(), needTopics && o.listTopics ? o.listTopics() : Promise.resolve([])]);
  const actions = plan({ desired, current, topics, managerId: o.managerId, adopt: o.adopt });
  if (o.dryRun) return { actions };
  return { actions, apply: await applyPlan(o.client, actions) };
}

export interface WatchOptions extends ReconcileOptions {
  intervalSeconds: number;
  signal: AbortSignal;
  logger: Logger;
  /** Called after each cycle (tests, metrics). */
  onCycle?: (r: ReconcileResult | Error) => void;
}

/**
 * Reconciles every `intervalSeconds` until `signal` aborts: new topics matching a regex are added to
 * their connector on the next cycle. Errors are logged and retried next cycle (never exit).
 */
export async function watch(o: WatchOptions): Promise<void> {
  while (!o.signal.aborted) {
    try {
      const r = await reconcile(o);
      const changed = changesOf(r.actions);
      if (changed.length) for (const line of formatPlan(changed)) o.logger.info(line);
      for (const e of r.apply?.errors ?? []) o.logger.error({ connector: e.action.name }, e.message);
      o.onCycle?.(r);
    } catch (err) {
      o.logger.error({ err: (err as Error).message }, `reconcile failed: ${(err as Error).message}`);
      o.onCycle?.(err as Error);
    }
    await sleep(o.intervalSeconds * 1000, o.signal);
  }
}

export interface StatusRow {
  name: string;
  managed: boolean;
  state: string;
  tasks: { id: number; state: string; trace?: string }[];
  trace?: string;
  restarted: string[];
}

/** Status of connectors (managed only unless `all`), restarting FAILED connectors/tasks when asked. */
export async function status(
  client: ConnectClient,
  o: { managerId: string; all?: boolean; restartFailed?: boolean; names?: string[] },
): Promise<StatusRow[]> {
  const [infos, statuses] = await Promise.all([client.connectors(), client.statuses()]);
  const rows: StatusRow[] = [];
  for (const name of [...infos.keys()].sort()) {
    const managed = isManagedBy(infos.get(name)?.config, o.managerId);
    if (o.names?.length ? !o.names.includes(name) : !managed && !o.all) continue;
    const s: ConnectorStatus | undefined = statuses.get(name);
    const row: StatusRow = {
      name,
      managed,
      state: s?.connector.state ?? 'UNKNOWN',
      trace: s?.connector.trace,
      tasks: (s?.tasks ?? []).map((t) => ({ id: t.id, state: t.state, trace: t.trace })).sort((a, b) => a.id - b.id),
      restarted: [],
    };
    if (o.restartFailed) {
      if (row.state === 'FAILED') {
        await client.restartConnector(name);
        row.restarted.push('connector');
      }
      for (const t of row.tasks.filter((x) => x.state === 'FAILED')) {
        await client.restartTask(name, t.id);
        row.restarted.push(`task ${t.id}`);
      }
    }
    rows.push(row);
  }
  for (const n of o.names ?? []) {
    if (!infos.has(n)) rows.push({ name: n, managed: false, state: 'NOT FOUND', tasks: [], restarted: [] });
  }
  return rows;
}

export function formatStatus(rows: StatusRow[]): string[] {
  if (rows.length === 0) return ['no connectors'];
  const lines: string[] = [];
  for (const r of rows) {
    const tasks = r.tasks.length ? r.tasks.map((t) => `${t.id}:${t.state}`).join(' ') : '(no tasks)';
    lines.push(`${r.name.padEnd(32)} ${r.state.padEnd(10)} tasks ${tasks}${r.managed ? '' : '  (not managed)'}`);
    const firstLine = (t?: string) => t?.split('\n')[0];
    if (r.state === 'FAILED' && r.trace) lines.push(`    connector: ${firstLine(r.trace)}`);
    for (const t of r.tasks) if (t.state === 'FAILED' && t.trace) lines.push(`    task ${t.id}: ${firstLine(t.trace)}`);
    if (r.restarted.length) lines.push(`    restarted: ${r.restarted.join(', ')}`);
  }
  return lines;
}

/** Failed connectors/tasks that were not restarted. */
export function unhealthy(rows: StatusRow[]): StatusRow[] {
  return rows.filter(
    (r) => r.state === 'NOT FOUND' || ((r.state === 'FAILED' || r.tasks.some((t) => t.state === 'FAILED')) && r.restarted.length === 0),
  );
}

/**
 * Deletes connectors managed by `managerId`: the named ones (each must be managed) or all of them.
 * Returns the plan (delete actions); unmanaged or unknown names are errors, nothing is deleted then.
 */
export async function deleteManaged(
  client: ConnectClient,
  o: { managerId: string; names?: string[]; dryRun?: boolean },
): Promise<{ actions: Action[]; apply?: ApplyResult }> {
  const current = await client.connectors();
  const managed = [...current]
    .filter(([, i]) => isManagedBy(i.config, o.managerId))
    .map(([n]) => n)
    .sort();
  let targets = managed;
  if (o.names?.length) {
    const problems = o.names
      .filter((n) => !managed.includes(n))
      .map((n) =>
        current.has(n)
          ? `connector ${n} is not managed by "${o.managerId}"; refusing to delete it`
          : `connector ${n} does not exist on ${client.url}`,
      );
    if (problems.length) throw new Error(problems.join('\n'));
    targets = [...o.names].sort();
  }
  const actions: Action[] = targets.map((name) => ({ kind: 'delete', name }));
  if (o.dryRun) return { actions };
  return { actions, apply: await applyPlan(client, actions) };
}
