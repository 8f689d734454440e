/**
 * The template check (tf-templates.ts, HashiCorp's HCL parser as WebAssembly) against the real Terraform
 * CLI: each string below is put in a provider-less configuration (a variable, locals, the built-in
 * `terraform_data` resource) and judged by both; the verdicts must agree, kind by kind: accepted, not a
 * template (syntax), or a reference to nothing declared.
 *
 * Not compared: `count.*`, `each.*`, `self.*`, which the check accepts anywhere and Terraform only inside
 * a counted/iterated resource or a provisioner (CDKTF writes them only there).
 */
import { checkTemplates } from './tf-templates';
import { notRun } from '../test/not-run';
import { terraformCli, terraformValidate } from '../test/terraform';

type Verdict = 'ok' | 'syntax' | 'reference';

const FIXTURES: string[] = [
  'plain text, a $ and a { or two }',
  '$${dir:/opt/efd/connect-secrets/oracle:password} $${topic} $${INFLUXDB_USER} %%{ not a directive }',
  '${dir:/opt/efd/connect-secrets/oracle:password}',
  '{"connection.password": "${dir:/opt/x:password}", "topic": "${topic}"}',
  'summit.${topic}',
  'username: ${INFLUXDB_USER}\npassword: ${INFLUXDB_PASSWORD}\n',
  '${var.region}',
  '${var.zone}',
  '${local.labels}',
  '${local.nope}',
  '${terraform_data.x.output}',
  '${kubernetes_namespace_v1.kafka.metadata[0].name}',
  '${module.net.id}',
  '${path.module}/${terraform.workspace}',
  '${ var.region }, ${~ var.region ~}',
  '${base64encode(jsonencode({ a = var.region }))} ${[for s in ["a"] : upper(s)][0]}',
  '${"nested ${var.region}"}',
  '%{ if var.region != "" }in ${var.region}%{ endif }',
  '%{ if var.region != "" }never closed',
  '%{ for x in [1] }${x}%{ endfor }',
  '${upper(var.region}',
  '${var.region',
  'say "hi"\\n\tand a backslash \\ ${var.region}',
  'a line that is the marker\nEFD_TEMPLATE\n${var.region}',
  '$$${var.region} and $$$${literal}',
  '${}',
];

function checkerVerdict(problems: { message: string }[]): Verdict {
  if (problems.length === 0) return 'ok';
  return problems.some((p) => p.message.startsWith('not a valid Terraform template')) ? 'syntax' : 'reference';
}

function terraformVerdict(errors: { summary: string }[]): Verdict {
  if (errors.length === 0) return 'ok';
  return errors.every((e) => /^Reference to undeclared|^Invalid reference$/.test(e.summary)) ? 'reference' : 'syntax';
}

const doc = (probe: string) => ({
  variable: { region: { default: 'us' } },
  locals: { labels: 'l', probe },
  resource: { terraform_data: { x: { input: 'hi' } } },
});

const cli = terraformCli();
if (!cli) {
  notRun(
    'the template check and Terraform agree on every fixture',
    'no `terraform` on PATH (or $TERRAFORM_BINARY_NAME); install Terraform or OpenTofu',
  );
} else {
  describe(`the template check, judged by ${cli} validate`, () => {
    it('the template check and Terraform agree on every fixture', async () => {
      const rows: { text: string; check: Verdict; terraform: Verdict; why: string }[] = [];
      for (const text of FIXTURES) {
        const { errors } = terraformValidate(cli, doc(text));
        rows.push({
          text,
          check: checkerVerdict(await checkTemplates(doc(text) as never)),
          terraform: terraformVerdict(errors),
          why: errors.map((e) => e.summary).join('; '),
        });
      }
      expect(rows.filter((r) => r.check !== r.terraform)).toEqual([]);
      // Each kind is represented, so agreement is not the trivial "all accepted".
      expect(new Set(rows.map((r) => r.terraform))).toEqual(new Set(['ok', 'syntax', 'reference']));
      expect(rows.find((r) => r.text === '${dir:/opt/efd/connect-secrets/oracle:password}')?.why).toBe(
        'Extra characters after interpolation expression',
      );
    }, 120_000);
  });
}
