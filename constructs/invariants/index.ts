/**
 * The invariants every stack is checked against on every synth. Later
 * capabilities add their rules here.
 */
import { Aspects, TerraformStack } from 'cdktf';
import type { Site } from '../../config/schema';
import { ContainerResources } from './container-resources';
import { DestroyProtection } from './destroy-protection';
import { HelmChartPinned } from './helm-chart-pinned';
import { NoLiteralSecrets } from './no-literal-secrets';

export function applyInvariants(stack: TerraformStack, site: Site): void {
  const aspects = Aspects.of(stack);
  aspects.add(new NoLiteralSecrets(site.name));
  aspects.add(new HelmChartPinned(site.name));
  aspects.add(new ContainerResources(site.name));
  aspects.add(new DestroyProtection(site.name, site.production));
}
