/** Test helper: the invariant errors a stack raises when synthesized. */
import { Testing, TerraformStack } from 'cdktf';

export function invariantErrors(stack: TerraformStack): string[] {
  Testing.synth(stack);
  return stack.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((m) => m.type === '@cdktf/error')
    .map((m) => String(m.data));
}

export function newStack(): TerraformStack {
  return new TerraformStack(Testing.app(), 'test-efd');
}
