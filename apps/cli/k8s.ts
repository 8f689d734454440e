/**
 * `efd k8s check`: every Kubernetes object of our own that the stacks declare (namespaces, StorageClass,
 * ConfigMaps, Deployments, Jobs), submitted to a real API server through each site's kubeconfig context
 * and read back (scripts/kube). Default: the local API server of `efd local up --k8s`.
 */
import { Command } from 'commander';
import { loadSites, unknownSitesMessage } from '../../config/load';
import { tryReadEndpoints } from '../lib/local-endpoints';

export function registerK8sCommand(program: Command): void {
  const k8s = program.command('k8s').description('our own Kubernetes objects, judged by a real API server');
  k8s
    .command('check')
    .description(
      'apply (server-side, strict field validation) every object of every site through its kubeconfig context, read each back and compare; exit 1 naming each object that failed',
    )
    .option('--kubeconfig <file>', 'kubeconfig (default: the local API server of `efd local up --k8s`)')
    .option('--context <name>', "one context for every site (default: each site's own context)")
    .option('--site <name...>', 'only the stacks of these sites (all sites are synthesized)')
    .option('--dry-run', 'submit with dryRun=All: validated and admitted, nothing stored', false)
    .action(async (opts: { kubeconfig?: string; context?: string; site?: string[]; dryRun: boolean }) => {
      const kubeconfig = opts.kubeconfig ?? tryReadEndpoints()?.kubernetes?.kubeconfig;
      if (!kubeconfig) throw new Error('no kubeconfig: pass --kubeconfig, or start the local API server with `npx efd local up --k8s`');
      const sites = loadSites();
      const unknown = unknownSitesMessage(sites, opts.site ?? []);
      if (unknown) throw new Error(unknown);
      // Loaded here: cdktf and the providers cost ~1 s, which the other subcommands should not pay.
      const { judgeSites, problemLines } = require('../../scripts/kube/judge') as typeof import('../../scripts/kube/judge');
      const t0 = Date.now();
      const { listStacks } = require('../../stacks/names') as typeof import('../../stacks/names');
      const stacks = opts.site ? listStacks(sites.filter((s) => opts.site?.includes(s.name))).map((s) => s.stack) : undefined;
      const verdicts = await judgeSites(sites, {
        kubeconfig,
        dryRun: opts.dryRun,
        stacks,
        context: opts.context ? () => opts.context as string : undefined,
      });
      for (const v of verdicts) {
        const bad = v.objects.filter((o) => o.problems.length).length;
        process.stdout.write(
          `${v.stack} (context ${v.context}): ${v.objects.length - bad}/${v.objects.length} objects accepted${opts.dryRun ? ' (dry run)' : ' and read back'} in ${v.seconds.toFixed(1)} s\n`,
        );
      }
      const problems = problemLines(verdicts);
      for (const p of problems) process.stderr.write(`${p}\n`);
      const total = verdicts.reduce((n, v) => n + v.objects.length, 0);
      process.stdout.write(
        `${total - new Set(problems.map((p) => p.split(' (')[0])).size}/${total} objects of ${verdicts.length} stacks accepted in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
      );
      if (problems.length) throw new Error(`${problems.length} problem(s): see above`);
    });
}
