/**
 * `efd replication status` — per replication flow: its connectors and tasks (Connect REST; FAILED
 * with the worker URL and the first line of its message), the replicated topics with their lag in
 * records (source end offsets − aggregator end offsets of `<prefix>.<topic>`), and the lag in seconds
 * (age of the newest `<prefix>.heartbeats` record at the aggregator: heartbeats are emitted at the
 * source every second and travel with the data).
 *
 * The worker's own Kafka is the aggregator's (remote producing): while the aggregator is unreachable the
 * worker cannot store task states (they stay at the last stored one, often RUNNING) and replication
 * stalls; the status then says so from its own probe of both clusters (address and the client's error),
 * shows the lag as unknown, and exits 4. A FAILED connector or task exits 1.
 *
 *   efd replication status --site summit --connect-url http://127.0.0.1:8083 \
 *       --source-brokers summit-kafka:9092 --target-brokers ldf-kafka:9094 [--json]
 *
 * Without the endpoint flags, a site's flow uses the addresses its stack configures (in-cluster).
 */
import { Command } from 'commander';
import { loadSites } from '../../config/load';
import { deriveTopology, remoteTopic, ReplicationFlow } from '../../config/topology';
import { ConnectClient } from '../connect-manager/connect-client';
import { connectorNamePrefix, HEARTBEATS_TOPIC } from '../../constructs/replication/mirrormaker2';
import { CliOutput, stdio } from '../lib/cli-output';
import { EXIT, worstExit } from '../lib/exit-codes';
import { createAdmin } from '../lib/kafka-admin';
import { silentLogger } from '../lib/logging';

export interface TopicLag {
  topic: string;
  remote: string;
  /** Records at the source not yet at the aggregator (per-partition end offsets; duplicates hide lag). */
  lagRecords: number;
  missingAtAggregator: boolean;
}

export interface FlowStatus {
  flow: string;
  connectUrl: string;
  connectors: { name: string; state: string; trace?: string; tasks: { id: number; state: string; trace?: string }[] }[];
  topics: TopicLag[];
  /** Undefined when a cluster could not be reached (the lag is unknown then, not 0). */
  lagRecords?: number;
  /** What answered: the worker's REST API, the source's Kafka, the aggregator's Kafka. */
  reachable: { connect: boolean; source: boolean; aggregator: boolean };
  /** Age of the newest heartbeat at the aggregator (undefined when none arrived). */
  lagSeconds?: number;
  problems: string[];
}

/** Lag per topic from end offsets: Σ max(0, source end − aggregator end) over partitions. */
export function topicLag(source: { partition: number; high: string }[], target: { partition: number; high: string }[] | undefined): number {
  const t = new Map((target ?? []).map((p) => [p.partition, Number(p.high)]));
  return source.reduce((sum, p) => sum + Math.max(0, Number(p.high) - (t.get(p.partition) ?? 0)), 0);
}

export interface FlowStatusOptions {
  flow: ReplicationFlow;
  connectUrl: string;
  sourceBrokers: string;
  targetBrokers: string;
  namePrefix?: string;
  now?: () => number;
}

