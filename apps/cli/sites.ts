/**
 * `efd sites`: the sites of config/sites and the stacks each one produces.
 */
import { Command } from 'commander';
import { loadSites } from '../../config/load';
import { listStacks } from '../../stacks/app';

export function registerSitesCommand(program: Command): void {
  program
    .command('sites')
    .description('list the sites and the stacks they produce (cdktf deploy <stack>)')
    .option('--json', 'print JSON')
    .option('--site <name>', 'only this site')
    .action((opts: { json?: boolean; site?: string }) => {
      const sites = loadSites();
      const selected = opts.site ? sites.filter((s) => s.name === opts.site) : sites;
      if (opts.site && selected.length === 0) {
        throw new Error(`unknown site "${opts.site}"; known sites: ${sites.map((s) => s.name).join(', ')} (config/sites/*.yaml)`);
      }
      const stacks = listStacks(selected);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(stacks, null, 2)}\n`);
        return;
      }
      const rows = stacks.map((s) => [s.stack, s.site, s.role, s.production ? 'production' : 'experiment', s.target]);
      const header = ['STACK', 'SITE', 'ROLE', 'PROTECTION', 'TARGET'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
      for (const row of [header, ...rows]) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()}\n`);
    });
}
