/**
 * Where the admin commands (`efd topics|brokers|registry|consumer-groups`) point, and how they connect.
 *
 * Endpoints, first that applies: `--bootstrap-servers` / `--registry-url`; else `--site <name>`: the
 * in-cluster addresses of that site's Kafka platform (constructs/kafka-platform.ts platformEndpoints, as
 * `efd replication status` uses them; reach them from inside the cluster or through a port-forward and
 * the overrides); else the local EFD (endpoints.json of `efd local up`), cluster `--cluster a|b` (default a).
 *
 * A server that does not answer is one line naming its address and what to do, exit 4 (apps/lib/exit-codes).
 */
import { Command, Option } from 'commander';
import { BadInputError, UnreachableError, UsageError } from '../../lib/exit-codes';
import type { EfdAdmin } from '../../lib/kafka-admin';
import { readEndpoints } from '../../lib/local-endpoints';
import type { Registry } from '../../lib/registry';
import type { CliOutput } from '../../lib/cli-output';

export interface TargetFlags {
  site?: string;
  cluster?: string;
  bootstrapServers?: string;
  registryUrl?: string;
  json?: boolean;
  yes?: boolean;
}

export interface Target {
  /** Kafka bootstrap servers. */
  kafka: string;
  /** Schema registry URL (Confluent-compatible API or server root). */
  registry: string;
  /** Where they came from: `site summit`, `local EFD cluster a`, `--bootstrap-servers`. */
  source: string;
}

/** `--site`, `--cluster`, the endpoint override(s) and `--json` on an admin command. */
export function targetOptions(cmd: Command, o: { kafka?: boolean; registry?: boolean } = {}): Command {
  cmd
    .option('--site <name>', "the site's endpoints (config/sites/<name>.yaml; in-cluster addresses)")
    .addOption(new Option('--cluster <name>', 'the local EFD cluster (default a)'));
  if (o.kafka) cmd.option('--bootstrap-servers <hosts>', 'Kafka bootstrap servers host:port[,…] (overrides --site/--cluster)');
  if (o.registry) cmd.option('--registry-url <url>', 'schema registry URL (overrides --site/--cluster)');
  return cmd.option('--json', 'print JSON (the shapes are documented in README "Admin CLI")');
}

/** The endpoints `flags` select; reads the site config or the local EFD's endpoints only when an override does not cover `need`. */
export async function resolveTarget(flags: TargetFlags, need: 'kafka' | 'registry'): Promise<Target> {
  if (flags.site && flags.cluster) throw new UsageError('--site and --cluster are exclusive: --cluster picks a cluster of the local EFD');
  const override = need === 'kafka' ? flags.bootstrapServers : flags.registryUrl;
  if (override)
    return {
      kafka: flags.bootstrapServers ?? '',
      registry: flags.registryUrl ?? '',
      source: need === 'kafka' ? '--bootstrap-servers' : '--registry-url',
    };
  if (flags.site) {
    // required when used (tsx registers TypeScript for require, bin/efd, not for import())
    const { loadSites } = require('../../../config/load') as typeof import('../../../config/load');
    const sites = loadSites();
    const site = sites.find((s) => s.name === flags.site);
    if (!site)
      throw new UsageError(`--site ${flags.site}: unknown site; known sites: ${sites.map((s) => s.name).join(', ')} (config/sites/*.yaml)`);
    // the stack's own addresses come from the construct (loaded only here: it brings cdktf with it)
    const { platformEndpoints } = require('../../../constructs/kafka-platform') as typeof import('../../../constructs/kafka-platform');
    const e = platformEndpoints(site);
    if (need === 'registry' && !e.schemaRegistryUrl)
      throw new UsageError(`site ${site.name} runs no schema registry (kafka.schemaRegistry: false); pass --registry-url`);
    return { kafka: e.bootstrapServers, registry: e.schemaRegistryUrl ?? '', source: `site ${site.name}` };
  }
  let clusters;
  try {
    clusters = readEndpoints().clusters;
  } catch (err) {
    throw new UnreachableError(
      `${(err as Error).message} Or point the command at a server: --site <name>, ${need === 'kafka' ? '--bootstrap-servers' : '--registry-url'}.`,
    );
  }
  const name = flags.cluster ?? clusters[0].name;
  const c = clusters.find((x) => x.name === name);
  if (!c) throw new UsageError(`--cluster ${name}: the local EFD has clusters ${clusters.map((x) => x.name).join(', ')}`);
  return { kafka: c.kafka, registry: c.registry, source: `local EFD cluster ${c.name}` };
}

/** Why a connection failed: the socket/DNS codes anywhere in the error's causes, else its first line. */
export function reason(err: unknown): string {
  const codes: string[] = [];
  const seen = new Set<unknown>();
  const walk = (e: unknown) => {
    if (!e || typeof e !== 'object' || seen.has(e)) return;
    seen.add(e);
    const { code, cause, errors } = e as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && !codes.includes(code)) codes.push(code);
    walk(cause);
    if (Array.isArray(errors)) errors.forEach(walk);
  };
  walk(err);
  return codes.length ? codes.join(', ') : ((err as Error)?.message ?? String(err)).split('\n')[0];
}

/** Runs `fn` with a connected admin client of `t.kafka` (the client EFD_KAFKA_CLIENT picks); disconnects after. */
export async function withKafka<T>(t: Target, fn: (admin: EfdAdmin) => Promise<T>): Promise<T> {
  // the Kafka clients load only for a Kafka command, the registry client only for a registry one (seconds each)
  const { createAdmin } = require('../../lib/kafka-admin') as typeof import('../../lib/kafka-admin');
  const { silentLogger } = require('../../lib/logging') as typeof import('../../lib/logging');
  const admin = createAdmin({ brokers: t.kafka, clientId: 'efd-admin', retries: 1, requestTimeoutMs: 15_000, logger: silentLogger() });
  try {
    await admin.connect();
  } catch (err) {
    await admin.disconnect().catch(() => undefined);
    throw new UnreachableError(
      `Kafka at ${t.kafka} (${t.source}) did not answer (${reason(err)}): check that it runs, or point --site, --cluster or --bootstrap-servers at it`,
      { cause: err },
    );
  }
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** A registry client of `t.registry` that gives up after two attempts (an operator is waiting), with the admin hint. */
export function registryOf(t: Target): Registry {
  const { createRegistry } = require('../../lib/registry') as typeof import('../../lib/registry');
  return createRegistry(t.registry, {
    retry: { attempts: 2, initialDelayMs: 200 },
    hint: `Check that it runs, or point --site, --cluster or --registry-url at it (${t.source}).`,
  });
}

/** An unknown topic, subject or group: named, where it was looked for, exit 3. */
export function notFound(what: string, t: Target, hint: string): BadInputError {
  return new BadInputError(`${what} does not exist (${t.source}); ${hint}`);
}

/** Prints `value` as JSON (`--json`) or the human lines. */
export function print(io: CliOutput, flags: TargetFlags, value: unknown, human: () => string[]): void {
  if (flags.json) io.out(JSON.stringify(value, null, 2));
  else for (const line of human()) io.out(line);
}
