/**
 * The helm CLI and `efd validate --charts`: the cold build of helm as the installer recorded it in its
 * stamp, the install check of a cached helm measured here, and the time to validate one release (the
 * project's test chart as the summit chronograf release: render + server-side dry run of each object)
 * against `helm template` of the same chart alone in the same run (what the API server's judgement adds).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSites } from '../config/load';
import { tryReadEndpoints } from '../apps/lib/local-endpoints';
import { paths } from '../scripts/local-efd/layout';
import { ensureHelm } from '../scripts/local-efd/install';
import { runHelm } from '../scripts/helm/helm';
import { siteReleases, validateCharts } from '../scripts/helm/validate';
import { BenchResult, withRatio } from './results';

const CHART = path.join(__dirname, '..', 'test', 'fixtures', 'helm', 'chronograf');
const ROUNDS = 5;

export async function run(): Promise<BenchResult[]> {
  const k8s = tryReadEndpoints()?.kubernetes;
  if (!k8s) throw new Error('the local EFD has no Kubernetes API: start it with `npx efd local up --k8s`');
  const t0 = Date.now();
  const helm = await ensureHelm(() => undefined);
  const warmMs = Date.now() - t0;
  if (helm.installed) throw new Error('helm was not in the cache: this run built it; run the benchmark again for the warm figure');
  const results: BenchResult[] = [
    withRatio({ name: 'helm.install_warm.ms', value: warmMs, unit: 'ms', note: 'install check with helm in the cache' }),
  ];
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(paths.stamps(), 'helm.json'), 'utf8')) as { seconds?: number; version: string };
    if (stamp.seconds !== undefined)
      results.push(
        withRatio({
          name: 'helm.install_last.s',
          value: stamp.seconds,
          unit: 's',
          note: `cold build of helm ${stamp.version} (go install, empty module and build cache) recorded by the installer`,
        }),
      );
  } catch {
    /* installed before stamps recorded seconds */
  }

  const sites = loadSites();
  const discovered = siteReleases(sites);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-bench-helm-'));
  try {
    const pkg = await runHelm(helm.bin, ['package', CHART, '--destination', dir]);
    if (pkg.code !== 0) throw new Error(`helm package: ${pkg.stderr}`);
    const release = discovered.targets.find((t) => t.site.name === 'summit' && t.release.name === 'chronograf')?.release;
    if (!release) throw new Error('summit has no chronograf release');
    const values = path.join(dir, 'values.yaml');
    fs.writeFileSync(values, release.values[0]);
    const tgz = path.join(dir, 'chronograf-1.2.6.tgz');
    let templateMs = Infinity;
    let validateMs = Infinity;
    let objects = 0;
    // Best of ROUNDS each, interleaved (the machine is shared).
    for (let i = 0; i < ROUNDS; i++) {
      const a = Date.now();
      const t = await runHelm(helm.bin, ['template', release.name, tgz, '--namespace', release.namespace, '--values', values]);
      if (t.code !== 0) throw new Error(`helm template: ${t.stderr}`);
      templateMs = Math.min(templateMs, Date.now() - a);
      const b = Date.now();
      const [v] = await validateCharts(sites, {
        charts: dir,
        kubeconfig: k8s.kubeconfig,
        sites: ['summit'],
        releases: ['chronograf'],
        discovered,
      });
      if (v.status !== 'accepted') throw new Error(`the test chart was not accepted: ${v.status} ${v.message ?? ''}`);
      validateMs = Math.min(validateMs, Date.now() - b);
      objects = v.objects.length;
    }
    results.push(
      withRatio({
        name: 'helm.validate_release.ms',
        value: validateMs,
        unit: 'ms',
        baseline: templateMs,
        note: `one release (test chart as summit chronograf, ${objects} objects): helm show + template + server-side dry run of each object, best of ${ROUNDS}; baseline = helm template alone`,
      }),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
