/**
 * The site's Kafka users and ACLs applied by a Job (`kafka-users-apply` of the connect-manager image,
 * apps/connect-manager/users.ts) on every apply: each principal of the site's Kafka (config/principals.ts)
 * gets its SCRAM-SHA-512 credential and exactly the ACLs derived from it (config/acls.ts). The principals
 * are its argument (no secret in them), so a change of what an app may do changes the Job and Terraform
 * runs it again. Passwords never reach the synth output: the Job reads them from the principals' Secrets
 * (`kafka-user-<user>`, key `password`, in its namespace, made by the operator), the super user's login
 * from `kafka-user-admin`.
 *
 * {@link kafkaLoginEnv} is how an app's container logs in as its principal: user and mechanism as plain
 * environment, the password from the principal's Secret.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Site } from '../config/schema';
import { ADMIN_USER, kafkaUserSecret, PASSWORD_KEY, passwordEnvOf, type Principal } from '../config/principals';
import type { AppImage, SecretKeyRef } from './app-deployment';
import { AppJob } from './app-job';

/** The environment of a container that logs in to Kafka as `p` (KAFKA_SASL_* of apps/lib/config.ts). */
export function kafkaLoginEnv(p: Pick<Principal, 'user' | 'secret'>): {
  env: Record<string, string>;
  secretEnv: Record<string, SecretKeyRef>;
} {
  return {
    env: { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: p.user },
    secretEnv: { KAFKA_SASL_PASSWORD: { secret: p.secret, key: PASSWORD_KEY } },
  };
}

export interface KafkaUsersJobProps {
  readonly site: Site;
  readonly image: AppImage;
  readonly bootstrapServers: string;
  /** The principals of the site's Kafka (sitePrincipals). */
  readonly principals: readonly Principal[];
  /** @default site.namespaces.apps (where the principals' Secrets are) */
  readonly namespace?: string;
  /** The Kafka release (and the namespace) the Job waits for. */
  readonly dependsOn?: ITerraformDependable[];
}

export class KafkaUsersJob extends Construct {
  readonly job: AppJob;

  constructor(scope: Construct, id: string, props: KafkaUsersJobProps) {
    super(scope, id);
    const { site, principals } = props;
    const elsewhere = principals.filter((p) => p.cluster !== site.name);
    if (elsewhere.length)
      throw new Error(
        `site "${site.name}": the Kafka users Job got principals of another cluster: ${elsewhere.map((p) => `${p.user} (${p.cluster})`).join(', ')}`,
      );
    const admin = kafkaLoginEnv({ user: ADMIN_USER, secret: kafkaUserSecret(ADMIN_USER) });
    const passwords = Object.fromEntries(
      principals.filter((p) => !p.superUser).map((p) => [passwordEnvOf(p.user), { secret: p.secret, key: PASSWORD_KEY }]),
    );
    this.job = new AppJob(this, 'job', {
      site: site.name,
      name: 'kafka-users-apply',
      app: 'kafka-users-apply',
      imageName: 'connect-manager',
      namespace: props.namespace ?? site.namespaces.apps,
      image: props.image,
      args: ['--bootstrap-servers', props.bootstrapServers, '--principals-json', JSON.stringify(principals)],
      env: { ...admin.env, LOG_LEVEL: 'info' },
      secretEnv: { ...admin.secretEnv, ...passwords },
      dependsOn: props.dependsOn,
    });
  }
}
