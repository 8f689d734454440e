/**
 * Deploys one EFD app (saltransform, salmock, influxdb-sink, connect-manager…)
 * as a Kubernetes Deployment: image from the site, args, env from ConfigMaps
 * and Secrets (never literal secrets), liveness/readiness on the app's
 * /healthz, resources, and Prometheus scrape annotations for /metrics.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import type { Resources } from '../config/schema';
import { terraformLiteral, terraformLiterals } from './terraform-literal';

export interface AppImage {
  readonly repository: string;
  readonly tag: string;
}

/** One key of an existing Kubernetes Secret. */
export interface SecretKeyRef {
  readonly secret: string;
  readonly key: string;
}

/** Container env entries: plain values, then values from Secret keys. */
export function containerEnv(env: Record<string, string> = {}, secretEnv: Record<string, SecretKeyRef> = {}) {
  return [
    ...Object.entries(env).map(([name, value]) => ({ name, value })),
    ...Object.entries(secretEnv).map(([name, ref]) => ({ name, valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } } })),
  ];
}

/** What every EFD app container takes, as a Deployment or a Job. */
export interface AppContainerProps {
  readonly site: string;
  /** App name, also the `efd` subcommand the container runs. */
  readonly app: string;
  /** Image the container runs, `<repository>/<imageName>:<tag>`, when the subcommand lives in another app's image. @default app */
  readonly imageName?: string;
  readonly namespace: string;
  readonly image: AppImage;
  /** Arguments after the subcommand. @default [] */
  readonly args?: string[];
  /** Non-secret environment. @default {} */
  readonly env?: Record<string, string>;
  /** Secrets whose keys become environment variables. @default [] */
  readonly envFromSecrets?: string[];
  /** Environment variables read from Secret keys: name → { secret, key }. @default {} */
  readonly secretEnv?: Record<string, SecretKeyRef>;
  /** CPU and memory requests (required by the invariants) and limits. Defaults per construct. */
  readonly resources?: Resources;
  readonly dependsOn?: ITerraformDependable[];
}

export interface AppDeploymentProps extends AppContainerProps {
  /** ConfigMaps whose keys become environment variables. @default [] */
  readonly envFromConfigMaps?: string[];
  /** ConfigMaps mounted as folders: name → mount path. @default {} */
  readonly configMapMounts?: Record<string, string>;
  /** @default 1 */
  readonly replicas?: number;
  /** Port of /metrics and /healthz. @default 9090 */
  readonly metricsPort?: number;
  /** Deployment name, when one app runs as several Deployments (e.g. a sink per replicated source). @default app */
  readonly name?: string;
}

export class AppDeployment extends Construct {
  readonly deployment: DeploymentV1;
  readonly name: string;

  constructor(scope: Construct, id: string, props: AppDeploymentProps) {
    super(scope, id);
    const replicas = props.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 0)
      throw new Error(`site "${props.site}", app ${props.app}: replicas must be an integer ≥ 0, got ${replicas}`);
    const port = props.metricsPort ?? 9090;
    this.name = props.name ?? props.app;
    const labels = { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/part-of': 'efd', 'efd.lsst.io/site': props.site };
    // Default: requests 100m / 256Mi, memory limit 512Mi.
    const resources = props.resources ?? { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } };
    const mounts = Object.entries(props.configMapMounts ?? {});
    const probe = (initialDelaySeconds: number) => ({
      httpGet: { path: '/healthz', port: String(port) },
      initialDelaySeconds,
      periodSeconds: 10,
      failureThreshold: 3,
    });
    this.deployment = new DeploymentV1(this, 'deployment', {
      metadata: { name: this.name, namespace: props.namespace, labels },
      spec: {
        replicas: String(replicas),
        selector: { matchLabels: { 'app.kubernetes.io/name': this.name } },
        template: {
          metadata: {
            labels,
            annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' },
          },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: '1000', fsGroup: '1000' },
            terminationGracePeriodSeconds: 30,
            container: [
              {
                name: props.app,
                image: `${props.image.repository}/${props.imageName ?? props.app}:${props.image.tag}`,
                args: [props.app, ...(props.args ?? []), '--metrics-port', String(port)].map(terraformLiteral),
                env: containerEnv(props.env && terraformLiterals(props.env), props.secretEnv),
                envFrom: [
                  ...(props.envFromSecrets ?? []).map((name) => ({ secretRef: { name } })),
                  ...(props.envFromConfigMaps ?? []).map((name) => ({ configMapRef: { name } })),
                ],
                port: [{ name: 'metrics', containerPort: port }],
                resources: { requests: resources.requests, limits: resources.limits },
                livenessProbe: probe(20),
                readinessProbe: probe(5),
                volumeMount: mounts.map(([name, mountPath]) => ({ name, mountPath, readOnly: true })),
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
              },
            ],
            volume: mounts.map(([name]) => ({ name, configMap: { name } })),
          },
        },
      },
      dependsOn: props.dependsOn,
    });
  }
}
