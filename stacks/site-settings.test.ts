/**
 * Every value a site YAML sets reaches the synth: for each leaf of each config/sites/*.yaml, a
 * different valid value must change the site's synthesized stacks. A value that is ignored, or
 * replaced on the way (by an overlay, a default, a construct), leaves the synth unchanged and
 * fails here. The few settings that by design stay outside the Terraform are listed, and checked
 * to really stay outside, so the list cannot go stale; so are the settings coupled to others.
 */
import { App, Testing } from 'cdktf';
import { parse } from 'yaml';
import { readSiteSources } from '../config/load';
import { Site, siteSchema } from '../config/schema';
import { buildSites } from './app';

/** Site settings that do not reach the Terraform, and why. */
const OUTSIDE_THE_SYNTH: Record<string, string> = {
  description: 'shown by `efd sites` only',
  role: 'read by the cross-site checks (replicateTo) and `efd sites`',
  'target.distribution': 'informational (config/schema.ts)',
  replicateTo: 'read by the cross-site checks; replication is not synthesized yet',
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

/** The site's stacks as Terraform JSON (the invariants are checked by the other suites). */
function synth(site: Site): string {
  const [stacks] = buildSites(Testing.app() as App, [site]);
  return JSON.stringify([stacks.cluster, stacks.efd].map((s) => s?.toTerraform()));
}

/** The synth of the first candidate the schema and the constructs accept, or undefined. */
function variantSynth(raw: unknown, p: Path): string | undefined {
  for (const c of candidates(raw, p)) {
    const parsed = siteSchema.safeParse(setIn(raw, p, c));
    if (!parsed.success) continue;
    try {
      return synth(parsed.data);
    } catch {
      // The constructs refuse this value (e.g. a prefix without its trailing "/"): try the next one.
    }
  }
  return undefined;
}

describe.each(readSiteSources().map((s) => [s.file, s.text]))('%s', (file, text) => {
  const raw = parse(text) as unknown;
  const baseline = synth(siteSchema.parse(raw));

  it('every value it sets reaches the synth (changing it changes the Terraform)', () => {
    const unchanged: string[] = [];
    const untestable: string[] = [];
    for (const p of leafPaths(raw)) {
      const key = p.filter((k) => typeof k === 'string').join('.');
      const variant = variantSynth(raw, p);
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
    for (const source of readSiteSources()) {
      const site = siteSchema.parse(parse(source.text));
      const [{ efd }] = buildSites(Testing.app() as App, [site]);
      const connect = efd.kafka.chart.values['cp-kafka-connect'] as { volumes: { secret: { secretName: string } }[] };
      expect([site.name, connect.volumes.map((v) => v.secret.secretName)]).toEqual([site.name, efd.connectors.secrets]);
    }
  });
});
