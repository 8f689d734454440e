/**
 * Plan and apply: the desired connector set against what the worker runs.
 *
 *  - A desired connector is rendered into the config the worker gets: its config, `name`, the
 *    manager's mark ({@link MANAGED_BY_KEY}) and, for `topicsRegex`, the sorted list of matching
 *    topics as `topics`.
 *  - create: not on the worker; update: on the worker, marked by this manager, config differs;
 *    unchanged: identical; delete: marked by this manager and no longer desired;
 *    pending: its regex matches no topic yet (left alone, retried on the next refresh);
 *    conflict: a connector of that name exists but is not this manager's (never touched unless
 *    adopting).
 *  - Applying is `PUT /connectors/<name>/config` (create and update alike) and `DELETE`; a second
 *    run over the same inputs plans nothing but `unchanged`.
 */
import { ConnectClient, ConnectorConfig, ConnectorInfo } from './connect-client';
import { ConnectorSpec, MANAGED_BY_KEY, SECRET_KEY } from '../../config/connector-spec';
import { topicMatcher } from '../lib/topic-regex';

export type Action =
  | { kind: 'create'; name: string; config: ConnectorConfig }
  | { kind: 'update'; name: string; config: ConnectorConfig; changes: Change[] }
  | { kind: 'unchanged'; name: string }
  | { kind: 'delete'; name: string }
  | { kind: 'pending'; name: string; reason: string }
  | { kind: 'conflict'; name: string; reason: string };

export interface Change {
  key: string;
  from?: string;
  to?: string;
}

export interface PlanInput {
  desired: ConnectorSpec[];
  /** Connectors on the worker with their configs. */
  current: Map<string, Pick<ConnectorInfo, 'config'>>;
  /** Topics in the cluster (for `topicsRegex`). */
  topics: string[];
  managerId: string;
  /** Take over desired connectors that exist without this manager's mark. */
  adopt?: boolean;
}

/** Sorted topics whose whole name matches `regex`. */
export function expandTopics(regex: string, topics: string[]): string[] {
  const m = topicMatcher(regex);
  return [...new Set(topics.filter(m))].sort();
}

/** The config the worker gets for a spec, or undefined when its regex matches no topic. */
export function renderConfig(spec: ConnectorSpec, topics: string[], managerId: string): ConnectorConfig | undefined {
  const config: ConnectorConfig = { ...spec.config, name: spec.name, [MANAGED_BY_KEY]: managerId };
  if (spec.topicsRegex !== undefined) {
    const matched = expandTopics(spec.topicsRegex, topics);
    if (matched.length === 0) return undefined;
    config.topics = matched.join(',');
  }
  return config;
}

export function diffConfig(from: ConnectorConfig, to: ConnectorConfig): Change[] {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  return keys.filter((k) => from[k] !== to[k]).map((k) => ({ key: k, from: from[k], to: to[k] }));
}

export function isManagedBy(config: ConnectorConfig | undefined, managerId: string): boolean {
  return config?.[MANAGED_BY_KEY] === managerId;
}

export function plan(input: PlanInput): Action[] {
  const actions: Action[] = [];
  const desiredNames = new Set(input.desired.map((d) => d.name));
  for (const spec of input.desired) {
    const current = input.current.get(spec.name)?.config;
    if (current && !isManagedBy(current, input.managerId) && !input.adopt) {
      const owner = current[MANAGED_BY_KEY];
      actions.push({
        kind: 'conflict',
        name: spec.name,
        reason: `a connector named ${spec.name} exists on the worker and is ${owner ? `managed by "${owner}"` : 'not managed by any connect manager'}, not "${input.managerId}"; delete it or rerun with --adopt`,
      });
      continue;
    }
    const config = renderConfig(spec, input.topics, input.managerId);
    if (!config) {
      actions.push({ kind: 'pending', name: spec.name, reason: `no topic matches /${spec.topicsRegex}/ yet` });
      continue;
    }
    if (!current) {
      actions.push({ kind: 'create', name: spec.name, config });
      continue;
    }
    const changes = diffConfig(current, config);
    actions.push(changes.length ? { kind: 'update', name: spec.name, config, changes } : { kind: 'unchanged', name: spec.name });
  }
  for (const [name, info] of [...input.current].sort(([a], [b]) => a.localeCompare(b))) {
    if (!desiredNames.has(name) && isManagedBy(info.config, input.managerId)) actions.push({ kind: 'delete', name });
  }
  return actions;
}

/** Actions that change something on the worker. */
export function changesOf(actions: Action[]): Action[] {
  return actions.filter((a) => a.kind === 'create' || a.kind === 'update' || a.kind === 'delete');
}

const SYMBOL: Record<Action['kind'], string> = { create: '+', update: '~', unchanged: '=', delete: '-', pending: '…', conflict: '!' };

function shown(key: string, value: string | undefined): string {
  if (value === undefined) return '(unset)';
  if (SECRET_KEY.test(key) && !value.includes('${')) return '(secret)';
  return value.length > 120 ? `${value.slice(0, 117)}...` : value;
}

/** Human-readable plan, one line per action plus one per changed key. */
export function formatPlan(actions: Action[]): string[] {
  const lines: string[] = [];
  for (const a of actions) {
    const head = `${SYMBOL[a.kind]} ${a.kind.padEnd(9)} ${a.name}`;
    if (a.kind === 'create') {
      const topics = a.config.topics ? ` (${a.config.topics.split(',').length} topic(s))` : '';
      lines.push(`${head}  ${a.config['connector.class']}${topics}`);
    } else if (a.kind === 'update') {
      lines.push(head);
      for (const c of a.changes) lines.push(`      ${c.key}: ${shown(c.key, c.from)} → ${shown(c.key, c.to)}`);
    } else if (a.kind === 'pending' || a.kind === 'conflict') {
      lines.push(`${head}: ${a.reason}`);
    } else {
      lines.push(head);
    }
  }
  const count = (k: Action['kind']) => actions.filter((a) => a.kind === k).length;
  lines.push(
    `plan: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ` +
      `${count('unchanged')} unchanged, ${count('pending')} pending, ${count('conflict')} conflict(s)`,
  );
  return lines;
}

export interface ApplyResult {
  applied: Action[];
  errors: { action: Action; message: string }[];
}

/** Applies creates/updates/deletes; keeps going after an error and reports every one. */
export async function applyPlan(client: ConnectClient, actions: Action[]): Promise<ApplyResult> {
  const result: ApplyResult = { applied: [], errors: [] };
  const ordered = [...actions.filter((a) => a.kind === 'delete'), ...actions.filter((a) => a.kind === 'create' || a.kind === 'update')];
  for (const a of ordered) {
    try {
      if (a.kind === 'delete') await client.delete(a.name);
      else if (a.kind === 'create' || a.kind === 'update') await client.putConfig(a.name, a.config);
      result.applied.push(a);
    } catch (err) {
      result.errors.push({ action: a, message: (err as Error).message });
    }
  }
  for (const a of actions) if (a.kind === 'conflict') result.errors.push({ action: a, message: a.reason });
  return result;
}
