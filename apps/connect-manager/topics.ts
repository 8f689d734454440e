/**
 * `topics-apply` of the connect-manager image: the site's topics Job (constructs/kafka-topics-job.ts).
 * Applies the topic policies it is given (resolved, as JSON: config/topic-policies.ts TopicPolicy[]) to a
 * Kafka: missing declared topics created, partitions added, configs set; a conflict refuses the whole run
 * before anything changes (exit 3, each topic named with its policy and field). `efd topics apply|diff` is
 * the operator's form of the same plan (apps/lib/topic-policies.ts).
 *
 *   topics-apply --bootstrap-servers kafka:9092 --policies-json '[{"name":"events",…}]' [--dry-run]
 */
import { Command } from 'commander';
import { z } from 'zod';
import { policyProblems, topicPolicySchema, type TopicPolicy } from '../../config/topic-policies';
import { BadInputError } from '../lib/exit-codes';
import { createAdmin } from '../lib/kafka-admin';
import { CliOutput, stdio } from '../lib/cli-output';
import { applyPlan, formatPlan, planIsEmpty, planTopics } from '../lib/topic-policies';

const resolvedPolicies = z.array(topicPolicySchema.required()).min(1);

/** The resolved policies of `--policies-json`, or a bad-input error naming the flag and the field. */
export function parsePoliciesJson(text: string): TopicPolicy[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`--policies-json: not JSON (${(err as Error).message})`);
  }
  const r = resolvedPolicies.safeParse(data);
  if (!r.success)
    throw new BadInputError(`--policies-json: ${r.error.issues.map((i) => `[${i.path.join('].')}: ${i.message}`).join('; ')}`);
  const problems = policyProblems(r.data);
  if (problems.length)
    throw new BadInputError(`--policies-json: ${problems.map((p) => `[${p.index}].${p.field}: ${p.message}`).join('; ')}`);
  return r.data as TopicPolicy[];
}

export function registerTopicsApplyCommand(program: Command, io: CliOutput = stdio): Command {
  return program
    .command('topics-apply')
    .description("apply the site's topic policies to Kafka (the topics Job; operators: `efd topics apply|diff`)")
    .requiredOption('--bootstrap-servers <hosts>', 'Kafka bootstrap servers host:port[,…]')
    .requiredOption('--policies-json <json>', 'the resolved topic policies, JSON')
    .option('--dry-run', 'print the plan only')
    .action(async (flags: { bootstrapServers: string; policiesJson: string; dryRun?: boolean }) => {
      const policies = parsePoliciesJson(flags.policiesJson);
      const admin = createAdmin({ brokers: flags.bootstrapServers, clientId: 'efd-topics-apply' });
      await admin.connect();
      try {
        const plan = await planTopics(admin, policies);
        for (const line of formatPlan(plan)) io.out(line);
        if (!flags.dryRun && !planIsEmpty(plan)) {
          await applyPlan(admin, plan);
          io.out('applied');
        }
      } finally {
        await admin.disconnect();
      }
    });
}
