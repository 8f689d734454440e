/**
 * `efd brokers` — the cluster's brokers and controller.
 *
 * JSON (--json): { clusterId, controllerId, brokers: [{ nodeId, host, port, rack, controller }] }
 * (rack is null without one, and always with EFD_KAFKA_CLIENT=kafkajs, whose answer drops it).
 */
import { Command } from 'commander';
import type { ClusterDescription } from '../../lib/kafka-admin';
import { CliOutput, stdio } from '../../lib/cli-output';
import { formatTable } from '../../lib/table';
import { print, resolveTarget, TargetFlags, targetOptions, withKafka } from './target';

export interface BrokersReport {
  clusterId: string;
  controllerId: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null; controller: boolean }[];
}

export function brokersReport(c: ClusterDescription): BrokersReport {
  return {
    clusterId: c.clusterId,
    controllerId: c.controllerId,
    brokers: c.brokers.map((b) => ({ ...b, controller: b.nodeId === c.controllerId })),
  };
}

export function formatBrokers(r: BrokersReport): string[] {
  return [
    `cluster ${r.clusterId}: ${r.brokers.length} broker(s)`,
    ...formatTable(
      ['ID', 'HOST', 'PORT', 'RACK', 'CONTROLLER'],
      r.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack, b.controller ? 'yes' : 'no']),
      { right: [0, 2] },
    ),
  ];
}

export function registerBrokersCommand(program: Command, io: CliOutput = stdio): Command {
  return targetOptions(program.command('brokers'), { kafka: true })
    .description("the Kafka cluster's brokers (id, address, rack) and which one is the controller")
    .action(async (flags: TargetFlags) => {
      const t = await resolveTarget(flags, 'kafka');
      const r = brokersReport(await withKafka(t, (a) => a.describeCluster()));
      print(io, flags, r, () => formatBrokers(r));
    });
}
