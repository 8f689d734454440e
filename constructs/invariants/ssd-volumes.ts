/**
 * On production sites every persistent volume — Helm chart persistence,
 * StatefulSet claim templates, PersistentVolumeClaims — uses the site's SSD
 * StorageClass (seed 002: SSDs for Kafka and InfluxDB cut the latency).
 */
import { releaseValues } from './helm-values-view';
import { InvariantRule, ResourceView, walk } from './rule';

export class SsdVolumes extends InvariantRule {
  readonly id = 'ssd-volumes';

  constructor(
    site: string,
    private readonly production: boolean,
    private readonly className: string,
  ) {
    super(site);
  }

  protected check(view: ResourceView): string[] {
    if (!this.production) return [];
    const problems: string[] = [];
    const values = releaseValues(view);
    if (values) {
      walk(values, (p, v) => {
        if (!p.endsWith('persistence') || !v || typeof v !== 'object') return;
        const persistence = v as { enabled?: boolean; storageClass?: string };
        if (persistence.enabled === false) return;
        if (persistence.storageClass !== this.className)
          problems.push(`${p}.storageClass is ${persistence.storageClass ?? 'unset (cluster default)'}; set it to "${this.className}"`);
      });
    }
    if (/^kubernetes_(stateful_set|persistent_volume_claim)(_v1)?$/.test(view.type)) {
      walk(view.attrs, (p, v) => {
        if (p.endsWith('storage_class_name') && v !== this.className) problems.push(`${p} is ${String(v)}; use "${this.className}"`);
      });
      const json = JSON.stringify(view.attrs);
      if (!json.includes('storage_class_name')) problems.push(`declares a volume without storage_class_name; use "${this.className}"`);
    }
    return problems;
  }
}
