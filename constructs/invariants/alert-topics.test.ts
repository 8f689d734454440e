import { App, Aspects, Testing } from 'cdktf';
import { alertsSchema, alertTopicPolicies } from '../../config/alerts';
import { gkeSite } from '../../test/sites';
import { AlertsStack } from '../../stacks/alerts-stack';
import { AppDeployment } from '../app-deployment';
import { KafkaTopicsJob } from '../kafka-topics-job';
import { AlertTopics } from './alert-topics';
import { invariantErrors, newStack } from './testing';

const alerts = alertsSchema.parse({});
const site = gkeSite({ alerts: {} });
const image = { repository: 'r', tag: 't' };

/** The invariant's errors on a stack holding what `build` adds. */
function errors(build: (stack: ReturnType<typeof newStack>) => void, settings = alerts): string[] {
  const stack = newStack();
  build(stack);
  Aspects.of(stack).add(new AlertTopics('gcp', settings));
  return invariantErrors(stack);
}

const topicsJob = (stack: ReturnType<typeof newStack>, drop: (topic: string) => boolean, add: string[] = []) => {
  const policies = alertTopicPolicies(alerts, 3).map((p) => ({ ...p, create: p.create.filter((t) => !drop(t)) }));
  policies[1].create.push(...add);
  new KafkaTopicsJob(stack, 'topics', { site, image, bootstrapServers: 'k:9092', name: 'alerts-topics-apply', policies });
};

const app = (stack: ReturnType<typeof newStack>, name: string, args: string[]) =>
  new AppDeployment(stack, name, { site: 'gcp', app: 'alerts', name, namespace: 'alerts', image, args });

describe('invariant alert-topics', () => {
  it('does not fire on the alerts stack as built', () => {
    const stack = new AlertsStack(Testing.app() as App, 'gcp-alerts', { site });
    expect(invariantErrors(stack)).toEqual([]);
  });

  it('fires when the topics Job creates fewer filter topics than groups × filters per group, or others', () => {
    expect(errors((s) => topicsJob(s, (t) => t === 'Filter100' || t === 'Filter007', ['Filter101']))).toEqual([
      'invariant alert-topics: site "gcp", kubernetes_job_v1.topics_job_F8D9BC87: creates 98 filter topic(s); the filter set seed004 has 5 groups × 20 filters = 100 (missing: Filter007, Filter100)',
      'invariant alert-topics: site "gcp", kubernetes_job_v1.topics_job_F8D9BC87: creates topics no alert app uses: Filter101',
    ]);
    expect(errors((s) => topicsJob(s, (t) => t === 'alerts'))).toEqual([
      expect.stringContaining(
        'creates 100 filter topic(s) and not the stream alerts; the filter set seed004 has 5 groups × 20 filters = 100 (missing: alerts)',
      ),
    ]);
    expect(errors((s) => topicsJob(s, () => false))).toEqual([]);
  });

  it('fires on a consumer of a topic that is not a filter topic, a filter group outside the set, another prefix', () => {
    const found = errors((s) => {
      app(s, 'c1', ['consume', '--topic', 'Filter101', '--mode', 'monitor']);
      app(s, 'c2', ['consume', '--topic', 'Filter100', '--mode', 'monitor']);
      app(s, 'f6', ['filter', '--set', 'seed004', '--group', '6']);
      app(s, 'f5', ['filter', '--set', 'seed004', '--group', '5']);
      app(s, 'p', ['produce', '--topic-prefix', 'exp.']);
    });
    expect(found).toEqual([
      expect.stringMatching(
        /^invariant alert-topics: site "gcp", kubernetes_deployment_v1\.c1_deployment_\w+: consumes Filter101, which is not a filter topic of the set \(Filter001, Filter002, Filter003, Filter004 … \(100\)\): nothing creates or fills it$/,
      ),
      expect.stringMatching(/kubernetes_deployment_v1\.f6_deployment_\w+: filters group 6, the set seed004 has groups 1 to 5$/),
      expect.stringMatching(
        /kubernetes_deployment_v1\.p_deployment_\w+: runs with topic prefix "exp\.", the site's alerts\.topicPrefix is ""$/,
      ),
    ]);
  });

  it('reads the consumer topic under the prefix', () => {
    const prefixed = alertsSchema.parse({ topicPrefix: 'exp.' });
    expect(errors((s) => app(s, 'c', ['consume', '--topic', 'Filter001', '--topic-prefix', 'exp.']), prefixed)).toEqual([]);
  });
});
