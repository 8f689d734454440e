import { lintText } from './lint';

describe('project lint', () => {
  // Built from parts so that this file does not itself hold a root import.
  const pkg = (name: string) => `@cdktf/provider-${name}`;
  it.each([
    `import { ContainerCluster } from '${pkg('google')}';`,
    `import * as k8s from '${pkg('kubernetes')}';`,
    `const helm = require('${pkg('helm')}');`,
    `import { x } from '${pkg('google')}/lib';`,
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
