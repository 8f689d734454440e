/**
 * The real Terraform (or OpenTofu) CLI on configurations that need no provider: locals, variables,
 * outputs and the built-in `terraform_data` resource, which `validate` and `console` read without
 * `init` or a download. Used to judge our checks and our escaping against the tool that deploys.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The CLI: `$TERRAFORM_BINARY_NAME` (as cdktf reads it, e.g. `tofu`), else `terraform`; undefined when not on PATH. */
export function terraformCli(): string | undefined {
  const name = process.env.TERRAFORM_BINARY_NAME || 'terraform';
  const r = spawnSync(name, ['version'], { encoding: 'utf8', env: cliEnv() });
  return r.status === 0 ? name : undefined;
}

const cliEnv = () => ({ ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' });

function inDir<T>(doc: unknown, use: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-tf-cli-'));
  try {
    fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify(doc, null, 1));
    return use(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export interface TerraformDiagnostic {
  summary: string;
  /** 1-based line in main.tf.json (written one attribute a line). */
  line?: number;
}

/** `terraform validate -json` of `doc` as main.tf.json: its error diagnostics. */
export function terraformValidate(cli: string, doc: unknown): { text: string; errors: TerraformDiagnostic[] } {
  return inDir(doc, (dir) => {
    const r = spawnSync(cli, ['validate', '-json', '-no-color'], { cwd: dir, encoding: 'utf8', env: cliEnv(), timeout: 60_000 });
    const out = JSON.parse(r.stdout) as { diagnostics: { severity: string; summary: string; range?: { start: { line: number } } }[] };
    const text = fs.readFileSync(path.join(dir, 'main.tf.json'), 'utf8');
    return {
      text,
      errors: out.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ summary: d.summary, line: d.range?.start.line })),
    };
  });
}

/** Values of `expressions` as `terraform console` evaluates them in `doc` (one console run: it evaluates one expression from stdin). */
export function terraformEval(cli: string, doc: unknown, expressions: string[]): unknown[] {
  return inDir(doc, (dir) => {
    const input = `jsonencode([${expressions.join(', ')}])\n`;
    const r = spawnSync(cli, ['console', '-no-color'], { cwd: dir, input, encoding: 'utf8', env: cliEnv(), timeout: 60_000 });
    // An error in the configuration is printed on stderr, with exit status 0 and `(known after apply)`.
    if (r.status !== 0 || /Error:/.test(r.stderr)) throw new Error(`${cli} console failed: ${r.stderr.trim()}`);
    // The result is the JSON text as a quoted string on the last line (warnings may come before it).
    return JSON.parse(JSON.parse(r.stdout.trim().split('\n').pop() ?? '')) as unknown[];
  });
}
