import { Aspects } from 'cdktf';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import { Release } from '@cdktf/provider-helm/lib/release';
import { DataGoogleClientConfig } from '@cdktf/provider-google/lib/data-google-client-config';
import { GoogleProvider } from '@cdktf/provider-google/lib/provider';
import { NoLiteralSecrets } from './no-literal-secrets';
import { invariantErrors, newStack } from './testing';

function check(build: (stack: ReturnType<typeof newStack>) => void): string[] {
  const stack = newStack();
  build(stack);
  Aspects.of(stack).add(new NoLiteralSecrets('summit'));
  return invariantErrors(stack);
}

const chart = { chart: 'influxdb', repository: 'https://helm.influxdata.com/', version: '4.12.5' };

describe('invariant no-literal-secrets', () => {
  it('fires on a Secret with literal data', () => {
    const errors = check(
      (s) => new SecretV1(s, 'admin', { metadata: { name: 'influxdb-auth' }, data: { 'influxdb-password': 'hunter22' } }),
    );
    expect(errors).toEqual([
      expect.stringMatching(
        /^invariant no-literal-secrets: site "summit", kubernetes_secret_v1\.admin: data\.influxdb-password holds a literal secret value; reference an existing Kubernetes Secret/,
      ),
    ]);
  });

  it('fires on a literal password in Helm values and in set_sensitive', () => {
    const errors = check(
      (s) =>
        new Release(s, 'influxdb', {
          ...chart,
          name: 'influxdb',
          values: ['setDefaultUser:\n  user:\n    username: admin\n    password: changeme\n'],
          setSensitive: [{ name: 'auth.token', value: 'abcdef' }],
        }),
    );
    expect(errors.join('\n')).toContain('values[0] setDefaultUser.user.password holds a literal secret value');
    expect(errors.join('\n')).toContain('set_sensitive auth.token holds a literal secret value');
  });

  it('fires on a provider configured with a literal token', () => {
    const errors = check((s) => new KubernetesProvider(s, 'k8s', { host: 'https://10.0.0.1', token: 'eyJhbGciOi' }));
    expect(errors).toEqual([expect.stringContaining('provider.kubernetes: token holds a literal secret value')]);
  });

  it('does not fire on references to existing Secrets or tokens resolved at apply time', () => {
    const errors = check((s) => {
      new GoogleProvider(s, 'google', { project: 'p' });
      const client = new DataGoogleClientConfig(s, 'client');
      new KubernetesProvider(s, 'k8s', { host: 'https://10.0.0.1', token: client.accessToken });
      new Release(s, 'influxdb', { ...chart, name: 'influxdb', values: ['setDefaultUser:\n  user:\n    existingSecret: influxdb-auth\n'] });
      new SecretV1(s, 'empty', { metadata: { name: 'filled-by-operator' } });
    });
    expect(errors).toEqual([]);
  });
});
