import { Aspects } from 'cdktf';
import { Release } from '@cdktf/provider-helm/lib/release';
import { HelmChartPinned } from './helm-chart-pinned';
import { invariantErrors, newStack } from './testing';

function check(props: { repository?: string; version?: string }): string[] {
  const stack = newStack();
  new Release(stack, 'kafka', { name: 'kafka', chart: 'cp-helm-charts', ...props });
  Aspects.of(stack).add(new HelmChartPinned('gcp'));
  return invariantErrors(stack);
}

describe('invariant helm-chart-pinned', () => {
  it('fires when the version is missing', () => {
    expect(check({ repository: 'https://confluentinc.github.io/cp-helm-charts/' })).toEqual([
      'invariant helm-chart-pinned: site "gcp", helm_release.kafka: chart "cp-helm-charts" version is not set; pin it, e.g. "4.12.5"',
    ]);
  });

  it.each(['^0.6.1', '0.6.x', '>=0.6', 'latest'])('fires on the range %p', (version) => {
    expect(check({ repository: 'https://confluentinc.github.io/cp-helm-charts/', version })).toEqual([
      expect.stringContaining(`version "${version}" is not an exact version`),
    ]);
  });

  it('fires when the repository is missing', () => {
    expect(check({ version: '0.6.1' })).toEqual([expect.stringContaining('has no repository')]);
  });

  it('does not fire on a pinned chart from a repository', () => {
    expect(check({ repository: 'https://confluentinc.github.io/cp-helm-charts/', version: '0.6.1' })).toEqual([]);
  });
});
