/**
 * Topic policies (config/topic-policies.ts) against a live Kafka: the plan (what differs: missing topics,
 * partitions, configs, and the conflicts apply cannot resolve), then apply (create, add partitions, set
 * configs). A plan with a conflict is refused whole before anything is changed; a second apply of the
 * same policies finds nothing to do.
 *
 * JSON (`efd topics diff|apply --json`):
 *   { create: [{ topic, policy, partitions, replicationFactor, configs }],
 *     alter: [{ topic, policy, partitions?: { from, to }, configs: [{ name, from, to }] }],
 *     conflicts: [{ topic, policy, field, has, wants, message }], unchanged: [topic], unmatched: number }
 */
import { policyConfigs, policyOf, type TopicPolicy } from '../../config/topic-policies';
import { BadInputError } from './exit-codes';
import type { EfdAdmin } from './kafka-admin';

export interface TopicCreate {
  topic: string;
  policy: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export interface TopicAlter {
  topic: string;
  policy: string;
  partitions?: { from: number; to: number };
  configs: { name: string; from: string | null; to: string }[];
}

export interface TopicConflict {
  topic: string;
  policy: string;
  /** The policy field: partitions, replicationFactor. */
  field: string;
  has: number;
  wants: number;
  message: string;
}

export interface TopicPlan {
  create: TopicCreate[];
  alter: TopicAlter[];
  conflicts: TopicConflict[];
  unchanged: string[];
  /** Existing topics no policy matches (left alone). */
  unmatched: number;
}

/** True when applying the plan would change nothing. */
export const planIsEmpty = (p: TopicPlan) => !p.create.length && !p.alter.length && !p.conflicts.length;

/** Compares the topics the policies cover (internal `__*` topics never) with the policies. */
export async function planTopics(admin: EfdAdmin, policies: readonly TopicPolicy[]): Promise<TopicPlan> {
  const existing = (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
  const covered = existing.filter((t) => policyOf(t, policies));
  const plan: TopicPlan = { create: [], alter: [], conflicts: [], unchanged: [], unmatched: existing.length - covered.length };
  const have = new Set(existing);
  for (const p of policies) {
    for (const topic of p.create) {
      // a create topic another (earlier) policy covers gets that policy: the first match decides
      const owner = policyOf(topic, policies) ?? p;
      if (have.has(topic) || plan.create.some((c) => c.topic === topic)) continue;
      plan.create.push({
        topic,
        policy: owner.name,
        partitions: owner.partitions,
        replicationFactor: owner.replicationFactor,
        configs: policyConfigs(owner),
      });
    }
  }
  const md = new Map((await admin.topicPartitions(covered)).map((m) => [m.topic, m]));
  for (const topic of covered) {
    const p = policyOf(topic, policies) as TopicPolicy;
    const parts = md.get(topic)?.partitions ?? [];
    const partitions = parts.length;
    const rf = Math.max(0, ...parts.map((x) => x.replicas.length));
    if (partitions > p.partitions) {
      plan.conflicts.push({
        topic,
        policy: p.name,
        field: 'partitions',
        has: partitions,
        wants: p.partitions,
        message:
          `topic ${topic} has ${partitions} partitions, policy "${p.name}" wants ${p.partitions}: Kafka cannot remove partitions; ` +
          `raise the policy's partitions to ${partitions} or more, or move the topic out of its pattern`,
      });
    }
    if (rf !== p.replicationFactor) {
      plan.conflicts.push({
        topic,
        policy: p.name,
        field: 'replicationFactor',
        has: rf,
        wants: p.replicationFactor,
        message:
          `topic ${topic} has replication factor ${rf}, policy "${p.name}" wants ${p.replicationFactor}: apply does not move replicas; ` +
          `reassign them (kafka-reassign-partitions) or set the policy's replicationFactor to ${rf}`,
      });
    }
    const want = policyConfigs(p);
    const current = new Map((await admin.topicConfigEntries(topic)).map((c) => [c.name, c.value]));
    const configs = Object.entries(want)
      .filter(([name, value]) => current.get(name) !== value)
      .map(([name, to]) => ({ name, from: current.get(name) ?? null, to }));
    const alter: TopicAlter = { topic, policy: p.name, configs };
    if (partitions < p.partitions) alter.partitions = { from: partitions, to: p.partitions };
    if (alter.partitions || configs.length) plan.alter.push(alter);
    else if (partitions <= p.partitions && rf === p.replicationFactor) plan.unchanged.push(topic);
  }
  return plan;
}

/** Exit 3 (bad input), like an unknown topic. */
export class TopicPolicyConflict extends BadInputError {
  constructor(readonly conflicts: TopicConflict[]) {
    super(
      `${conflicts.length} topic(s) conflict with their policy, nothing was changed:\n` +
        conflicts.map((c) => `  ${c.topic}: policy "${c.policy}", field ${c.field}: ${c.message}`).join('\n'),
    );
    this.name = 'TopicPolicyConflict';
  }
}

/** Applies a plan: refuses it whole (TopicPolicyConflict, nothing changed) when it has a conflict. */
export async function applyPlan(admin: EfdAdmin, plan: TopicPlan): Promise<void> {
  if (plan.conflicts.length) throw new TopicPolicyConflict(plan.conflicts);
  if (plan.create.length) await admin.createTopics(plan.create.map((c) => ({ ...c })));
  for (const a of plan.alter) {
    if (a.partitions) await admin.createPartitions(a.topic, a.partitions.to);
    if (a.configs.length) await admin.alterTopicConfigs(a.topic, { set: Object.fromEntries(a.configs.map((c) => [c.name, c.to])) });
  }
}

/** The plan as lines for a person (`efd topics diff`, `apply`). */
export function formatPlan(plan: TopicPlan): string[] {
  const lines: string[] = [];
  for (const c of plan.conflicts) lines.push(`! ${c.topic} (policy ${c.policy}, ${c.field}): ${c.message}`);
  for (const c of plan.create)
    lines.push(
      `+ ${c.topic} (policy ${c.policy}): ${c.partitions} partition(s), replication factor ${c.replicationFactor}, ` +
        Object.entries(c.configs)
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
    );
  for (const a of plan.alter) {
    const parts = [
      ...(a.partitions ? [`partitions ${a.partitions.from} → ${a.partitions.to}`] : []),
      ...a.configs.map((c) => `${c.name} ${c.from ?? '(unset)'} → ${c.to}`),
    ];
    lines.push(`~ ${a.topic} (policy ${a.policy}): ${parts.join(', ')}`);
  }
  lines.push(
    `${plan.create.length} to create, ${plan.alter.length} to change, ${plan.conflicts.length} conflict(s), ` +
      `${plan.unchanged.length} as their policy says, ${plan.unmatched} topic(s) no policy covers`,
  );
  return lines;
}
