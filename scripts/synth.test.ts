import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { synthSites } from './synth';
import { gkeSite, onPremSite } from '../test/sites';
import { Site } from '../config/schema';
import { loadSites } from '../config/load';
import { checkTemplates, parseHcl } from './tf-templates';

describe('synthSites', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-atomic-'));
  const outdir = path.join(dir, 'cdktf.out');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes every stack and a manifest', () => {
    synthSites([gkeSite(), onPremSite()], outdir);
    expect(fs.readdirSync(path.join(outdir, 'stacks')).sort()).toEqual(['gcp-cluster', 'gcp-efd', 'summit-efd']);
    expect(JSON.parse(fs.readFileSync(path.join(outdir, 'manifest.json'), 'utf8')).stacks).toHaveProperty('summit-efd');
  });

  it('leaves the previous good output untouched when a later stack fails', () => {
    const before = fs.readFileSync(path.join(outdir, 'stacks', 'gcp-efd', 'cdk.tf.json'), 'utf8');
    // A production GKE cluster without deletion protection cannot happen from config; force it by hand.
    const broken: Site = {
      ...onPremSite(),
      name: 'zzz-broken',
      target: { kind: 'kubeconfig', kubeconfig: 'k', context: '', distribution: 'k3s' },
    };
    expect(() => synthSites([gkeSite({ description: 'changed' }), broken], outdir)).toThrow(/site "zzz-broken": target.context is missing/);
    expect(fs.readFileSync(path.join(outdir, 'stacks', 'gcp-efd', 'cdk.tf.json'), 'utf8')).toBe(before);
    expect(fs.readdirSync(dir)).toEqual(['cdktf.out']);
  });

  it('leaves the previous output untouched under `cdktf synth` too, which asks to write stacks with error annotations', () => {
    const before = fs.readFileSync(path.join(outdir, 'stacks', 'gcp-efd', 'cdk.tf.json'), 'utf8');
    // Kafka keeping 30 minutes of a 1 h raw shard breaks invariant kafka-retention-covers-shards.
    const broken = gkeSite({ description: 'changed', kafka: { logRetention: '30m' } });
    process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS = 'true';
    try {
      expect(() => synthSites([broken], outdir)).toThrow(
        /invariant kafka-retention-covers-shards: site "gcp".*Kafka log retention \(0\.5 h\)/s,
      );
      expect(process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS).toBe('true');
    } finally {
      delete process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS;
    }
    expect(fs.readFileSync(path.join(outdir, 'stacks', 'gcp-efd', 'cdk.tf.json'), 'utf8')).toBe(before);
    expect(fs.readdirSync(dir)).toEqual(['cdktf.out']);
  });

  it('writes HCL that plain Terraform can read when asked', () => {
    const hclOut = path.join(dir, 'hcl.out');
    synthSites([onPremSite()], hclOut, { hcl: true });
    const hcl = fs.readFileSync(path.join(hclOut, 'stacks', 'summit-efd', 'cdk.tf'), 'utf8');
    expect(hcl).toMatch(/resource "kubernetes_namespace_v1" "namespaces_kafka_\w+" \{/);
    expect(hcl).toContain('prevent_destroy = true');
    fs.rmSync(hclOut, { recursive: true });
  });
});

