import { Testing, TerraformStack } from 'cdktf';
import { loadSites } from '../config/load';
import { deriveTopology } from '../config/topology';
import { passwordEnvOf, sitePrincipals } from '../config/principals';
import { KafkaUsersJob, kafkaLoginEnv } from './kafka-users-job';
import { parsePrincipalsJson, passwordsFrom } from '../apps/connect-manager/users';

const sites = loadSites();
const topology = deriveTopology(sites);
const ldf = sites.find((s) => s.name === 'ldf')!;
const principals = sitePrincipals(ldf, topology);

type Container = {
  image: string;
  args: string[];
  env: { name: string; value?: string; value_from?: { secret_key_ref: { name: string; key: string } } }[];
};

function synth(): { out: string; c: Container } {
  const stack = new TerraformStack(Testing.app(), 'test');
  new KafkaUsersJob(stack, 'users', {
    site: ldf,
    image: { repository: 'ghcr.io/lsst-sqre/efd', tag: '0.1.0' },
    bootstrapServers: 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092',
    principals,
  });
  const out = Testing.synth(stack);
  const job = Object.values(JSON.parse(out).resource.kubernetes_job_v1)[0] as {
    metadata: { name: string; namespace: string };
    spec: { template: { spec: { container: Container[] } } };
  };
  expect(job.metadata).toMatchObject({ name: 'kafka-users-apply', namespace: 'efd-apps' });
  return { out, c: job.spec.template.spec.container[0] };
}

describe('KafkaUsersJob', () => {
  it("runs kafka-users-apply of the connect-manager image with the site's principals, which the app parses back", () => {
    const { c } = synth();
    expect(c.image).toBe('ghcr.io/lsst-sqre/efd/connect-manager:0.1.0');
    expect(c.args.slice(0, 3)).toEqual(['kafka-users-apply', '--bootstrap-servers', 'cp-cp-kafka-headless.kafka.svc.cluster.local:9092']);
    expect(c.args[3]).toBe('--principals-json');
    expect(parsePrincipalsJson(c.args[4])).toEqual(principals);
  });

  it('takes every password from its Secret and the admin login from the admin Secret: no secret value in the synth output', () => {
    const { out, c } = synth();
    const fromSecrets = c.env
      .filter((e) => e.value_from)
      .map((e) => [e.name, e.value_from!.secret_key_ref.name, e.value_from!.secret_key_ref.key]);
    expect(fromSecrets).toContainEqual(['KAFKA_SASL_PASSWORD', 'kafka-user-admin', 'password']);
    expect(fromSecrets).toContainEqual([passwordEnvOf('influxdb-sink-summit'), 'kafka-user-influxdb-sink-summit', 'password']);
    expect(fromSecrets).toContainEqual(['KAFKA_USER_PASSWORD_REPLICATION_TEST_STAND', 'kafka-user-replication-test-stand', 'password']);
    expect(fromSecrets).toHaveLength(principals.length); // each app user, and the admin's login
    expect(
      c.env
        .filter((e) => e.value !== undefined)
        .map((e) => e.name)
        .sort(),
    ).toEqual(['KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'LOG_LEVEL']);
    expect(out).not.toMatch(/"password"\s*:\s*"[^"]/);
    // what the Job gets, the app reads: one variable per app user
    const env = Object.fromEntries(fromSecrets.map(([name]) => [name, 'x']));
    expect(passwordsFrom(principals, env).size).toBe(principals.length - 1);
  });

  it('refuses principals of another cluster', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    const summit = sitePrincipals(
      sites.find((s) => s.name === 'summit')!,
      topology,
    );
    expect(
      () =>
        new KafkaUsersJob(stack, 'u', { site: ldf, image: { repository: 'r', tag: 't' }, bootstrapServers: 'k:9092', principals: summit }),
    ).toThrow('site "ldf": the Kafka users Job got principals of another cluster: admin (summit)');
  });

  it('the app names every user without a password and applies nothing', () => {
    expect(() => passwordsFrom(principals, {})).toThrow(
      /^no password for Kafka user\(s\) aggregator-summit \(env KAFKA_USER_PASSWORD_AGGREGATOR_SUMMIT from Secret kafka-user-aggregator-summit, key password\), /,
    );
    expect(() => parsePrincipalsJson('[{"user":"x"}]')).toThrow(/--principals-json: \[0\]\.cluster/);
    const wild = JSON.stringify([{ ...principals[1], reads: [{ name: '*', pattern: 'LITERAL' }] }]);
    expect(() => parsePrincipalsJson(wild)).toThrow(/--principals-json: principal aggregator-summit: reads names "\*"/);
  });

  it('logs an app in as its principal, its password from its Secret', () => {
    expect(kafkaLoginEnv(principals.find((p) => p.user === 'influxdb-sink')!)).toEqual({
      env: { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'influxdb-sink' },
      secretEnv: { KAFKA_SASL_PASSWORD: { secret: 'kafka-user-influxdb-sink', key: 'password' } },
    });
  });
});
