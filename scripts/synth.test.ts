import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
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

  // Known bug, owned by its own issue: placeholders meant for Kafka Connect (its `${dir:…}` config
  // provider in the connector ConfigMap) and for Telegraf (`${INFLUXDB_USER}`, `${INFLUXDB_PASSWORD}` in
  // its values) are written unescaped, so Terraform would evaluate them (they must be `$${…}`). The
  // list is exact: a new unescaped placeholder fails this test, and so does fixing one without
  // removing its entry here.
  const KNOWN_UNESCAPED: [stack: string, path: string, what: string][] = [
    ['gcp-efd', 'resource.helm_release.telegraf_release_CFA70938.values[0]', '${INFLUXDB_PASSWORD} refers to nothing'],
    ['gcp-efd', 'resource.helm_release.telegraf_release_CFA70938.values[0]', '${INFLUXDB_USER} refers to nothing'],
    ['ldf-efd', 'resource.kubernetes_config_map_v1.connectors_configmap_C060233A.data.jdbc-sink.json', 'not a valid Terraform template'],
    [
      'ldf-efd',
      'resource.kubernetes_config_map_v1.connectors_configmap_C060233A.data.s3-parquet-sink.json',
      'not a valid Terraform template',
    ],
  ];

  it("every string of every site's cdk.tf.json is a template whose references the stack declares", async () => {
    const out = path.join(dir, 'sites');
    synthSites(loadSites(), out);
    const found: [string, string, string][] = [];
    for (const stack of fs.readdirSync(path.join(out, 'stacks')).sort()) {
      const doc = JSON.parse(fs.readFileSync(path.join(out, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
      for (const p of await checkTemplates(doc)) found.push([stack, p.path, p.message]);
    }
    expect(found).toEqual(KNOWN_UNESCAPED.map(([stack, at, what]) => [stack, at, expect.stringContaining(what)]));
  }, 120_000);
});
