/**
 * One pinned Helm release with values merged from helm-values/ and typed
 * overrides, rendered as YAML in the synth so the PR diff shows them.
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { Release } from '@cdktf/provider-helm/lib/release';
import type { ChartRef } from './charts';
import { renderValues, siteValues, Values } from './helm-values';

export interface HelmChartProps {
  readonly site: string;
  readonly chart: ChartRef;
  /** Release name. */
  readonly name: string;
  readonly namespace: string;
  /** Typed overrides merged last. @default {} */
  readonly overrides?: Values;
  /** Protect from destroy (production sites). @default false */
  readonly preventDestroy?: boolean;
  /** Wait for resources to be ready. @default true */
  readonly wait?: boolean;
  /** Seconds helm waits. @default 900 */
  readonly timeout?: number;
  /** Resources that must exist first (namespaces, other releases). */
  readonly dependsOn?: ITerraformDependable[];
}

export class HelmChart extends Construct {
  readonly release: Release;
  private merged: Values;

  constructor(
    scope: Construct,
    id: string,
    private readonly props: HelmChartProps,
  ) {
    super(scope, id);
    this.merged = siteValues(props.chart.valuesFile, props.site, props.overrides ?? {});
    this.release = new Release(this, 'release', {
      name: props.name,
      namespace: props.namespace,
      repository: props.chart.repository,
      chart: props.chart.chart,
      version: props.chart.version,
      values: [renderValues(this.merged)],
      wait: props.wait ?? true,
      timeout: props.timeout ?? 900,
      atomic: false,
      dependsOn: props.dependsOn,
      lifecycle: props.preventDestroy ? { preventDestroy: true } : undefined,
    });
  }

  /** The merged values, for other constructs and tests. */
  get values(): Values {
    return this.merged;
  }

  /** Replaces the typed overrides (for values that grow after construction) and renders the release again. */
  setOverrides(overrides: Values): void {
    this.merged = siteValues(this.props.chart.valuesFile, this.props.site, overrides);
    this.release.values = [renderValues(this.merged)];
  }
}
