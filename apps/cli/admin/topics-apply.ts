/**
 * `efd topics apply|diff` — topics as code: the topic policies (config/topic-policies.ts) against a Kafka.
 *
 *   efd topics diff  [--site <name>] [--policies <file>]          what apply would do (drift), changes nothing
 *   efd topics apply [--site <name>] [--policies <file>] [--yes]   create missing topics, add partitions, set configs
 *
 * Policies: `--policies <file>` (a YAML/JSON list of policies, the site schema's `kafka.topicPolicies` form),
 * else the `--site`'s `kafka.topicPolicies`, else the defaults as the local EFD has them (one broker per
 * cluster: replication factor 1, the default raw tier's retention). Defaults of a policy's fields come from
 * the `--site` (its replication factor, its Kafka log retention) or the local EFD's.
 * A conflict (a topic with more partitions than its policy, another replication factor) refuses the whole
 * apply before anything changes: exit 3, each topic named with its policy and field.
 * JSON: the plan of apps/lib/topic-policies.ts (`apply` adds `applied: true|false`).
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { parse } from 'yaml';
import { z } from 'zod';
import { DEFAULT_TIERS, type Site } from '../../../config/schema';
import {
  DEFAULT_TOPIC_POLICIES,
  defaultReplicationFactor,
  policyProblems,
  resolvePolicies,
  sitePolicies,
  topicPolicySchema,
  type TopicPolicy,
} from '../../../config/topic-policies';
import { BadInputError, UsageError } from '../../lib/exit-codes';
import type { CliOutput } from '../../lib/cli-output';
import { applyPlan, formatPlan, planIsEmpty, planTopics } from '../../lib/topic-policies';
import { confirm, ConfirmIo } from './confirm';
import { print, resolveTarget, TargetFlags, targetOptions, withKafka } from './target';

type Flags = TargetFlags & { policies?: string };

function siteNamed(name: string): Site {
  const { loadSites } = require('../../../config/load') as typeof import('../../../config/load');
  const site = loadSites().find((s) => s.name === name);
  if (!site) throw new UsageError(`--site ${name}: unknown site (config/sites/*.yaml)`);
  return site;
}

/** Policies from a file: each problem named with the file and the field (`[1].partitions`). */
export function readPolicyFile(file: string, defaults: { replicationFactor: number; retention: string }): TopicPolicy[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--policies ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new BadInputError(`${file}: not YAML/JSON (${(err as Error).message.split('\n')[0]})`);
  }
  const r = z.array(topicPolicySchema).min(1).safeParse(data);
  const problems = r.success
    ? policyProblems(r.data).map((p) => `${file}: [${p.index}].${p.field}: ${p.message}`)
    : r.error.issues.map(
        (i) => `${file}: ${i.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('') || '(top)'}: ${i.message}`,
      );
  if (problems.length || !r.success) throw new BadInputError(`topic policies refused:\n  ${problems.join('\n  ')}`);
  return resolvePolicies(r.data, defaults);
}

/** The policies `flags` select (see the module comment). */
export function selectPolicies(flags: Flags): { policies: TopicPolicy[]; from: string } {
  const site = flags.site ? siteNamed(flags.site) : undefined;
  const defaults = site
    ? {
        replicationFactor: defaultReplicationFactor(site.kafka.brokers),
        retention: site.kafka.logRetention ?? site.retention.tiers[0].duration,
      }
    : { replicationFactor: 1, retention: String(DEFAULT_TIERS[0].duration) };
  if (flags.policies) return { policies: readPolicyFile(flags.policies, defaults), from: flags.policies };
  if (site) return { policies: sitePolicies(site), from: `site ${site.name} (kafka.topicPolicies)` };
  return { policies: resolvePolicies(DEFAULT_TOPIC_POLICIES, defaults), from: 'the default policies (config/topic-policies.ts)' };
}

export function registerTopicPolicyCommands(group: Command, io: CliOutput, ask?: ConfirmIo): void {
  const policyOption = (cmd: Command) =>
    targetOptions(cmd, { kafka: true }).option('--policies <file>', "a YAML/JSON list of topic policies instead of the site's");
  policyOption(group.command('diff'))
    .description('what `topics apply` would change: missing topics, partitions, configs, conflicts (the drift from the policies)')
    .action(async (flags: Flags) => {
      const { policies } = selectPolicies(flags);
      const t = await resolveTarget(flags, 'kafka');
      const plan = await withKafka(t, (a) => planTopics(a, policies));
      print(io, flags, plan, () => formatPlan(plan));
    });
  policyOption(group.command('apply'))
    .description('create and alter topics to match the policies (idempotent; refuses all on a conflict; asks unless --yes)')
    .option('--yes', 'do not ask for confirmation')
    .action(async (flags: Flags) => {
      const { policies, from } = selectPolicies(flags);
      const t = await resolveTarget(flags, 'kafka');
      const { plan, applied } = await withKafka(t, async (a) => {
        const p = await planTopics(a, policies);
        if (planIsEmpty(p)) return { plan: p, applied: false };
        if (!p.conflicts.length)
          await confirm(`apply ${from} on ${t.kafka}: ${p.create.length} topic(s) to create, ${p.alter.length} to change`, {
            yes: flags.yes,
            io: ask,
          });
        await applyPlan(a, p);
        return { plan: p, applied: true };
      });
      print(io, flags, { ...plan, applied }, () => [
        ...formatPlan(plan),
        applied ? `applied (${t.source})` : `nothing to change (${t.source})`,
      ]);
    });
}
