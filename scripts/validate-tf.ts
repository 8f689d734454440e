/**
 * `npm run validate:tf [-- --plugin-dir <dir>] [--stack <name>…]`: `terraform init -backend=false` +
 * `terraform validate` of every synthesized stack, with the real CLI ($TERRAFORM_BINARY_NAME, e.g. `tofu`,
 * else `terraform`). It needs the pinned hashicorp providers (google, kubernetes, helm): from the provider
 * registry, or a filesystem mirror given by --plugin-dir. Where neither is there it says so, per stack,
 * with the provider and version that could not be had, and exits 2 (not run) rather than 1 (invalid).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSites } from '../config/load';
import { synthSites } from './synth';

interface Args {
  pluginDir?: string;
  stacks: string[];
}

function parseArgs(argv: string[]): Args {
  const out: Args = { stacks: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--plugin-dir') out.pluginDir = path.resolve(argv[++i] ?? '');
    else if (argv[i] === '--stack') out.stacks.push(argv[++i] ?? '');
    else throw new Error(`unknown argument ${argv[i]} (use --plugin-dir <dir>, --stack <name>)`);
  }
  if (out.pluginDir && !fs.existsSync(out.pluginDir)) throw new Error(`--plugin-dir ${out.pluginDir} does not exist`);
  return out;
}

const cliEnv = () => ({ ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' });

function main(): number {
  const args = parseArgs(process.argv.slice(2));
  const cli = process.env.TERRAFORM_BINARY_NAME || 'terraform';
  if (spawnSync(cli, ['version'], { env: cliEnv() }).status !== 0) {
    process.stderr.write(`validate:tf: \`${cli}\` is not on PATH: install Terraform or OpenTofu (TERRAFORM_BINARY_NAME=tofu).\n`);
    return 2;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-validate-tf-'));
  let notRun = 0;
  let invalid = 0;
  try {
    synthSites(loadSites(), path.join(dir, 'out'));
    const all = fs.readdirSync(path.join(dir, 'out', 'stacks')).sort();
    const stacks = args.stacks.length ? args.stacks : all;
    for (const stack of stacks) {
      const cwd = path.join(dir, 'out', 'stacks', stack);
      if (!fs.existsSync(cwd)) throw new Error(`unknown stack "${stack}"; stacks: ${all.join(', ')}`);
      const doc = JSON.parse(fs.readFileSync(path.join(cwd, 'cdk.tf.json'), 'utf8'));
      const providers = Object.entries(doc.terraform?.required_providers ?? {}).map(
        ([n, p]) => `${(p as { source: string }).source} ${(p as { version: string }).version} (${n})`,
      );
      const init = spawnSync(
        cli,
        ['init', '-backend=false', '-input=false', '-no-color', ...(args.pluginDir ? [`-plugin-dir=${args.pluginDir}`] : [])],
        { cwd, env: cliEnv(), encoding: 'utf8', timeout: 300_000 },
      );
      if (init.status !== 0) {
        notRun++;
        const why = (init.stderr || init.stdout)
          .split('\n')
          .map((l) => l.replace(/^[│╷╵\s]+/, '').trim())
          .filter((l) => /Error:|provider|registry|mirror/i.test(l))
          .slice(0, 4)
          .join(' / ');
        process.stdout.write(
          `${stack}: NOT RUN — \`${cli} init\` could not install the providers it pins: ${providers.join(', ')}. ${why}\n` +
            `  What to do: run where the provider registry is reachable, or give a filesystem mirror with these versions: npm run validate:tf -- --plugin-dir <dir>.\n`,
        );
        continue;
      }
      const v = spawnSync(cli, ['validate', '-no-color'], { cwd, env: cliEnv(), encoding: 'utf8', timeout: 300_000 });
      if (v.status === 0) process.stdout.write(`${stack}: valid\n`);
      else {
        invalid++;
        process.stdout.write(`${stack}: INVALID\n${v.stderr || v.stdout}\n`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`validate:tf: ${invalid} invalid, ${notRun} not run (providers unavailable)\n`);
  return invalid ? 1 : notRun ? 2 : 0;
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`validate:tf: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
