/**
 * Every value a site YAML sets reaches the synth: for each leaf of each config/sites/*.yaml, a
 * different valid value must change the site's synthesized stacks. A value that is ignored, or
 * replaced on the way (by an overlay, a default, a construct), leaves the synth unchanged and
 * fails here. The few settings that by design stay outside the Terraform are listed, and checked
 * to really stay outside, so the list cannot go stale; so are the settings coupled to others.
 */
import { isDeepStrictEqual } from 'util';
import { App, TerraformStack, Testing } from 'cdktf';
import { parse } from 'yaml';
import { readSiteSources } from '../config/load';
import { Site, siteSchema } from '../config/schema';
import { buildSites, planSites, PlannedStack, SiteStacks } from './app';

/** Site settings that do not reach the Terraform, and why. */
const OUTSIDE_THE_SYNTH: Record<string, string> = {
  description: 'shown by `efd sites` only',
  role: 'read by the cross-site checks (replicateTo) and `efd sites`',
  'target.distribution': 'informational (config/schema.ts)',
  'inbound.schemaRegistryUrl':
    "read by sources replicating with the replicator engine (schema translation); both sources use mirrormaker2 with the remote registry, which never writes to the aggregator's registry",
};

/**
 * Settings no single-value change keeps valid, because other settings depend on them (they are
 * judged by the schema's own tests): a discriminator with its fields, a tier name with the
 * sources naming it, and the flags the schema checks against each other.
 */
const COUPLED: Record<string, string> = {
  'target.kind': 'selects which target fields exist',
  'backend.kind': 'selects which backend fields exist (gcs: bucket, prefix)',
  'connectors.objectStore.kind': 'selects which object-store fields exist (region: s3 only)',
  'retention.tiers.name': "named by the next tier's source",
  'retention.tiers.source': 'must name an earlier tier',
  production: 'salmock is refused on production sites',
  role: 'replicateTo is only for source sites',
  'replication.engine': 'replicator needs licenseSecret (config/topology.test.ts)',
  replicateTo: 'names the aggregator; another value alone is an invalid topology (config/topology.test.ts)',
  'storage.create': 'creating the class on-prem needs a provisioner',
};

type Path = (string | number)[];

function leafPaths(v: unknown, at: Path = []): Path[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leafPaths(x, [...at, i]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => leafPaths(x, [...at, k]));
  return [at];
}

function setIn(v: unknown, p: Path, value: unknown): unknown {
  const copy = structuredClone(v) as Record<string | number, unknown>;
  let o = copy;
  for (const k of p.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[p[p.length - 1]] = value;
  return copy;
}

const getIn = (v: unknown, p: Path): unknown => p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], v);

/** Other values the schema accepts at `p`, most specific first (enum options, bumped digits, flips). */
function candidates(raw: unknown, p: Path): unknown[] {
  const value = getIn(raw, p);
  if (typeof value === 'boolean') return [!value];
  if (typeof value === 'number') return [value + 1, value * 2, value - 1];
  const s = String(value);
  const options: unknown[] = [];
  const probe = siteSchema.safeParse(setIn(raw, p, '\u0000'));
  for (const issue of probe.success ? [] : probe.error.issues) {
    if (issue.code === 'invalid_value' && issue.path.join('.') === p.join('.')) options.push(...issue.values.filter((o) => o !== value));
  }
  return [...options, s.replace(/\d+/, (d) => String(Number(d) * 2)), `${s}x`, `x${s}`].filter((c) => c !== value);
}

const SITES = readSiteSources().map((s) => siteSchema.parse(parse(s.text)));

/**
 * The sites one site's settings can reach: itself, the aggregator it replicates to, and the sources
 * that replicate to it (a source's replication stack reads its aggregator's `inbound`).
 */
function related(site: Site): Site[] {
  const others = SITES.filter((o) => o.name !== site.name && (o.name === site.replicateTo || o.replicateTo === site.name));
  return [site, ...others];
}

type Planned = PlannedStack<unknown, TerraformStack>;

/** The stacks `buildSites` makes of these sites, in its order, not built yet. */
const plannedStacks = (sites: Site[]): Planned[] =>
  planSites(sites)
    .flatMap((p): (Planned | undefined)[] => [p.cluster, p.efd, p.replication, p.alerts])
    .filter((s): s is Planned => s !== undefined);

