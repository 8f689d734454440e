/** Parsed Helm values of a helm_release view (all `values` documents merged shallowly in order). */
import { parse } from 'yaml';
import type { ResourceView } from './rule';

export function releaseValues(view: ResourceView): Record<string, unknown> | undefined {
  if (view.type !== 'helm_release') return undefined;
  const docs = ((view.attrs.values as unknown[]) ?? []).filter((v): v is string => typeof v === 'string');
  return Object.assign({}, ...docs.map((d) => (parse(d) ?? {}) as Record<string, unknown>));
}

/** cp-kafka broker overrides of a Confluent platform release, or undefined for other charts. */
export function brokerOverrides(view: ResourceView): { brokers: number; overrides: Record<string, string> } | undefined {
  if (view.attrs.chart !== 'cp-helm-charts') return undefined;
  const kafka = (releaseValues(view)?.['cp-kafka'] ?? {}) as {
    enabled?: boolean;
    brokers?: number;
    configurationOverrides?: Record<string, string>;
  };
  if (kafka.enabled === false) return undefined; // a release of other parts only (e.g. the replication's Connect)
  return { brokers: kafka.brokers ?? 3, overrides: kafka.configurationOverrides ?? {} };
}