export async function flowStatus(o: FlowStatusOptions): Promise<FlowStatus> {
  const { flow } = o;
  const prefix = connectorNamePrefix(flow, {
    sourceBootstrapServers: o.sourceBrokers,
    targetReplicationFactor: 1,
    sourceReplicationFactor: 1,
    namePrefix: o.namePrefix,
  });
  const out: FlowStatus = {
    flow: `${flow.source} → ${flow.aggregator}`,
    connectUrl: o.connectUrl,
    connectors: [],
    topics: [],
    problems: [],
    reachable: { connect: true, source: true, aggregator: true },
  };
  const client = new ConnectClient(o.connectUrl);
  try {
    const statuses = await client.statuses();
    for (const [name, s] of [...statuses].filter(([n]) => n.startsWith(prefix)).sort(([a], [b]) => a.localeCompare(b))) {
      out.connectors.push({
        name,
        state: s.connector.state,
        trace: s.connector.trace,
        tasks: s.tasks.map((t) => ({ id: t.id, state: t.state, trace: t.trace })).sort((a, b) => a.id - b.id),
      });
    }
    if (!out.connectors.length) out.problems.push(`no replication connectors (${prefix}-*) on ${o.connectUrl}`);
  } catch (err) {
    out.reachable.connect = false;
    out.connectors.push({ name: `${prefix}-*`, state: 'FAILED', trace: `${o.connectUrl}: ${(err as Error).message}`, tasks: [] });
  }
  const mk = (brokers: string) => createAdmin({ clientId: 'efd-replication-status', brokers, logger: silentLogger(), retries: 2 });
  const [sa, ta] = [mk(o.sourceBrokers), mk(o.targetBrokers)];
  // Each cluster on its own, so the status names the one that does not answer (and its address).
  const [sourceUp, aggregatorUp] = await Promise.all(
    [sa, ta].map((admin) =>
      admin
        .connect()
        .then(() => admin.listTopics())
        .then(
          () => undefined,
          (err: Error) => err.message,
        ),
    ),
  );
  if (sourceUp !== undefined) {
    out.reachable.source = false;
    out.problems.push(`source Kafka ${o.sourceBrokers} unreachable: ${sourceUp}; replication stalls until it is back`);
  }
  if (aggregatorUp !== undefined) {
    out.reachable.aggregator = false;
    out.problems.push(
      `aggregator Kafka ${o.targetBrokers} unreachable: ${aggregatorUp}; replication stalls until it is back, and the task states are the last the worker could store (its own Kafka is the aggregator's)`,
    );
  }
  if (sourceUp !== undefined || aggregatorUp !== undefined) {
    await Promise.all([sa.disconnect(), ta.disconnect()]).catch(() => undefined);
    return out;
  }
  try {
    let total = 0;
    let hb: number | undefined;
    try {
      const re = new RegExp(`^(?:${flow.settings.topicsRegex})$`);
      const targetTopics = new Set(await ta.listTopics());
      for (const topic of (await sa.listTopics()).filter((t) => re.test(t)).sort()) {
        const remote = remoteTopic(flow.prefix, topic);
        const present = targetTopics.has(remote);
        const lag = topicLag(await sa.topicOffsets(topic), present ? await ta.topicOffsets(remote) : undefined);
        out.topics.push({ topic, remote, lagRecords: lag, missingAtAggregator: !present });
        total += lag;
      }
      out.lagRecords = total;
      hb = await ta.newestTimestamp(remoteTopic(flow.prefix, HEARTBEATS_TOPIC));
    } finally {
      await Promise.all([sa.disconnect(), ta.disconnect()]);
    }
    if (hb !== undefined) out.lagSeconds = Math.max(0, ((o.now ?? Date.now)() - hb) / 1000);
    else out.problems.push(`no heartbeats at the aggregator (${remoteTopic(flow.prefix, HEARTBEATS_TOPIC)} on ${o.targetBrokers})`);
  } catch (err) {
    out.lagRecords = undefined;
    out.problems.push(`Kafka (${o.sourceBrokers} → ${o.targetBrokers}): ${(err as Error).message}`);
  }
  return out;
}

/** 4 when the worker or a cluster did not answer, 1 when a connector or task FAILED, else 0 (apps/lib/exit-codes). */
export function statusExitCode(s: FlowStatus): number {
  if (!s.reachable.connect || !s.reachable.source || !s.reachable.aggregator) return EXIT.unreachable;
  return s.connectors.some((c) => c.state === 'FAILED' || c.tasks.some((t) => t.state === 'FAILED')) ? EXIT.failed : EXIT.ok;
}

export function formatFlowStatus(s: FlowStatus): string[] {
  // The first line of a Java trace, and its root cause when there is one (the server's own message).
  const first = (t?: string) => {
    const lines = t?.split('\n') ?? [];
    const cause = lines.filter((l) => l.startsWith('Caused by: ')).pop();
    return cause ? `${lines[0]} — ${cause.slice('Caused by: '.length)}` : lines[0];
  };
  const lines = [
    `${s.flow}: lag ${s.lagRecords ?? '?'} records, ${s.lagSeconds === undefined ? '? s' : `${s.lagSeconds.toFixed(1)} s`} (Connect ${s.connectUrl})`,
  ];
  for (const c of s.connectors) {
    lines.push(`  ${c.name.padEnd(40)} ${c.state.padEnd(10)} tasks ${c.tasks.map((t) => `${t.id}:${t.state}`).join(' ') || '(none)'}`);
    if (c.state === 'FAILED' && c.trace) lines.push(`    connector FAILED at ${s.connectUrl}: ${first(c.trace)}`);
    for (const t of c.tasks)
      if (t.state === 'FAILED' && t.trace) lines.push(`    task ${t.id} FAILED at ${s.connectUrl}: ${first(t.trace)}`);
  }
  for (const t of s.topics)
    lines.push(`  ${t.topic} → ${t.remote}: ${t.missingAtAggregator ? 'not at the aggregator yet, ' : ''}lag ${t.lagRecords}`);
  for (const p of s.problems) lines.push(`  ! ${p}`);
  return lines;
}

