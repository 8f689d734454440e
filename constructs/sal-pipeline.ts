/**
 * The SAL side of a site's EFD: a Job registering the Avro schemas of the
 * site's subsystems (salschema register, the site's compatibility level),
 * then saltransform (SAL text → Avro) and, on experiment sites, salmock —
 * ordered after the Job as the prototype's apps chart did.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import type { Site } from '../config/schema';
import { AppDeployment, AppImage } from './app-deployment';
import { AppJob } from './app-job';
import { REGISTRY_FLAVOR } from './kafka-platform';

export interface SalPipelineKafka {
  readonly bootstrapServers: string;
  readonly schemaRegistryUrl?: string;
}

export interface SalPipelineProps {
  readonly site: Site;
  readonly image: AppImage;
  readonly kafka: SalPipelineKafka;
  /** @default site.namespaces.apps */
  readonly namespace?: string;
  /** What the schema Job waits for (the Kafka release, the namespace). */
  readonly dependsOn?: ITerraformDependable[];
}

export class SalPipeline extends Construct {
  readonly schemas: AppJob;
  readonly saltransform?: AppDeployment;
  readonly salmock?: AppDeployment;

  constructor(scope: Construct, id: string, props: SalPipelineProps) {
    super(scope, id);
    const { site, kafka, image } = props;
    const namespace = props.namespace ?? site.namespaces.apps;
    if (!kafka.schemaRegistryUrl) {
      throw new Error(`site "${site.name}": apps.saltransform needs the schema registry; set kafka.schemaRegistry: true`);
    }
    const env = { EFD_REGISTRY_FLAVOR: REGISTRY_FLAVOR, LOG_LEVEL: 'info' };
    const subsystems = site.apps.subsystems.join(',');
    this.schemas = new AppJob(this, 'schemas', {
      site: site.name,
      name: 'salschema-register',
      app: 'salschema',
      namespace,
      image,
      args: [
        'register',
        '--xml',
        '/app/ts_xml',
        '--topics',
        `^(${site.apps.subsystems.join('|')})_`,
        '--registry',
        kafka.schemaRegistryUrl,
        '--compatibility',
        site.apps.schemaCompatibility,
        '--retries',
        '30',
      ],
      env,
      dependsOn: props.dependsOn,
    });
    if (site.apps.saltransform.enabled) {
      this.saltransform = new AppDeployment(this, 'saltransform', {
        site: site.name,
        app: 'saltransform',
        namespace,
        image,
        replicas: site.apps.saltransform.replicas,
        args: [
          '--subsystems',
          subsystems,
          '--brokers',
          kafka.bootstrapServers,
          '--registry',
          kafka.schemaRegistryUrl,
          '--group',
          `${site.name}-saltransform`,
        ],
        env,
        resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
        dependsOn: [this.schemas.job],
      });
    }
    if (site.apps.salmock.enabled) {
      this.salmock = new AppDeployment(this, 'salmock', {
        site: site.name,
        app: 'salmock',
        namespace,
        image,
        args: [
          '--brokers',
          kafka.bootstrapServers,
          '--subsystems',
          subsystems,
          '--seed-schedule',
          '--rate-factor',
          String(site.apps.salmock.rateFactor),
        ],
        env,
        resources: { requests: { cpu: '1', memory: '512Mi' }, limits: { memory: '1Gi' } },
        dependsOn: [this.schemas.job, ...(this.saltransform ? [this.saltransform.deployment] : [])],
      });
    }
  }
}