// What Terraform would make of the output, read with HashiCorp's HCL parser (@cdktf/hcl2json, the
// same Go library compiled to WebAssembly): nothing to install, so these never skip themselves.
describe('the synthesized Terraform, as Terraform reads it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-tf-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const addresses = (blocks: Record<string, Record<string, unknown>> | undefined) =>
    Object.entries(blocks ?? {})
      .flatMap(([type, named]) => Object.keys(named).map((name) => `${type}.${name}`))
      .sort();

  it('parses every stack of the HCL output, with the resources and data sources of the JSON output', async () => {
    synthSites([gkeSite(), onPremSite()], path.join(dir, 'json'));
    synthSites([gkeSite(), onPremSite()], path.join(dir, 'hcl'), { hcl: true });
    for (const stack of ['gcp-cluster', 'gcp-efd', 'summit-efd']) {
      const hcl = await parseHcl(`${stack}/cdk.tf`, fs.readFileSync(path.join(dir, 'hcl', 'stacks', stack, 'cdk.tf'), 'utf8'));
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'json', 'stacks', stack, 'cdk.tf.json'), 'utf8'));
      expect(addresses(hcl.resource).length).toBeGreaterThan(0);
      expect(addresses(hcl.resource)).toEqual(addresses(json.resource));
      expect(addresses(hcl.data)).toEqual(addresses(json.data));
      expect(Object.keys(hcl.terraform[0].required_providers[0]).sort()).toEqual(Object.keys(json.terraform.required_providers).sort());
    }
  }, 120_000);

  it('rejects HCL that does not parse (the parser is not a stand-in)', async () => {
    await expect(parseHcl('broken.tf', 'resource "kubernetes_namespace_v1" "x" {\n  metadata {\n    name =\n  }\n}\n')).rejects.toThrow(
      /Invalid expression/,
    );
  }, 60_000);

  it("every string of every site's cdk.tf.json is a template whose references the stack declares", async () => {
    const out = path.join(dir, 'sites');
    synthSites(loadSites(), out);
    const found: [string, string, string][] = [];
    for (const stack of fs.readdirSync(path.join(out, 'stacks')).sort()) {
      const doc = JSON.parse(fs.readFileSync(path.join(out, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
      for (const p of await checkTemplates(doc)) found.push([stack, p.path, p.message]);
    }
    // Foreign placeholders (Kafka Connect `${dir:…}`, `${topic}`, Telegraf `${INFLUXDB_USER}`) are escaped
    // where they enter the Terraform (constructs/terraform-literal.ts); none is left for Terraform to read.
    expect(found).toEqual([]);
  }, 120_000);
});

// The README's command, as a user runs it: the cdktf CLI runs the app of cdktf.json (main.ts) over a copy
// of the project whose gcp site breaks an invariant; the previous cdktf.out must stay as it was.
describe('npx cdktf synth', () => {
  const root = path.resolve(__dirname, '..');
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-cdktf-'));
  afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

  it('fails on an invariant and leaves the previous cdktf.out untouched', () => {
    const skip = new Set([
      'node_modules',
      'cdktf.out',
      '.git',
      '.efd-local',
      'state',
      'coverage',
      '.gen',
      '.terraform',
      'experiments',
      '.prof',
    ]);
    fs.cpSync(root, copy, { recursive: true, filter: (src) => !skip.has(path.relative(root, src).split(path.sep)[0]) });
    fs.symlinkSync(fs.realpathSync(path.join(root, 'node_modules')), path.join(copy, 'node_modules'));
    const gcp = path.join(copy, 'config', 'sites', 'gcp.yaml');
    // The lowres tier keeping less than the raw one breaks invariant tier-durations-ascend (no schema rule).
    fs.writeFileSync(
      gcp,
      fs
        .readFileSync(gcp, 'utf8')
        .replace('{ name: lowres, duration: 365d, shardDuration: 7d,', '{ name: lowres, duration: 12h, shardDuration: 1h,'),
    );
    const previous = path.join(copy, 'cdktf.out', 'stacks', 'gcp-efd');
    fs.mkdirSync(previous, { recursive: true });
    fs.writeFileSync(path.join(previous, 'cdk.tf.json'), '{"previous": true}\n');
    fs.writeFileSync(path.join(copy, 'cdktf.out', 'manifest.json'), '{"previous": true}\n');
    const run = spawnSync(path.join(copy, 'node_modules', '.bin', 'cdktf'), ['synth'], {
      cwd: copy,
      encoding: 'utf8',
      env: { ...process.env, CHECKPOINT_DISABLE: '1', CI: '1', FORCE_COLOR: '0' },
      timeout: 150_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stdout + run.stderr).toMatch(/invariant tier-durations-ascend: site "gcp"/);
    expect(fs.readFileSync(path.join(previous, 'cdk.tf.json'), 'utf8')).toBe('{"previous": true}\n');
    expect(fs.readFileSync(path.join(copy, 'cdktf.out', 'manifest.json'), 'utf8')).toBe('{"previous": true}\n');
    expect(fs.readdirSync(path.join(copy, 'cdktf.out')).sort()).toEqual(['manifest.json', 'stacks']);
    expect(fs.readdirSync(copy).filter((f) => f.startsWith('cdktf.out.'))).toEqual([]);
  }, 180_000);
});
