/**
 * Shared shape of the invariant rules: each rule is an Aspect that inspects
 * the synthesized form of every Terraform element of a stack and reports
 * violations as error annotations, which fail `cdktf synth` with the list.
 */
import { IConstruct } from 'constructs';
import { Annotations, IAspect, TerraformElement, TerraformProvider, TerraformResource, Token } from 'cdktf';

export interface ResourceView {
  /** Terraform type, e.g. helm_release. */
  type: string;
  /** Terraform address, e.g. helm_release.kafka_release_1234. */
  address: string;
  /** Synthesized attributes (snake_case), tokens unresolved. */
  attrs: Record<string, unknown>;
}

/** The synthesized view of a resource or data source, or undefined for other constructs. */
export function viewOf(node: IConstruct): ResourceView | undefined {
  if (node instanceof TerraformProvider) {
    const synthesized = node.toTerraform() as { provider: Record<string, Record<string, unknown>[]> };
    const [type] = Object.keys(synthesized.provider);
    return {
      type: `provider.${type}`,
      address: `provider.${type}${node.alias ? `.${node.alias}` : ''}`,
      attrs: synthesized.provider[type][0],
    };
  }
  if (!(node instanceof TerraformResource)) return undefined;
  const synthesized = (node as TerraformElement).toTerraform() as { resource?: Record<string, Record<string, Record<string, unknown>>> };
  const byType = synthesized.resource;
  if (!byType) return undefined;
  const [type] = Object.keys(byType);
  const [name] = Object.keys(byType[type]);
  return { type, address: `${type}.${name}`, attrs: byType[type][name] };
}

/** True for a plain string written in the code, false for references and expressions. */
export function isLiteralString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && !Token.isUnresolved(value) && !value.includes('${');
}

export abstract class InvariantRule implements IAspect {
  /** Stable rule id, shown in every message. */
  abstract readonly id: string;
  constructor(protected readonly site: string) {}

  visit(node: IConstruct): void {
    const view = viewOf(node);
    if (!view) return;
    for (const problem of this.check(view)) {
      Annotations.of(node).addError(`invariant ${this.id}: site "${this.site}", ${view.address}: ${problem}`);
    }
  }

  /** Problems with one resource; empty when it complies. */
  protected abstract check(view: ResourceView): string[];
}

/** Walks nested attributes, calling `fn` with the dotted path of every value. */
export function walk(value: unknown, fn: (path: string, value: unknown) => void, path = ''): void {
  fn(path, value);
  if (Array.isArray(value)) value.forEach((v, i) => walk(v, fn, `${path}[${i}]`));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walk(v, fn, path ? `${path}.${k}` : k);
  }
}
