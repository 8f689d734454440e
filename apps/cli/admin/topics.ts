/**
 * `efd topics list|describe|create|config|delete` — Kafka topics (apps/lib/kafka-admin.ts, either client).
 *
 *   efd topics list [regex] [--all]                       internal topics (__*) only with --all
 *   efd topics describe <topic>                           partitions (leader, replicas, ISR, offsets), own configs
 *   efd topics create <topic> [--partitions n] [--replication-factor n] [--config k=v …]
 *   efd topics config <topic> [--set k=v …] [--reset k …] [--yes]   no change: shows the configs
 *   efd topics delete <topic…> [--yes]
 *   efd topics diff|apply [--policies <file>] [--yes]        topics as code (./topics-apply.ts)
 *
 * JSON (--json):
 *   list      [{ topic, partitions, replicationFactor }]
 *   describe  { topic, partitions: [{ partition, leader, replicas, isr, low, high }], configs: { name: value } (own, source topic) }
 *   create    { topic, partitions, replicationFactor, configs }
 *   config    { topic, configs: [{ name, value, source: topic|broker|default|unknown, readOnly, sensitive }] }
 *   delete    { deleted: [topic] }
 * Offsets are numbers. An unknown topic exits 3, naming it.
 */
import { Command } from 'commander';
import { UsageError } from '../../lib/exit-codes';
import type { EfdAdmin } from '../../lib/kafka-admin';
import { CliOutput, stdio } from '../../lib/cli-output';
import { formatTable } from '../../lib/table';
import { confirm, ConfirmIo } from './confirm';
import { registerTopicPolicyCommands } from './topics-apply';
import { notFound, print, resolveTarget, Target, TargetFlags, targetOptions, withKafka } from './target';

export interface TopicRow {
  topic: string;
  partitions: number;
  replicationFactor: number;
}

export interface TopicDescription {
  topic: string;
  partitions: { partition: number; leader: number; replicas: number[]; isr: number[]; low: number; high: number }[];
  configs: Record<string, string>;
}

/** `k=v` flags → a config map; a flag without `=` or with an empty name is a usage error naming it. */
export function parseConfigs(flag: string, values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const i = v.indexOf('=');
    if (i <= 0) throw new UsageError(`${flag} ${v}: expected name=value, e.g. ${flag} retention.ms=86400000`);
    out[v.slice(0, i).trim()] = v.slice(i + 1);
  }
  return out;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Positive integer flag value, or a usage error naming the flag. */
