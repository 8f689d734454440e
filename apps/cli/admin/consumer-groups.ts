/**
 * `efd consumer-groups list|lag` — consumer groups and how far behind they are.
 *
 *   efd consumer-groups list
 *   efd consumer-groups lag <group> [--topic t …]      default: every topic the group committed offsets for
 *
 * Lag of a partition = end offset (high watermark) − committed offset; a partition without a committed
 * offset counts from its earliest offset (apps/lib/kafka-admin.ts groupLag: one rule for every command).
 *
 * JSON (--json):
 *   list  [{ groupId, state, protocolType }]
 *   lag   { groupId, state, partitions: [{ topic, partition, committed (null: none), end, lag }], total }
 * An unknown group (or topic) exits 3, naming it.
 */
import { Command } from 'commander';
import { groupLag, type EfdAdmin, type GroupListing } from '../../lib/kafka-admin';
import { CliOutput, stdio } from '../../lib/cli-output';
import { formatTable } from '../../lib/table';
import { notFound, print, resolveTarget, Target, TargetFlags, targetOptions, withKafka } from './target';

export interface GroupLag {
  groupId: string;
  state: string;
  partitions: { topic: string; partition: number; committed: number | null; end: number; lag: number }[];
  total: number;
}

export async function groupLagReport(admin: EfdAdmin, t: Target, groupId: string, topics?: string[]): Promise<GroupLag> {
  const group = (await admin.listGroups()).find((g) => g.groupId === groupId);
  if (!group) throw notFound(`consumer group ${groupId}`, t, '`efd consumer-groups list` shows the groups');
  if (topics?.length) {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((x) => !existing.has(x));
    if (missing.length) throw notFound(`topic ${missing.join(', ')}`, t, '`efd topics list` shows the topics');
  }
  const committed = await admin.groupOffsets(groupId, topics?.length ? topics : undefined);
  const names = [...new Set(topics?.length ? topics : committed.map((c) => c.topic))].sort();
  const partitions: GroupLag['partitions'] = [];
  for (const topic of names) {
    const offsets = await admin.topicOffsets(topic);
    const mine = committed.filter((c) => c.topic === topic);
    const at = new Map(mine.map((c) => [c.partition, Number(c.offset)]));
    const lags = new Map(groupLag(offsets, mine).map((l) => [l.partition, l.lag]));
    for (const o of offsets) {
      const c = at.get(o.partition);
      partitions.push({
        topic,
        partition: o.partition,
        committed: c === undefined || c < 0 ? null : c,
        end: Number(o.high),
        lag: lags.get(o.partition) ?? 0,
      });
    }
  }
  return { groupId, state: group.state, partitions, total: partitions.reduce((s, p) => s + p.lag, 0) };
}

export function formatGroups(groups: GroupListing[]): string[] {
  if (!groups.length) return ['no consumer groups'];
  return formatTable(
    ['GROUP', 'STATE', 'PROTOCOL'],
    groups.map((g) => [g.groupId, g.state, g.protocolType]),
  );
}

export function formatLag(r: GroupLag): string[] {
  const head = `${r.groupId} (${r.state}): lag ${r.total} record(s)`;
  if (!r.partitions.length) return [head, 'no committed offsets'];
  return [
    head,
    ...formatTable(
      ['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG'],
      [...r.partitions.map((p) => [p.topic, p.partition, p.committed, p.end, p.lag]), ['total', '', '', '', r.total]],
      { right: [1, 2, 3, 4] },
    ),
  ];
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerConsumerGroupsCommand(program: Command, io: CliOutput = stdio): Command {
  const group = program.command('consumer-groups').description('Kafka consumer groups: list, lag per partition');
  targetOptions(group.command('list'), { kafka: true })
    .description('the groups the brokers know, their state and protocol')
    .action(async (flags: TargetFlags) => {
      const t = await resolveTarget(flags, 'kafka');
      const groups = await withKafka(t, (a) => a.listGroups());
      print(io, flags, groups, () => formatGroups(groups));
    });
  targetOptions(group.command('lag'), { kafka: true })
    .description('per partition: committed offset, end offset, lag; and the total')
    .argument('<group>')
    .option('--topic <topic>', 'only this topic, repeatable (default: every topic the group committed to)', collect)
    .action(async (groupId: string, flags: TargetFlags & { topic?: string[] }) => {
      const t = await resolveTarget(flags, 'kafka');
      const r = await withKafka(t, (a) => groupLagReport(a, t, groupId, flags.topic));
      print(io, flags, r, () => formatLag(r));
    });
  return group;
}
