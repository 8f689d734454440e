/**
 * Every Helm release names its chart repository and an exact chart version,
 * so a deploy is reproducible and a chart bump shows in the PR diff.
 */
import { InvariantRule, ResourceView } from './rule';

const EXACT_VERSION = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/;

export class HelmChartPinned extends InvariantRule {
  readonly id = 'helm-chart-pinned';

  protected check(view: ResourceView): string[] {
    if (view.type !== 'helm_release') return [];
    const problems: string[] = [];
    const { repository, version, chart } = view.attrs as { repository?: unknown; version?: unknown; chart?: unknown };
    if (typeof repository !== 'string' || repository.length === 0) {
      problems.push(`chart "${String(chart)}" has no repository; set the chart repository URL (e.g. https://helm.influxdata.com/)`);
    }
    if (typeof version !== 'string' || !EXACT_VERSION.test(version)) {
      problems.push(
        `chart "${String(chart)}" version ${version === undefined ? 'is not set' : `"${String(version)}" is not an exact version`}; pin it, e.g. "4.12.5"`,
      );
    }
    return problems;
  }
}
