/**
 * `efd validate --charts <dir>`: every site's Helm releases rendered by the helm CLI from the chart
 * packages an operator has and judged by a real API server (server-side dry run, strict field
 * validation) through each site's kubeconfig context (scripts/helm/validate.ts). Default: the local API
 * server of `efd local up --k8s`. Terraform itself: `npm run validate:tf`.
 */
import { Command } from 'commander';
import { loadSites, unknownSitesMessage } from '../../config/load';
import { BadInputError, UsageError } from '../lib/exit-codes';
import { tryReadEndpoints } from '../lib/local-endpoints';

interface ValidateFlags {
  charts?: string;
  sums?: string;
  pull: boolean;
  kubeconfig?: string;
  context?: string;
  site?: string[];
  release?: string[];
  helm?: string;
  helmTimeout: string;
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description("each site's Helm releases rendered by the helm CLI from chart packages (--charts) and judged by its API server (dry run)")
    .option('--charts <dir>', 'folder of chart packages (<chart>-<version>.tgz as `helm pull` writes them, or unpacked chart folders)')
    .option('--sums <file>', 'sha256sum-format file; every package used must match its line')
    .option('--pull', "`helm pull` a chart missing from --charts from the release's repository into --charts first", false)
    .option('--kubeconfig <file>', 'kubeconfig (default: the local API server of `efd local up --k8s`)')
    .option('--context <name>', "one context for every site (default: each site's own context)")
    .option('--site <name...>', 'only the releases of these sites (all sites are synthesized)')
    .option('--release <name...>', 'only these releases (by release name, e.g. influxdb chronograf)')
    .option('--helm <binary>', 'helm CLI (default: $EFD_HELM, the pinned build of `efd local install-helm`, or helm on PATH)')
    .option('--helm-timeout <seconds>', 'bound of one helm run (template, pull)', '120')
    .action(async (opts: ValidateFlags) => {
      if (!opts.charts) throw new UsageError('nothing to validate: pass --charts <dir> (Terraform itself: `npm run validate:tf`)');
      const helmTimeoutSeconds = Number(opts.helmTimeout);
      if (!(helmTimeoutSeconds > 0)) throw new UsageError(`--helm-timeout must be a positive number of seconds (got ${opts.helmTimeout})`);
      const kubeconfig = opts.kubeconfig ?? tryReadEndpoints()?.kubernetes?.kubeconfig;
      if (!kubeconfig)
        throw new UsageError('no kubeconfig: pass --kubeconfig, or start the local API server with `npx efd local up --k8s`');
      const sites = loadSites();
      const unknown = unknownSitesMessage(sites, opts.site ?? []);
      if (unknown) throw new BadInputError(unknown);
      // Loaded here: cdktf and the providers cost ~1 s, which the other subcommands should not pay.
      const v = require('../../scripts/helm/validate') as typeof import('../../scripts/helm/validate');
      const t0 = Date.now();
      const verdicts = await v.validateCharts(sites, {
        charts: opts.charts,
        sums: opts.sums,
        pull: opts.pull,
        kubeconfig,
        helm: opts.helm,
        helmTimeoutSeconds,
        sites: opts.site,
        releases: opts.release,
        context: opts.context ? () => opts.context as string : undefined,
        say: (line) => process.stdout.write(`${line}\n`),
      });
      if (opts.release) {
        const seen = new Set(verdicts.map((x) => x.release));
        const none = opts.release.filter((r) => !seen.has(r));
        if (none.length) throw new BadInputError(`no release named ${none.map((r) => `"${r}"`).join(', ')} in the selected sites`);
      }
      for (const line of v.refusalLines(verdicts)) process.stderr.write(`${line}\n`);
      process.stdout.write(`${v.summaryLine(verdicts, (Date.now() - t0) / 1000)}\n`);
      process.exitCode = v.validateExit(verdicts);
    });
}
