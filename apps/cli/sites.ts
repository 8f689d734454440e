/**
 * `efd sites`: the sites of config/sites and the stacks each one produces.
 */
import { Command } from 'commander';
import { loadSites, unknownSitesMessage } from '../../config/load';
import { listStacks } from '../../stacks/names';
import { formatTable } from '../lib/table';

export function registerSitesCommand(program: Command): void {
  program
    .command('sites')
    .description('list the sites and the stacks they produce (cdktf deploy <stack>)')
    .option('--json', 'print JSON')
    .option('--site <name>', 'only this site')
    .action((opts: { json?: boolean; site?: string }) => {
      const sites = loadSites();
      const unknown = unknownSitesMessage(sites, opts.site ? [opts.site] : []);
      if (unknown) throw new Error(unknown);
      const selected = opts.site ? sites.filter((s) => s.name === opts.site) : sites;
      const stacks = listStacks(selected);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(stacks, null, 2)}\n`);
        return;
      }
      const rows = stacks.map((s) => [s.stack, s.site, s.role, s.production ? 'production' : 'experiment', s.target]);
      const header = ['STACK', 'SITE', 'ROLE', 'PROTECTION', 'TARGET'];
      for (const line of formatTable(header, rows)) process.stdout.write(`${line}\n`);
    });
}

/** `efd synth`: synthesize all sites, or the one a --site/--stack names, atomically into --out. */
export function registerSynthCommand(program: Command): void {
  program
    .command('synth')
    .description('synthesize the Terraform of every site (or one) into cdktf.out, replacing it only on success')
    .option('--site <name>', 'only this site')
    .option('--stack <name>', 'only the site owning this stack (e.g. gcp-efd)')
    .option('--out <dir>', 'output folder', 'cdktf.out')
    .option('--hcl', 'write HCL (cdk.tf) instead of JSON')
    .action((opts: { site?: string; stack?: string; out: string; hcl?: boolean }) => {
      const sites = loadSites();
      let selected = sites;
      if (opts.site) {
        const unknown = unknownSitesMessage(sites, [opts.site]);
        if (unknown) throw new Error(unknown);
        selected = sites.filter((s) => s.name === opts.site);
      }
      if (opts.stack) {
        const owner = listStacks(selected).find((s) => s.stack === opts.stack);
        if (!owner)
          throw new Error(
            `unknown stack "${opts.stack}"; stacks: ${listStacks(selected)
              .map((s) => s.stack)
              .join(', ')}`,
          );
        selected = selected.filter((s) => s.name === owner.site);
      }
      // Loaded here: cdktf and the providers cost ~1 s, which the app subcommands should not pay.
      const { synthSites } = require('../../scripts/synth') as typeof import('../../scripts/synth');
      const { outdir, stacks } = synthSites(selected, opts.out, { hcl: !!opts.hcl });
      process.stdout.write(
        `synthesized ${listStacks(stacks.map((s) => s.site))
          .map((s) => s.stack)
          .join(', ')} → ${outdir}\n`,
      );
    });
}
