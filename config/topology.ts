/**
 * The replication topology, derived from the sites (not a construct): a source site names its
 * aggregator (`replicateTo`); the flows, the aggregator's inbound prefixes and which site runs what
 * follow from that. The rename policy (`<prefix>.<topic>`, MirrorMaker 2's DefaultReplicationPolicy with
 * separator ".", Replicator's `topic.rename.format` `<prefix>.${topic}`) is defined here once.
 *
 * Rules checked at load (synth) time, each naming the sites, the file and the field: unknown
 * aggregator, a site replicating to itself, loops, an aggregator (or any non-source) that replicates,
 * two sources with the same prefix, an aggregator without its `inbound` endpoints, Replicator without
 * its licence Secret.
 */
import type { Site } from './schema';
import { Inbound, SourceReplication, sourceReplicationSchema } from './replication';

/** A topology problem, in the shape of the loader's SiteProblem. */
export interface TopologyProblem {
  site: string;
  file: string;
  line?: number;
  field: string;
  message: string;
}

export interface SiteEntry {
  site: Site;
  file: string;
}

/** Separator between the source prefix and the topic. */
export const REPLICATION_SEPARATOR = '.';

/** `<prefix>.<topic>`: the name of a source topic at the aggregator. */
export function remoteTopic(prefix: string, topic: string): string {
  return `${prefix}${REPLICATION_SEPARATOR}${topic}`;
}

/** The subject of a renamed topic (TopicNameStrategy: `<topic>-value` → `<prefix>.<topic>-value`). */
export function remoteSubject(prefix: string, subject: string): string {
  return `${prefix}${REPLICATION_SEPARATOR}${subject}`;
}

/** The source prefix and topic of a replicated topic name, or undefined when no prefix matches. */
export function sourceOfTopic(remote: string, prefixes: readonly string[]): { prefix: string; topic: string } | undefined {
  const prefix = [...prefixes].sort((a, b) => b.length - a.length).find((p) => remote.startsWith(p + REPLICATION_SEPARATOR));
  return prefix ? { prefix, topic: remote.slice(prefix.length + REPLICATION_SEPARATOR.length) } : undefined;
}

/** Whole-name regex of `<prefix>.<topic>` for topics matching `topicsRegex` (prefixes are [a-z0-9-]). */
export function remoteTopicsRegex(prefix: string, topicsRegex: string): string {
  return `${prefix}[.](?:${topicsRegex})`;
}

/** One direction of replication: a source site's topics into its aggregator. */
export interface ReplicationFlow {
  source: string;
  aggregator: string;
  /** Topic prefix at the aggregator (default the source site's name). */
  prefix: string;
  settings: SourceReplication;
  inbound: Inbound;
  /** The site whose cluster runs the replication (the source: remote producing, as seed 001 did). */
  runsAt: string;
  /** The stack that deploys it. */
  stack: string;
  /** Replicated topics at the aggregator (whole-name regex). */
  remoteTopicsRegex: string;
}

export interface AggregatorInbound {
  aggregator: string;
  sources: string[];
  prefixes: string[];
  /** Every replicated topic the aggregator receives (whole-name regex), for its sink. */
  topicsRegex: string;
}

export interface Topology {
  flows: ReplicationFlow[];
  aggregators: AggregatorInbound[];
}

const prefixOf = (site: Site) => site.replication?.prefix ?? site.name;

