/**
 * The alert mini-broker's topics are the ones its apps use (the `<site>-alerts` stack, config/alerts.ts):
 * its topics Job creates the stream and exactly one topic per filter of the set — groups × filters per
 * group, seed004's 5 × 20 = Filter001…Filter100 — every consumer reads one of those, every filter
 * Deployment runs a group of the set, and every alert app has the section's topic prefix. A consumer of a
 * topic nothing creates would wait on a topic that never fills (or, with auto-creation on, make one of the
 * broker's defaults); a filter topic missing from the Job would be created by the filter's first write.
 */
import { ALERT_FILTER_SETS, alertFilterTopics, alertsTopic, type AlertsSettings } from '../../config/alerts';
import { ALERTS_APP, ALERTS_TOPICS_JOB } from '../alerts/common';
import { InvariantRule, ResourceView } from './rule';

/** The first block of a synthesized attribute (a one-element list or the object). */
function first(value: unknown): Record<string, unknown> | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  return v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
}

function containerArgs(view: ResourceView): string[] {
  const podSpec = first(first(first(view.attrs.spec)?.template)?.spec);
  const args = first(podSpec?.container)?.args;
  return Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string') : [];
}

const flag = (args: string[], name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);

const list = (topics: string[]) => (topics.length > 4 ? `${topics.slice(0, 4).join(', ')} … (${topics.length})` : topics.join(', '));

export class AlertTopics extends InvariantRule {
  readonly id = 'alert-topics';
  private readonly stream: string;
  private readonly filterTopics: string[];

  constructor(
    site: string,
    private readonly alerts: AlertsSettings,
  ) {
    super(site);
    this.stream = alertsTopic(alerts);
    this.filterTopics = alertFilterTopics(alerts);
  }

  protected check(view: ResourceView): string[] {
    const name = first(view.attrs.metadata)?.name;
    const args = containerArgs(view);
    if (view.type === 'kubernetes_job_v1' && name === ALERTS_TOPICS_JOB) return this.checkTopicsJob(args);
    if (view.type === 'kubernetes_deployment_v1' && args[0] === ALERTS_APP) return this.checkApp(args);
    return [];
  }

  private checkTopicsJob(args: string[]): string[] {
    let created: string[];
    try {
      created = (JSON.parse(flag(args, '--policies-json') ?? '') as { create?: string[] }[]).flatMap((p) => p.create ?? []);
    } catch {
      return ['expected --policies-json with the alerts topic policies'];
    }
    const set = ALERT_FILTER_SETS[this.alerts.filters.set];
    const want = [this.stream, ...this.filterTopics];
    const missing = want.filter((t) => !created.includes(t));
    const extra = created.filter((t) => !want.includes(t));
    const filters = created.filter((t) => this.filterTopics.includes(t)).length;
    const problems: string[] = [];
    if (filters !== this.filterTopics.length || missing.length)
      problems.push(
        `creates ${filters} filter topic(s)${created.includes(this.stream) ? '' : ` and not the stream ${this.stream}`}; the filter set ` +
          `${this.alerts.filters.set} has ${set.groups} groups × ${set.filtersPerGroup} filters = ${this.filterTopics.length}` +
          (missing.length ? ` (missing: ${list(missing)})` : ''),
      );
    if (extra.length) problems.push(`creates topics no alert app uses: ${list(extra)}`);
    return problems;
  }

  private checkApp(args: string[]): string[] {
    const problems: string[] = [];
    const prefix = flag(args, '--topic-prefix') ?? '';
    if (prefix !== this.alerts.topicPrefix)
      problems.push(`runs with topic prefix "${prefix}", the site's alerts.topicPrefix is "${this.alerts.topicPrefix}"`);
    if (args[1] === 'consume') {
      const topic = `${prefix}${flag(args, '--topic') ?? ''}`;
      if (!this.filterTopics.includes(topic))
        problems.push(
          `consumes ${topic}, which is not a filter topic of the set (${list(this.filterTopics)}): nothing creates or fills it`,
        );
    }
    if (args[1] === 'filter') {
      const set = flag(args, '--set');
      const group = Number(flag(args, '--group'));
      const groups = ALERT_FILTER_SETS[this.alerts.filters.set].groups;
      if (set !== this.alerts.filters.set)
        problems.push(`filters with set "${set}", the site's alerts.filters.set is "${this.alerts.filters.set}"`);
      if (!Number.isInteger(group) || group < 1 || group > groups)
        problems.push(`filters group ${flag(args, '--group')}, the set ${this.alerts.filters.set} has groups 1 to ${groups}`);
    }
    return problems;
  }
}