/**
 * cdktf records where every token and attribute reference was made (a whole stack trace each, read
 * only by its own error messages); under jest every frame of every record is mapped through the
 * source maps, which is most of a synth's time. While `fn` runs, V8 writes those frames unmapped.
 */
function withUnmappedStackFrames<T>(fn: () => T): T {
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error: Error, frames: NodeJS.CallSite[]) => `${error}${frames.map((f) => `\n    at ${f}`).join('')}`;
  try {
    return fn();
  } finally {
    Error.prepareStackTrace = previous;
  }
}

/** A site's synth as built by `buildSites` (with its related sites, in one App): each stack's props and Terraform JSON. */
interface Baseline {
  built: SiteStacks[];
  stacks: Map<string, { props: unknown; json: string }>;
}

function baselineOf(site: Site): Baseline {
  const built = withUnmappedStackFrames(() => buildSites(Testing.app() as App, related(site)));
  const byId = new Map(
    built.flatMap((b) => [b.cluster, b.efd, b.replication, b.alerts]).flatMap((s) => (s ? [[s.node.id, s] as const] : [])),
  );
  const stacks = new Map(
    plannedStacks(related(site)).map((p) => [p.id, { props: p.props, json: JSON.stringify(byId.get(p.id)?.toTerraform()) }]),
  );
  return { built, stacks };
}

/**
 * The synth of the changed site with its related sites, as stack id → Terraform JSON. A stack is
 * a function of its props (the test below holds each stack to that), so a stack whose props equal
 * the baseline's is the baseline's; only the others are built.
 */
function synth(base: Baseline, site: Site): string {
  const app = Testing.app() as App;
  return JSON.stringify(
    plannedStacks(related(site)).map((p) => {
      const known = base.stacks.get(p.id);
      return [p.id, known && isDeepStrictEqual(known.props, p.props) ? known.json : JSON.stringify(p.build(app).toTerraform())];
    }),
  );
}

/** The synth of the first candidate the schema and the constructs accept, or undefined. */
function variantSynth(base: Baseline, raw: unknown, p: Path): string | undefined {
  for (const c of candidates(raw, p)) {
    const parsed = siteSchema.safeParse(setIn(raw, p, c));
    if (!parsed.success) continue;
    try {
      return withUnmappedStackFrames(() => synth(base, parsed.data));
    } catch {
      // The constructs refuse this value (e.g. a prefix without its trailing "/"): try the next one.
    }
  }
  return undefined;
}

const BASELINES = new Map(SITES.map((site) => [site.name, baselineOf(site)]));

describe.each(readSiteSources().map((s) => [s.file, s.text]))('%s', (file, text) => {
  const raw = parse(text) as unknown;
  const site = siteSchema.parse(raw);
  const base = BASELINES.get(site.name) as Baseline;
  const baseline = withUnmappedStackFrames(() => synth(base, site));

  it('builds each stack alone as buildSites builds it with the others (a stack reads only its props)', () => {
    for (const p of plannedStacks(related(site))) {
      const alone = withUnmappedStackFrames(() => JSON.stringify(p.build(Testing.app() as App).toTerraform()));
      expect([p.id, alone]).toEqual([p.id, base.stacks.get(p.id)?.json]);
    }
  });

  it('every value it sets reaches the synth (changing it changes the Terraform)', () => {
    const unchanged: string[] = [];
    const untestable: string[] = [];
    for (const p of leafPaths(raw)) {
      const key = p.filter((k) => typeof k === 'string').join('.');
      const variant = variantSynth(base, raw, p);
      if (variant === undefined) {
        if (!(key in COUPLED)) untestable.push(p.join('.'));
        continue;
      }
      const reaches = variant !== baseline;
      if (reaches === key in OUTSIDE_THE_SYNTH)
        unchanged.push(`${p.join('.')}${reaches ? ' (listed as outside the synth, but it reaches it)' : ''}`);
    }
    expect({ file, unchanged, untestable }).toEqual({ file, unchanged: [], untestable: [] });
  });
});

describe('Connect of every site', () => {
  it('mounts exactly the Secrets of its connectors', () => {
    for (const site of SITES) {
      const [{ efd }] = (BASELINES.get(site.name) as Baseline).built;
      const connect = efd.kafka.chart.values['cp-kafka-connect'] as { volumes: { secret: { secretName: string } }[] };
      expect([site.name, connect.volumes.map((v) => v.secret.secretName)]).toEqual([site.name, efd.connectors.secrets]);
    }
  });
});
