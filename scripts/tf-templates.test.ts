import { checkTemplates } from './tf-templates';

const doc = (strings: Record<string, string>) => ({
  variable: { region: {} },
  locals: { labels: {} },
  data: { google_client_config: { current: {} } },
  resource: {
    kubernetes_namespace_v1: { kafka: { metadata: [{ name: 'kafka' }] } },
    helm_release: { kafka: { values: Object.values(strings) } },
  },
});

describe('checkTemplates', () => {
  it('accepts literal text, escapes, and references to what the document declares', async () => {
    const ok = {
      plain: 'no template here, just a $ and a { or two }',
      escaped: 'password: $${dir:/opt/secrets:password} topic $${topic} user $${INFLUXDB_USER} %%{ not a directive }',
      resource: 'namespace: ${kubernetes_namespace_v1.kafka.metadata[0].name}',
      builtins: '${var.region}/${local.labels}/${data.google_client_config.current.access_token}/${path.module}/${terraform.workspace}',
      functions: '${base64encode(jsonencode({ a = var.region }))} ${[for s in ["a"] : upper(s)][0]}',
      directive: '%{ if var.region != "" }in ${var.region}%{ endif }',
      quoted: 'say "hi"\\n\tand a backslash \\ ${var.region}',
    };
    expect(await checkTemplates(doc(ok))).toEqual([]);
  });

  it('reports a placeholder Terraform would read as a reference to nothing', async () => {
    const problems = await checkTemplates(doc({ a: 'fine', b: 'outputs:\n  user: ${INFLUXDB_USER}\n  also: ${topic}' }));
    expect(problems).toEqual([
      {
        path: 'resource.helm_release.kafka.values[1]',
        message: expect.stringContaining('${INFLUXDB_USER} refers to nothing this stack declares: outputs:\\n  user: ${INFLUXDB_USER}'),
      },
      { path: 'resource.helm_release.kafka.values[1]', message: expect.stringContaining('${topic} refers to nothing this stack declares') },
    ]);
  });

  it('reports a resource reference whose resource is not declared', async () => {
    const problems = await checkTemplates(doc({ a: '${kubernetes_namespace_v1.influxdb.metadata[0].name}' }));
    expect(problems).toEqual([
      {
        path: 'resource.helm_release.kafka.values[0]',
        message: expect.stringContaining('${kubernetes_namespace_v1.influxdb.metadata.0.name} refers to nothing'),
      },
    ]);
  });

  it('reports a string that is not a template at all (a Kafka Connect config provider)', async () => {
    const problems = await checkTemplates(doc({ a: '{"connection.password": "${dir:/opt/efd/connect-secrets/oracle:password}"}' }));
    expect(problems).toEqual([
      {
        path: 'resource.helm_release.kafka.values[0]',
        message: expect.stringMatching(
          /^not a valid Terraform template \(Extra characters after interpolation expression\): .*\$\{dir:\/opt\/efd/,
        ),
      },
    ]);
  });

  it('skips CDKTF comment blocks, which Terraform does not read', async () => {
    expect(await checkTemplates({ '//': { metadata: { note: '${not_read}' } } } as never)).toEqual([]);
  });
});
