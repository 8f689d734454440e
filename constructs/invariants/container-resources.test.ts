import { Aspects } from 'cdktf';
import { DeploymentV1 } from '@cdktf/provider-kubernetes/lib/deployment-v1';
import { JobV1 } from '@cdktf/provider-kubernetes/lib/job-v1';
import { ContainerResources } from './container-resources';
import { invariantErrors, newStack } from './testing';

const labels = { app: 'saltransform' };

function deployment(resources?: { requests?: Record<string, string>; limits?: Record<string, string> }): string[] {
  const stack = newStack();
  new DeploymentV1(stack, 'saltransform', {
    metadata: { name: 'saltransform' },
    spec: {
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { container: [{ name: 'saltransform', image: 'efd/saltransform:0.1.0', resources }] } },
    },
  });
  Aspects.of(stack).add(new ContainerResources('gcp'));
  return invariantErrors(stack);
}

describe('invariant container-resources', () => {
  it('fires on a container without requests', () => {
    expect(deployment()).toEqual([
      'invariant container-resources: site "gcp", kubernetes_deployment_v1.saltransform: container "saltransform" declares no cpu or memory request; set resources.requests',
    ]);
  });

  it('fires when only limits or only cpu are set', () => {
    expect(deployment({ limits: { cpu: '1', memory: '1Gi' } })).toHaveLength(1);
    expect(deployment({ requests: { cpu: '100m' } })).toEqual([expect.stringContaining('declares no memory request')]);
  });

  it('checks Job containers too', () => {
    const stack = newStack();
    new JobV1(stack, 'init', {
      metadata: { name: 'influxdb-init' },
      spec: {
        template: { metadata: {}, spec: { container: [{ name: 'init', image: 'efd/influxdb-init:0.1.0' }], restartPolicy: 'Never' } },
      },
    });
    Aspects.of(stack).add(new ContainerResources('gcp'));
    expect(invariantErrors(stack)).toEqual([
      expect.stringContaining('kubernetes_job_v1.init: container "init" declares no cpu or memory request'),
    ]);
  });

  it('does not fire when cpu and memory requests are set', () => {
    expect(deployment({ requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '512Mi' } })).toEqual([]);
  });
});