export function registerReplicationCommand(program: Command, io: CliOutput = stdio): void {
  const cmd = program.command('replication').description('source → aggregator replication (MirrorMaker 2 / Replicator)');
  cmd
    .command('status')
    .description('per flow: topics, lag (records, seconds), connector and task states')
    .option('--site <source>', 'only the flow of this source site')
    .option('--connect-url <url>', "the flow's replication Connect REST URL (default: the stack's in-cluster URL)")
    .option('--source-brokers <hosts>', "the source's Kafka (default: the stack's in-cluster address)")
    .option('--target-brokers <hosts>', "the aggregator's Kafka (default: the aggregator's inbound address)")
    .option('--name-prefix <prefix>', 'connector name prefix (default replication-<site>)')
    .option('--local', "the local EFD's replication a → b (npx efd local up --clusters 2)")
    .option('--json', 'print JSON')
    .action(async (flags: StatusFlags & { local?: boolean; json?: boolean }) => {
      const results = flags.local ? [await localFlowStatus(flags)] : await siteFlowStatuses(flags);
      if (flags.json) io.out(JSON.stringify(results, null, 2));
      else for (const r of results) for (const line of formatFlowStatus(r)) io.out(line);
      process.exitCode = worstExit(...results.map(statusExitCode));
    });
}

interface StatusFlags {
  site?: string;
  connectUrl?: string;
  sourceBrokers?: string;
  targetBrokers?: string;
  namePrefix?: string;
}

/** The local EFD's flow (`local up --clusters 2`): a → b, the worker and brokers from endpoints.json. */
async function localFlowStatus(flags: StatusFlags): Promise<FlowStatus> {
  const { readEndpoints } = require('../lib/local-endpoints') as typeof import('../lib/local-endpoints');
  const { localReplicationFlow } = require('../../scripts/local-efd/replication') as typeof import('../../scripts/local-efd/replication');
  const e = readEndpoints();
  if (!e.replication) throw new Error('the local EFD runs no replication: start it with `npx efd local up --clusters 2`');
  const [a, b] = e.clusters;
  return flowStatus({
    flow: localReplicationFlow(b),
    connectUrl: flags.connectUrl ?? e.replication.connect,
    sourceBrokers: a.kafka,
    targetBrokers: b.kafka,
    namePrefix: flags.namePrefix,
  });
}

/** The sites' flows, at the addresses their stacks configure unless given. */
async function siteFlowStatuses(flags: StatusFlags): Promise<FlowStatus[]> {
  const sites = loadSites();
  const flows = deriveTopology(sites).flows.filter((f) => !flags.site || f.source === flags.site);
  if (!flows.length)
    throw new Error(
      `no replication flow${flags.site ? ` from site "${flags.site}"` : ''}; flows: ${deriveTopology(sites)
        .flows.map((f) => f.source)
        .join(', ')}`,
    );
  // The stack's addresses come from the constructs (loaded only here: they bring cdktf with them).
  const { siteReplicationEndpoints } =
    require('../../constructs/replication/replication') as typeof import('../../constructs/replication/replication');
  const { replicationConnectUrl } =
    require('../../constructs/replication/replication-connect') as typeof import('../../constructs/replication/replication-connect');
  const results: FlowStatus[] = [];
  for (const flow of flows) {
    const site = (n: string) => sites.find((s) => s.name === n)!;
    const e = siteReplicationEndpoints(site(flow.source), site(flow.aggregator));
    results.push(
      await flowStatus({
        flow,
        connectUrl: flags.connectUrl ?? replicationConnectUrl(flow.source, flow.settings.connect.namespace),
        sourceBrokers: flags.sourceBrokers ?? e.sourceBootstrapServers,
        targetBrokers: flags.targetBrokers ?? flow.inbound.bootstrapServers,
        namePrefix: flags.namePrefix,
      }),
    );
  }
  return results;
}