export function positiveInt(flag: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} ${v}: expected a whole number ≥ 1`);
  return n;
}

async function requireTopics(admin: EfdAdmin, t: Target, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((x) => !existing.has(x));
  if (missing.length) throw notFound(`topic ${missing.join(', ')}`, t, '`efd topics list` shows the topics');
}

export async function listTopics(admin: EfdAdmin, o: { match?: string; all?: boolean } = {}): Promise<TopicRow[]> {
  let re: RegExp | undefined;
  try {
    re = o.match ? new RegExp(o.match) : undefined;
  } catch (err) {
    throw new UsageError(`topic pattern ${o.match}: not a regular expression (${(err as Error).message})`);
  }
  const names = (await admin.listTopics()).filter((n) => (o.all || !n.startsWith('__')) && (!re || re.test(n))).sort();
  const md = await admin.topicPartitions(names);
  return md
    .map((m) => ({
      topic: m.topic,
      partitions: m.partitions.length,
      replicationFactor: Math.max(0, ...m.partitions.map((p) => p.replicas.length)),
    }))
    .sort((a, b) => (a.topic < b.topic ? -1 : 1));
}

export async function describeTopic(admin: EfdAdmin, t: Target, topic: string): Promise<TopicDescription> {
  await requireTopics(admin, t, [topic]);
  const [md] = await admin.topicPartitions([topic]);
  const offsets = new Map((await admin.topicOffsets(topic)).map((p) => [p.partition, p]));
  const configs = Object.fromEntries(
    (await admin.topicConfigEntries(topic)).filter((c) => c.source === 'topic' && c.value !== null).map((c) => [c.name, c.value as string]),
  );
  return {
    topic,
    partitions: (md?.partitions ?? []).map((p) => ({
      ...p,
      low: Number(offsets.get(p.partition)?.low ?? 0),
      high: Number(offsets.get(p.partition)?.high ?? 0),
    })),
    configs,
  };
}

export function formatTopics(rows: TopicRow[]): string[] {
  if (!rows.length) return ['no topics'];
  return formatTable(
    ['TOPIC', 'PARTITIONS', 'REPLICATION'],
    rows.map((r) => [r.topic, r.partitions, r.replicationFactor]),
    { right: [1, 2] },
  );
}

export function formatDescription(d: TopicDescription): string[] {
  const records = d.partitions.reduce((s, p) => s + (p.high - p.low), 0);
  const lines = [`${d.topic}: ${d.partitions.length} partition(s), ${records} record(s) held`];
  lines.push(
    ...formatTable(
      ['PARTITION', 'LEADER', 'REPLICAS', 'ISR', 'LOW', 'HIGH'],
      d.partitions.map((p) => [p.partition, p.leader, p.replicas.join(','), p.isr.join(','), p.low, p.high]),
      { right: [0, 1, 4, 5] },
    ),
  );
  const own = Object.entries(d.configs);
  lines.push(own.length ? 'configs set on the topic:' : 'configs: the broker defaults (none set on the topic)');
  for (const [k, v] of own) lines.push(`  ${k}=${v}`);
  return lines;
}

export function registerTopicsCommand(program: Command, io: CliOutput = stdio, ask?: ConfirmIo): Command {
  const group = program.command('topics').description('Kafka topics: list, describe, create, config (show, set, reset), delete');
  targetOptions(group.command('list'), { kafka: true })
    .description('the topics (internal __* ones with --all), partitions and replication factor')
    .argument('[regex]', 'only topics matching this regular expression')
    .option('--all', 'include internal topics (__consumer_offsets …)')
    .action(async (match: string | undefined, flags: TargetFlags & { all?: boolean }) => {
      const t = await resolveTarget(flags, 'kafka');
      const rows = await withKafka(t, (a) => listTopics(a, { match, all: flags.all }));
      print(io, flags, rows, () => formatTopics(rows));
    });
  targetOptions(group.command('describe'), { kafka: true })
    .description('partitions (leader, replicas, ISR, low and high offsets) and the configs set on the topic')
    .argument('<topic>')
    .action(async (topic: string, flags: TargetFlags) => {
      const t = await resolveTarget(flags, 'kafka');
      const d = await withKafka(t, (a) => describeTopic(a, t, topic));
      print(io, flags, d, () => formatDescription(d));
    });
  targetOptions(group.command('create'), { kafka: true })
    .description('create a topic (it must not exist)')
    .argument('<topic>')
    .option('--partitions <n>', 'partitions (default 1)')
    .option('--replication-factor <n>', "replicas (default: the broker's default.replication.factor)")
    .option('--config <name=value>', 'a topic config, repeatable (e.g. retention.ms=86400000)', collect)
    .action(async (topic: string, flags: TargetFlags & { partitions?: string; replicationFactor?: string; config?: string[] }) => {
      const partitions = positiveInt('--partitions', flags.partitions, 1);
      const replicationFactor =
        flags.replicationFactor === undefined ? -1 : positiveInt('--replication-factor', flags.replicationFactor, 1);
      const configs = parseConfigs('--config', flags.config ?? []);
      const t = await resolveTarget(flags, 'kafka');
      const out = await withKafka(t, async (a) => {
        const created = await a.createTopics([{ topic, partitions, replicationFactor, configs }]);
        if (!created.includes(topic))
          throw new Error(`topic ${topic} already exists (${t.source}): \`efd topics describe ${topic}\` shows it`);
        const [md] = await a.topicPartitions([topic]);
        return {
          topic,
          partitions: md.partitions.length,
          replicationFactor: Math.max(0, ...md.partitions.map((p) => p.replicas.length)),
          configs,
        };
      });
      print(io, flags, out, () => [
        `created ${topic}: ${out.partitions} partition(s), replication factor ${out.replicationFactor} (${t.source})`,
      ]);
    });
  targetOptions(group.command('config'), { kafka: true })
    .description("show a topic's configs (and where each comes from); --set/--reset change them (asks unless --yes)")
    .argument('<topic>')
    .option('--set <name=value>', 'set a config on the topic, repeatable', collect)
    .option('--reset <name>', "remove the topic's own value (back to the broker's), repeatable", collect)
    .option('--yes', 'do not ask for confirmation')
    .action(async (topic: string, flags: TargetFlags & { set?: string[]; reset?: string[] }) => {
      const set = parseConfigs('--set', flags.set ?? []);
      const reset = flags.reset ?? [];
      const both = reset.filter((k) => k in set);
      if (both.length) throw new UsageError(`--set and --reset of the same config: ${both.join(', ')}`);
      const t = await resolveTarget(flags, 'kafka');
      const configs = await withKafka(t, async (a) => {
        await requireTopics(a, t, [topic]);
        if (Object.keys(set).length || reset.length) {
          const change = [...Object.entries(set).map(([k, v]) => `${k}=${v}`), ...reset.map((k) => `reset ${k}`)].join(', ');
          await confirm(`change configs of topic ${topic} on ${t.kafka} (${change})`, { yes: flags.yes, io: ask });
          await a.alterTopicConfigs(topic, { set, reset });
        }
        return a.topicConfigEntries(topic);
      });
      print(io, flags, { topic, configs }, () =>
        formatTable(
          ['CONFIG', 'VALUE', 'SOURCE'],
          configs.map((c) => [c.name, c.sensitive && c.value === null ? '(sensitive)' : c.value, c.source]),
        ),
      );
    });
  targetOptions(group.command('delete'), { kafka: true })
    .description('delete topics and their records (asks unless --yes)')
    .argument('<topics...>')
    .option('--yes', 'do not ask for confirmation')
    .action(async (topics: string[], flags: TargetFlags) => {
      const t = await resolveTarget(flags, 'kafka');
      await withKafka(t, async (a) => {
        await requireTopics(a, t, topics);
        await confirm(`delete topic ${topics.join(', ')} and its records on ${t.kafka}`, { yes: flags.yes, io: ask });
        await a.deleteTopics(topics);
      });
      print(io, flags, { deleted: topics }, () => topics.map((x) => `deleted ${x} (${t.source})`));
    });
  registerTopicPolicyCommands(group, io, ask);
  return group;
}
