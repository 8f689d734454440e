/**
 * Every container the stacks declare (Deployments, StatefulSets, DaemonSets,
 * Jobs, CronJobs) states its CPU and memory requests, so the scheduler can
 * place the EFD on its nodes and Kafka/InfluxDB are not starved.
 */
import { InvariantRule, ResourceView } from './rule';

/** Path from the resource to its pod spec, per workload type. */
const POD_SPEC_PATH: Record<string, string[]> = {
  kubernetes_deployment: ['spec', 'template', 'spec'],
  kubernetes_deployment_v1: ['spec', 'template', 'spec'],
  kubernetes_stateful_set: ['spec', 'template', 'spec'],
  kubernetes_stateful_set_v1: ['spec', 'template', 'spec'],
  kubernetes_daemonset: ['spec', 'template', 'spec'],
  kubernetes_daemon_set_v1: ['spec', 'template', 'spec'],
  kubernetes_job: ['spec', 'template', 'spec'],
  kubernetes_job_v1: ['spec', 'template', 'spec'],
  kubernetes_cron_job: ['spec', 'job_template', 'spec', 'template', 'spec'],
  kubernetes_cron_job_v1: ['spec', 'job_template', 'spec', 'template', 'spec'],
  kubernetes_pod: ['spec'],
  kubernetes_pod_v1: ['spec'],
};

function child(value: unknown, key: string): unknown {
  const v = Array.isArray(value) ? value[0] : value;
  return v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
}

export class ContainerResources extends InvariantRule {
  readonly id = 'container-resources';

  protected check(view: ResourceView): string[] {
    const path = POD_SPEC_PATH[view.type];
    if (!path) return [];
    let podSpec: unknown = view.attrs;
    for (const key of path) podSpec = child(podSpec, key);
    const problems: string[] = [];
    for (const kind of ['init_container', 'container']) {
      const list = child(podSpec, kind);
      for (const c of (Array.isArray(list) ? list : list ? [list] : []) as Record<string, unknown>[]) {
        const requests = child(child(c, 'resources'), 'requests') as Record<string, unknown> | undefined;
        const missing = ['cpu', 'memory'].filter((r) => !requests || requests[r] === undefined || requests[r] === '');
        if (missing.length)
          problems.push(`${kind} "${String(c.name)}" declares no ${missing.join(' or ')} request; set resources.requests`);
      }
    }
    return problems;
  }
}
