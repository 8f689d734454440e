import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { overlayConflicts, siteValues, Values } from './helm-values';

const isMapping = (x: unknown): x is Values => !!x && typeof x === 'object' && !Array.isArray(x);

/** Every leaf of a values tree as [dotted path, value]; arrays and empty mappings are leaves. */
function leaves(v: Values, prefix = ''): [string, unknown][] {
  return Object.entries(v).flatMap(([k, x]) => {
    const at = prefix ? `${prefix}.${k}` : k;
    return isMapping(x) && Object.keys(x).length > 0 ? leaves(x, at) : [[at, x] as [string, unknown]];
  });
}

/** Every path a layer sets: each key with a value other than undefined, mappings included. */
function setPaths(v: Values, prefix = ''): string[] {
  return Object.entries(v).flatMap(([k, x]) => {
    if (x === undefined) return [];
    const at = prefix ? `${prefix}.${k}` : k;
    return [at, ...(isMapping(x) ? setPaths(x, at) : [])];
  });
}

/** The output holds the leaf: the same value, or a mapping where the leaf is an empty mapping (it merges). */
function expectLeaf(out: Values, [p, v]: [string, unknown]): void {
  if (isMapping(v) && Object.keys(v).length === 0) expect([p, isMapping(get(out, p))]).toEqual([p, true]);
  else expect([p, get(out, p)]).toEqual([p, v]);
}

/** True when every key of the dotted path is an own property (a value of undefined counts). */
function has(v: Values, dotted: string): boolean {
  let o: unknown = v;
  for (const k of dotted.split('.')) {
    if (!o || typeof o !== 'object' || !Object.prototype.hasOwnProperty.call(o, k)) return false;
    o = (o as Values)[k];
  }
  return true;
}

function get(v: Values, dotted: string): unknown {
  return dotted.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Values)[k] : undefined), v);
}

/** Random values trees over a small key alphabet, so the three layers collide often. */
function generator(seed: number) {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const scalar = () => pick<unknown>([true, false, 0, 3, 'a', 'b', '1Gi', ['x', 'y'], null]);
  const tree = (depth: number, undefinedAllowed: boolean): Values => {
    const out: Values = {};
    for (let n = Math.floor(rand() * 4); n > 0; n--) {
      const key = pick(['enabled', 'image', 'resources', 'persistence', 'size', 'env']);
      if (depth < 3 && rand() < 0.45) out[key] = tree(depth + 1, undefinedAllowed);
      else out[key] = undefinedAllowed && rand() < 0.15 ? undefined : scalar();
    }
    return out;
  };
  return { tree };
}

describe('siteValues: base, overlay, typed overrides', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-helm-values-'));
  fs.mkdirSync(path.join(dir, 'sites', 'lab'), { recursive: true });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function write(base: Values, overlay: Values | undefined) {
    fs.writeFileSync(path.join(dir, 'chart.yaml'), stringify(base));
    const file = path.join(dir, 'sites', 'lab', 'chart.yaml');
    if (overlay) fs.writeFileSync(file, stringify(overlay));
    else fs.rmSync(file, { force: true });
  }

  it('property (300 random layer sets): no overlay or override value is silently replaced', () => {
    const { tree } = generator(19);
    let conflicting = 0;
    let merged = 0;
    for (let i = 0; i < 300; i++) {
      const base = tree(0, false);
      const overlay = tree(0, false);
      const overrides = tree(0, true);
      write(base, overlay);
      const conflicts = overlayConflicts(overlay, overrides);
      if (conflicts.length) {
        conflicting++;
        // Each reported path is set by both layers.
        for (const c of conflicts) expect([c, has(overlay, c), has(overrides, c)]).toEqual([c, true, true]);
        expect(() => siteValues('chart.yaml', 'lab', overrides, dir)).toThrow(
          `site "lab", ${path.relative(process.cwd(), path.join(dir, 'sites', 'lab', 'chart.yaml'))}: ${conflicts.join(', ')}`,
        );
        continue;
      }
      merged++;
      const out = siteValues('chart.yaml', 'lab', overrides, dir);
      for (const leaf of leaves(overrides)) if (leaf[1] !== undefined) expectLeaf(out, leaf);
      for (const leaf of leaves(overlay)) expectLeaf(out, leaf);
      // A base value survives unless a later layer sets that key or one of its parents.
      const later = [...setPaths(overlay), ...setPaths(overrides)];
      for (const [p, v] of leaves(base)) {
        const shadowed = later.some((q) => q === p || p.startsWith(`${q}.`) || q.startsWith(`${p}.`));
        if (!shadowed) expectLeaf(out, [p, v]);
      }
    }
    // Both branches were exercised often enough to mean something.
    expect(conflicting).toBeGreaterThan(30);
    expect(merged).toBeGreaterThan(30);
  });

  it('refuses the dead overlay of issue 19: KSQL on in the overlay, off from the typed config', () => {
    write(
      { 'cp-ksql-server': { enabled: false, heapOptions: '-Xmx1G' } },
      { 'cp-ksql-server': { enabled: true }, 'cp-kafka': { podAnnotations: { a: 'b' } } },
    );
    expect(() => siteValues('chart.yaml', 'lab', { 'cp-ksql-server': { enabled: false }, 'cp-kafka': { brokers: 3 } }, dir)).toThrow(
      /: cp-ksql-server\.enabled is set from the site's typed config \(config\/sites\/lab\.yaml, config\/schema\.ts\), which would replace the overlay's value; set it in the site YAML and remove it from the overlay$/,
    );
  });

  it("counts a typed override left undefined (the chart default) as the typed config's key", () => {
    expect(overlayConflicts({ resources: { requests: { cpu: '2' } } }, { resources: undefined })).toEqual(['resources']);
    expect(overlayConflicts({ persistence: { annotations: { a: 'b' } } }, { persistence: { size: '1Gi' } })).toEqual([]);
  });

  it('merges a chart key the schema does not model from the overlay', () => {
    write({ 'cp-kafka': { brokers: 1, podAnnotations: {} } }, { 'cp-kafka': { podAnnotations: { team: 'efd' } } });
    expect(siteValues('chart.yaml', 'lab', { 'cp-kafka': { brokers: 3 } }, dir)).toEqual({
      'cp-kafka': { brokers: 3, podAnnotations: { team: 'efd' } },
    });
  });
});
