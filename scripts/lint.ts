/**
 * Project lint: rules tsc cannot express. Provider packages must be imported
 * by deep path (`@cdktf/provider-google/lib/container-cluster`): the package
 * root loads every resource class, costing seconds and hundreds of MB per
 * test file. Also rejects focused/skipped tests left in.
 */
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..');
const SKIP_DIRS = new Set(['node_modules', 'cdktf.out', '.efd-local', '.git', 'dist', 'state']);

export interface LintProblem {
  file: string;
  line: number;
  message: string;
}

const RULES: { pattern: RegExp; message: string }[] = [
  {
    pattern: /(from\s+|require\(\s*|import\(\s*)['"]@cdktf\/provider-[a-z0-9-]+(\/lib)?(\/(index|lazy-index))?['"]/,
    message: 'import the provider by deep path (e.g. @cdktf/provider-google/lib/container-cluster), not its root',
  },
  { pattern: /\b(it|test|describe)\.only\(|\bf(it|describe)\(/, message: 'focused test left in; remove .only' },
];

export function lintText(file: string, text: string): LintProblem[] {
  const problems: LintProblem[] = [];
  text.split('\n').forEach((line, i) => {
    for (const rule of RULES) if (rule.pattern.test(line)) problems.push({ file, line: i + 1, message: rule.message });
  });
  return problems;
}

function* tsFiles(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) yield* tsFiles(path.join(dir, entry.name));
    } else if (/\.(ts|js|mjs|cjs)$/.test(entry.name) && entry.name !== 'lint.ts' && entry.name !== 'lint.test.ts') {
      yield path.join(dir, entry.name);
    }
  }
}

if (require.main === module) {
  const problems = [...tsFiles(root)].flatMap((f) => lintText(path.relative(root, f), fs.readFileSync(f, 'utf8')));
  for (const p of problems) process.stderr.write(`${p.file}:${p.line}: ${p.message}\n`);
  if (problems.length) process.exit(1);
}
