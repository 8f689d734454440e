/**
 * The local Kubernetes API (`efd local up --k8s`): time to judge every own object of every site (synth,
 * convert, server-side apply, read back) against the time of the synth alone in the same run; and the
 * install times the installer recorded in its stamps (cold build of kube-apiserver and
 * kube-controller-manager, etcd download), with the `up` of an installed cache measured here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadSites } from '../config/load';
import { tryReadEndpoints } from '../apps/lib/local-endpoints';
import { paths } from '../scripts/local-efd/layout';
import { ensureInstalled } from '../scripts/local-efd/install';
import { synthSites } from '../scripts/synth';
import { judgeSites, problemLines } from '../scripts/kube/judge';
import { BenchResult, withRatio } from './results';

const stampSeconds = (name: string): number | undefined => {
  try {
    return (JSON.parse(fs.readFileSync(path.join(paths.stamps(), `${name}.json`), 'utf8')) as { seconds?: number }).seconds;
  } catch {
    return undefined;
  }
};

export async function run(): Promise<BenchResult[]> {
  const k8s = tryReadEndpoints()?.kubernetes;
  if (!k8s) throw new Error('the local EFD has no Kubernetes API: start it with `npx efd local up --k8s`');
  const sites = loadSites();
  const t0 = Date.now();
  synthSites(sites, fs.mkdtempSync(path.join(require('os').tmpdir(), 'efd-bench-k8s-')));
  const synthMs = Date.now() - t0;
  const t1 = Date.now();
  const verdicts = await judgeSites(sites, { kubeconfig: k8s.kubeconfig });
  const judgeMs = Date.now() - t1;
  const problems = problemLines(verdicts);
  if (problems.length) throw new Error(`objects rejected:\n${problems.join('\n')}`);
  const objects = verdicts.reduce((n, v) => n + v.objects.length, 0);
  const t2 = Date.now();
  await ensureInstalled(() => undefined, { k8s: true });
  const warmMs = Date.now() - t2;
  const results = [
    withRatio({
      name: 'k8s.judge_all_sites.ms',
      value: judgeMs,
      unit: 'ms',
      baseline: synthMs,
      note: `${objects} objects of ${verdicts.length} stacks applied and read back; baseline = the synth of all sites alone`,
    }),
    withRatio({
      name: 'k8s.install_warm.ms',
      value: warmMs,
      unit: 'ms',
      note: 'install check with etcd and the Kubernetes servers in the cache',
    }),
  ];
  for (const [name, stamp] of [
    ['k8s.install_last.kubernetes.s', 'kubernetes'],
    ['k8s.install_last.etcd.s', 'etcd'],
  ] as const) {
    const s = stampSeconds(stamp);
    if (s !== undefined)
      results.push(
        withRatio({
          name,
          value: s,
          unit: 's',
          note: 'recorded by the installer at its last build/download into the cache (with an empty Go build cache or not: see the README)',
        }),
      );
  }
  return results;
}