/** Every topology problem of a set of validated sites. */
export function topologyProblems(entries: SiteEntry[]): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const byName = new Map(entries.map((e) => [e.site.name, e]));
  const names = [...byName.keys()];
  const add = (e: SiteEntry, field: string, message: string) => problems.push({ site: e.site.name, file: e.file, field, message });

  for (const e of entries) {
    const { site } = e;
    if (site.replication && !site.replicateTo)
      add(e, 'replication', 'expected only on a source site that names its aggregator in replicateTo');
    if (site.inbound && site.role !== 'aggregator')
      add(e, 'inbound', `expected only on an aggregator site; "${site.name}" has role ${site.role}`);
    if (!site.replicateTo) continue;
    const target = byName.get(site.replicateTo);
    if (site.role === 'aggregator') {
      const sources = entries.filter((x) => x.site.replicateTo === site.name).map((x) => x.site.name);
      add(
        e,
        'replicateTo',
        `expected no replicateTo on aggregator "${site.name}"${sources.length ? ` (it receives ${sources.join(', ')})` : ''}: an aggregator does not replicate further`,
      );
    } else if (site.role !== 'source') {
      add(e, 'replicateTo', `expected replicateTo only on source sites; "${site.name}" has role ${site.role}`);
    }
    if (site.replicateTo === site.name) add(e, 'replicateTo', `a site cannot replicate to itself ("${site.name}")`);
    else if (!target) add(e, 'replicateTo', `expected an existing site; "${site.replicateTo}" is not one of ${names.join(', ')}`);
    else if (target.site.role !== 'aggregator')
      add(e, 'replicateTo', `expected an aggregator site; "${target.site.name}" has role ${target.site.role}`);
    if (site.replication?.engine === 'replicator' && !site.replication.licenseSecret) {
      add(e, 'replication.licenseSecret', 'expected the Secret holding the Confluent licence key (key "license") for engine replicator');
    }
  }

  // Loops: follow replicateTo from each site; report each cycle once, on its first member by name.
  const reported = new Set<string>();
  for (const e of entries) {
    const chain = [e.site.name];
    let next = e.site.replicateTo;
    while (next && byName.has(next) && !chain.includes(next)) {
      chain.push(next);
      next = byName.get(next)?.site.replicateTo;
    }
    if (!next || next !== e.site.name || chain.length < 2) continue;
    const key = [...chain].sort().join(',');
    if (reported.has(key)) continue;
    reported.add(key);
    add(
      e,
      'replicateTo',
      `replication loop ${[...chain, e.site.name].join(' → ')}: replication runs one way, from sources to an aggregator`,
    );
  }

  // Prefixes at each aggregator must be unique.
  const byPrefix = new Map<string, SiteEntry[]>();
  for (const e of entries.filter((x) => x.site.replicateTo)) {
    const key = `${e.site.replicateTo}\0${prefixOf(e.site)}`;
    byPrefix.set(key, [...(byPrefix.get(key) ?? []), e]);
  }
  for (const [key, group] of byPrefix) {
    if (group.length < 2) continue;
    const [aggregator, prefix] = key.split('\0');
    for (const e of group) {
      const others = group
        .filter((x) => x !== e)
        .map((x) => `"${x.site.name}" (${x.file})`)
        .join(', ');
      add(
        e,
        e.site.replication?.prefix ? 'replication.prefix' : 'replicateTo',
        `two sources replicate to "${aggregator}" under the prefix "${prefix}": also ${others}; give each a distinct replication.prefix`,
      );
    }
  }

  // An aggregator that receives flows needs its inbound endpoints.
  for (const e of entries.filter((x) => x.site.role === 'aggregator' && !x.site.inbound)) {
    const sources = entries.filter((x) => x.site.replicateTo === e.site.name).map((x) => x.site.name);
    if (sources.length)
      add(
        e,
        'inbound',
        `expected inbound.bootstrapServers and inbound.schemaRegistryUrl (how ${sources.join(', ')} reach this aggregator)`,
      );
  }
  return problems;
}

/** The flows and aggregator inbounds of validated sites; throws listing every problem otherwise. */
export function deriveTopology(sites: Site[], fileOf: (site: string) => string = (s) => `config/sites/${s}.yaml`): Topology {
  const problems = topologyProblems(sites.map((site) => ({ site, file: fileOf(site.name) })));
  if (problems.length) {
    throw new Error(
      `invalid replication topology:\n${problems.map((p) => `  site "${p.site}", ${p.file}, field ${p.field}: ${p.message}`).join('\n')}`,
    );
  }
  const flows: ReplicationFlow[] = sites
    .filter((s) => s.replicateTo)
    .map((s) => {
      const aggregator = sites.find((a) => a.name === s.replicateTo) as Site;
      const settings = s.replication ?? sourceReplicationSchema.parse({});
      const prefix = prefixOf(s);
      return {
        source: s.name,
        aggregator: aggregator.name,
        prefix,
        settings,
        inbound: aggregator.inbound as Inbound,
        runsAt: s.name,
        stack: `${s.name}-replication`,
        remoteTopicsRegex: remoteTopicsRegex(prefix, settings.topicsRegex),
      };
    })
    .sort((a, b) => a.source.localeCompare(b.source));
  const aggregators = sites
    .filter((a) => a.role === 'aggregator')
    .map((a) => {
      const mine = flows.filter((f) => f.aggregator === a.name);
      return {
        aggregator: a.name,
        sources: mine.map((f) => f.source),
        prefixes: mine.map((f) => f.prefix),
        topicsRegex: mine.map((f) => f.remoteTopicsRegex).join('|'),
      };
    });
  return { flows, aggregators };
}
