import { Testing, TerraformStack } from 'cdktf';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { terraformLiteral, terraformLiterals, terraformTemplateText } from './terraform-literal';
import { HelmChart } from './helm-chart';
import { CHARTS } from './charts';
import { checkTemplates } from '../scripts/tf-templates';
import { notRun } from '../test/not-run';
import { terraformCli, terraformEval } from '../test/terraform';

// What other programs read as their own placeholders, and text around them.
const FOREIGN = [
  '{"connection.password": "${dir:/opt/efd/connect-secrets/oracle:jdbc-password}"}',
  'topic.rename.format: summit.${topic}',
  'username: ${INFLUXDB_USER}\npassword: ${INFLUXDB_PASSWORD}\n',
  'a directive-like %{ if x } and an escaped $${kept} and a lone $ { }',
  '',
];

describe('terraformLiteral', () => {
  it('escapes every ${ and %{, and keeps CDKTF tokens', () => {
    expect(terraformLiteral('a ${dir:/x:y} b %{if} c $${d}')).toBe('a $${dir:/x:y} b %%{if} c $$${d}');
    expect(terraformLiteral('ns ${TfToken[TOKEN.12]} and ${topic}')).toBe('ns ${TfToken[TOKEN.12]} and $${topic}');
    expect(terraformLiterals({ k: '${x}' })).toEqual({ k: '$${x}' });
  });

  it('terraformTemplateText reads an escaped text back as the original, resolving references it is given', () => {
    for (const text of FOREIGN) expect(terraformTemplateText(terraformLiteral(text))).toBe(text);
    expect(terraformTemplateText('ns: ${a.b.name} and $${topic}', (e) => (e === 'a.b.name' ? 'kafka' : undefined))).toBe(
      'ns: kafka and ${topic}',
    );
    expect(() => terraformTemplateText('x ${var.password} y %{ if z }')).toThrow(
      'holds Terraform expressions known only at apply time: ${var.password}, %{if z}',
    );
  });

  it('a Helm release whose values hold placeholders synthesizes to templates that are literal text, references still live', async () => {
    const app = Testing.app();
    const stack = new TerraformStack(app, 's');
    new KubernetesProvider(stack, 'k8s', {});
    const ns = new NamespaceV1(stack, 'ns', { metadata: { name: 'kafka' } });
    new HelmChart(stack, 'chart', {
      site: 'test',
      chart: CHARTS.telegraf,
      name: 'telegraf',
      namespace: ns.metadata.name,
      overrides: { config: { outputs: [{ influxdb: { username: '${INFLUXDB_USER}', database: ns.metadata.name } }] } },
    });
    const doc = JSON.parse(Testing.synth(stack));
    const values: string = Object.values(doc.resource.helm_release as Record<string, { values: string[] }>)[0].values[0];
    expect(values).toContain('username: $${INFLUXDB_USER}');
    expect(values).toContain('database: ${kubernetes_namespace_v1.ns.metadata[0].name}');
    expect(await checkTemplates(doc)).toEqual([]);
  });
});

// The escaped text, read by the real Terraform, is the original text again.
const cli = terraformCli();
if (!cli) {
  notRun(
    'Terraform reads each escaped text back as the original',
    'no `terraform` on PATH (or $TERRAFORM_BINARY_NAME); install Terraform or OpenTofu',
  );
} else {
  describe(`terraformLiteral, judged by ${cli}`, () => {
    it('Terraform reads each escaped text back as the original', () => {
      const locals = Object.fromEntries(FOREIGN.map((t, i) => [`t${i}`, terraformLiteral(t)]));
      expect(
        terraformEval(
          cli,
          { locals },
          FOREIGN.map((_, i) => `local.t${i}`),
        ),
      ).toEqual(FOREIGN);
    }, 60_000);

    it('and unescaped, Terraform does not (the test can fail)', () => {
      const locals = { t: FOREIGN[1] };
      expect(() => terraformEval(cli, { locals }, ['local.t'])).toThrow(/Invalid reference/);
    }, 60_000);
  });
}
