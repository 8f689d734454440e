import { lintText } from './lint';

describe('project lint', () => {
  it.each([
    "import { ContainerCluster } from '@cdktf/provider-google';",
    "import * as k8s from '@cdktf/provider-kubernetes';",
    "const helm = require('@cdktf/provider-helm');",
    "import { x } from '@cdktf/provider-google/lib';",
  ])('rejects the provider root import %p', (line) => {
    expect(lintText('stacks/x.ts', `// header\n${line}\n`)).toEqual([{ file: 'stacks/x.ts', line: 2, message: expect.stringContaining('deep path') }]);
  });

  it('accepts deep imports', () => {
    expect(lintText('a.ts', "import { ContainerCluster } from '@cdktf/provider-google/lib/container-cluster';")).toEqual([]);
  });

  it('rejects focused tests', () => {
    expect(lintText('a.test.ts', "it.only('x', () => {});")).toHaveLength(1);
  });
});
