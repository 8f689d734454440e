/**
 * Runs one EFD app once as a Kubernetes Job (schema registration, InfluxDB
 * retention init): Terraform waits for completion, so what depends on the Job
 * starts after it succeeded. A failed run fails the apply with the Job's name.
 */
import { Construct } from 'constructs';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { AppContainerProps, containerEnv } from './app-deployment';

export interface AppJobProps extends AppContainerProps {
  /** Job name. */
  readonly name: string;
  /** Retries before the Job fails. @default 4 */
  readonly backoffLimit?: number;
}

export class AppJob extends Construct {
  readonly job: JobV1;

  constructor(scope: Construct, id: string, props: AppJobProps) {
    super(scope, id);
    // Default: requests 100m / 128Mi, memory limit 256Mi.
    const resources = props.resources ?? { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } };
    this.job = new JobV1(this, 'job', {
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels: { 'app.kubernetes.io/name': props.app, 'app.kubernetes.io/part-of': 'efd', 'efd.lsst.io/site': props.site },
      },
      spec: {
        backoffLimit: props.backoffLimit ?? 4,
        ttlSecondsAfterFinished: '86400',
        template: {
          metadata: { labels: { 'app.kubernetes.io/name': props.app } },
          spec: {
            restartPolicy: 'Never',
            securityContext: { runAsNonRoot: true, runAsUser: '1000' },
            container: [
              {
                name: props.app,
                image: `${props.image.repository}/${props.imageName ?? props.app}:${props.image.tag}`,
                args: [props.app, ...(props.args ?? [])],
                env: containerEnv(props.env, props.secretEnv),
                envFrom: (props.envFromSecrets ?? []).map((name) => ({ secretRef: { name } })),
                resources: { requests: resources.requests, limits: resources.limits },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
              },
            ],
          },
        },
      },
      waitForCompletion: true,
      timeouts: { create: '10m', update: '10m' },
      dependsOn: props.dependsOn,
    });
  }
}
