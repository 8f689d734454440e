/**
 * `efd validate --charts` on the local API server (`efd local up --k8s`) with the pinned helm CLI: the
 * third-party charts are not reachable here, so the project's own test chart (test/fixtures/helm/chronograf,
 * named and versioned as the pinned chronograf release) stands in for the package an operator would have,
 * rendered with the summit release's exact values. Accepted objects, a bad value, a missing chart, a wrong
 * checksum, `helm pull` from an unreachable and from a reachable (local) repository, a missing context
 * and an API server that is down.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { loadSites } from '../../config/load';
import { CHARTS } from '../../constructs/charts';
import { EXIT, exitCodeOf } from '../../apps/lib/exit-codes';
import { tryReadEndpoints } from '../../apps/lib/local-endpoints';
import { notRun } from '../../test/not-run';
import { sha256File } from './charts';
import { helmBinary, runHelm } from './helm';
import type { HelmRelease } from './releases';
import { ValidateChartsOptions, refusalLines, reportLine, siteReleases, validateCharts, validateExit } from './validate';

const ROOT = path.resolve(__dirname, '..', '..');
const CHART = path.join(ROOT, 'test', 'fixtures', 'helm', 'chronograf');
const k8s = tryReadEndpoints()?.kubernetes;
let helm: string | undefined;
try {
  helm = helmBinary();
} catch {
  helm = undefined;
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The release with its first values file changed by `change`. */
const withValues = (r: HelmRelease, change: (v: any) => void): HelmRelease => {
  const v = parse(r.values[0]);
  change(v);
  return { ...r, values: [stringify(v), ...r.values.slice(1)] };
};

if (!k8s || !helm) {
  notRun(
    'efd validate --charts renders the test chart and the local API server judges its objects',
    !k8s
      ? 'the local EFD has no Kubernetes API (start it with `npx efd local up --k8s`)'
      : 'no helm CLI (build it with `npx efd local install-helm`)',
  );
} else {
  describe('efd validate --charts, judged by kube-apiserver', () => {
    const sites = loadSites();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-validate-int-'));
    const charts = path.join(tmp, 'charts');
    const pkg = path.join(charts, 'chronograf-1.2.6.tgz');
    const sums = path.join(tmp, 'SHA256SUMS');
    let discovered: ReturnType<typeof siteReleases>;
    const opts = (over: Partial<ValidateChartsOptions> = {}): ValidateChartsOptions => ({
      charts,
      kubeconfig: k8s.kubeconfig,
      sites: ['summit'],
      releases: ['chronograf'],
      discovered,
      ...over,
    });

    beforeAll(async () => {
      discovered = siteReleases(sites);
      fs.mkdirSync(charts);
      const r = await runHelm(helm as string, ['package', CHART, '--destination', charts]);
      expect(r.stderr).toBe('');
      fs.writeFileSync(sums, `${sha256File(pkg)}  chronograf-1.2.6.tgz\n`);
    }, 300_000);
    afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("a release rendered from its package with the site's exact values: every object accepted by the server's dry run", async () => {
      const [v] = await validateCharts(sites, opts({ sums }));
      expect(v).toMatchObject({
        site: 'summit',
        stack: 'summit-efd',
        context: 'summit-efd',
        release: 'chronograf',
        namespace: 'influxdb',
        chart: `chronograf-${CHARTS.chronograf.version}`,
        status: 'accepted',
        source: { kind: 'package', path: pkg, verified: true, pulled: false },
      });
      expect(v.objects.map((o) => [o.object, o.refused])).toEqual([
        ['PersistentVolumeClaim influxdb/chronograf', undefined],
        ['Service influxdb/chronograf', undefined],
        ['Deployment influxdb/chronograf', undefined],
      ]);
      // What the server answered holds our values (helm-values/chronograf.yaml + the summit overrides), defaulted by it.
      const served = (kind: string) => v.objects.find((o) => o.object.startsWith(kind))?.served as any;
      expect(served('PersistentVolumeClaim').spec.storageClassName).toBe('ssd');
      const deployment = served('Deployment');
      expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
      const container = deployment.spec.template.spec.containers[0];
      expect(container.resources).toEqual({ limits: { memory: '1Gi' }, requests: { cpu: '100m', memory: '256Mi' } });
      expect(container.env).toEqual([{ name: 'INFLUXDB_URL', value: 'http://influxdb.influxdb.svc.cluster.local:8086' }]);
      expect(container.envFrom).toEqual([{ secretRef: { name: 'influxdb-auth' } }]);
      expect(container.terminationMessagePath).toBe('/dev/termination-log'); // the server's default: it was admitted
      expect(served('Service').spec.type).toBe('ClusterIP');
      expect(validateExit([v])).toBe(EXIT.ok);
    }, 120_000);

    it('an unpacked chart folder renders too; a sums file cannot vouch for a folder', async () => {
      const folder = path.join(tmp, 'folder');
      fs.cpSync(CHART, path.join(folder, 'chronograf'), { recursive: true });
      const [v] = await validateCharts(sites, opts({ charts: folder }));
      expect(v.status).toBe('accepted');
      expect(v.source).toMatchObject({ kind: 'folder', verified: false });
      const [s] = await validateCharts(sites, opts({ charts: folder, sums }));
      expect(s.status).toBe('checksum');
      expect(s.message).toMatch(/chronograf is an unpacked chart folder, which a sums file cannot verify/);
    }, 120_000);

    it('a value of the wrong type fails, naming the release, the object, its template and the field', async () => {
      const verdicts = await validateCharts(sites, opts({ edit: (r) => withValues(r, (v) => (v.replicaCount = 'two')) }));
      expect(verdicts[0].status).toBe('refused');
      expect(refusalLines(verdicts)).toEqual([
        expect.stringMatching(
          /^summit summit-efd chronograf: Deployment influxdb\/chronograf \(chronograf\/templates\/deployment\.yaml\) refused: .*spec\.replicas.*string/,
        ),
      ]);
      expect(validateExit(verdicts)).toBe(EXIT.failed);
    }, 120_000);

    it('an invalid label value fails, naming the object, the field and the value', async () => {
      const verdicts = await validateCharts(
        sites,
        opts({ edit: (r) => withValues(r, (v) => (v.podLabels = { team: 'not a valid label!' })) }),
      );
      expect(refusalLines(verdicts)).toEqual([
        expect.stringMatching(
          /^summit summit-efd chronograf: Deployment influxdb\/chronograf \(.*\) refused: Deployment\.apps "chronograf" is invalid: spec\.template\.labels: Invalid value: "not a valid label!"/,
        ),
      ]);
    }, 120_000);

    it('an object whose kind a CRD of the same chart defines is listed as not submitted; the CRD itself is judged', async () => {
      const [v] = await validateCharts(sites, opts({ edit: (r) => withValues(r, (x) => (x.testOnly = { crd: true })) }));
      expect(v.status).toBe('accepted');
      const crdObjects = v.objects.filter((o) => /^(CustomResourceDefinition|Widget) /.test(o.object));
      expect(crdObjects.map((o) => [o.object, o.refused, o.skipped])).toEqual([
        ['CustomResourceDefinition widgets.test.efd.lsst.io', undefined, undefined],
        ['Widget chronograf', undefined, 'its kind is defined by a CRD of this chart, which a dry run does not create'],
      ]);
      expect(reportLine(v)).toMatch(
        /accepted: 4\/4 objects accepted \(server-side dry run\), 1 not submitted \(kinds of the chart's own CRDs\)/,
      );
    }, 120_000);

    it('a package with another sha256 than the sums file is refused before rendering, naming path and both sums', async () => {
      const wrong = path.join(tmp, 'WRONG');
      fs.writeFileSync(wrong, `${'0'.repeat(64)}  chronograf-1.2.6.tgz\n`);
      const [v] = await validateCharts(sites, opts({ sums: wrong }));
      expect(v.status).toBe('checksum');
      expect(v.objects).toEqual([]);
      expect(v.message).toBe(
        `${pkg}: sha256 ${sha256File(pkg)} is not the ${'0'.repeat(64)} of the sums file ${wrong}; the package is not the one the operator verified: fetch it again (helm pull) and compare`,
      );
      expect(validateExit([v])).toBe(EXIT.badInput);
    }, 120_000);

    it('the CLI over a site: the test chart accepted, every other chart missing with what to fetch, exit 3', () => {
      const r = spawnSync(
        path.join(ROOT, 'node_modules', '.bin', 'tsx'),
        ['apps/cli/main.ts', 'validate', '--charts', charts, '--sums', sums, '--site', 'summit', '--kubeconfig', k8s.kubeconfig],
        { cwd: ROOT, encoding: 'utf8', timeout: 240_000 },
      );
      const lines = r.stdout.trim().split('\n');
      expect(lines).toContainEqual(
        expect.stringMatching(
          /^summit summit-efd chronograf \(chronograf-1\.2\.6, namespace influxdb, context summit-efd\): accepted: 3\/3 objects accepted \(server-side dry run\) from .*chronograf-1\.2\.6\.tgz, sha256 verified/,
        ),
      );
      expect(lines).toContainEqual(
        `summit summit-efd influxdb (influxdb-4.12.5, namespace influxdb, context summit-efd): CHART MISSING: not in ${charts} ` +
          `(looked for influxdb-4.12.5.tgz, influxdb-4.12.5/, influxdb/). Put the package there: ` +
          `\`helm pull influxdb --repo https://helm.influxdata.com/ --version 4.12.5 -d ${charts}\` where the repository is reachable ` +
          '(or run with --pull), or copy the .tgz from a machine that has it.',
      );
      expect(lines.at(-1)).toMatch(
        /^5 releases: 1 accepted \(3 objects\), 0 refused, 4 chart missing, 0 wrong checksum, 0 failed, in [\d.]+ s$/,
      );
      expect(r.status).toBe(EXIT.badInput);
    }, 300_000);

    it('--pull where the repository does not answer: the chart is missing, saying the repository is not reachable', async () => {
      const port = await closedPort();
      const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
      const t0 = Date.now();
      const [v] = await validateCharts(
        sites,
        opts({ charts: empty, pull: true, helmTimeoutSeconds: 30, edit: (r) => ({ ...r, repository: `http://127.0.0.1:${port}/` }) }),
      );
      expect(v.status).toBe('missing');
      expect(v.message).toMatch(
        new RegExp(
          `^not in .* and \`helm pull chronograf --repo http://127\\.0\\.0\\.1:${port}/ --version 1\\.2\\.6\` failed: .*connection refused.*The repository is not reachable from here`,
        ),
      );
      expect(Date.now() - t0).toBeLessThan(40_000);
    }, 120_000);

    it('--pull from a repository that answers (a local one): pulled into --charts, then judged', async () => {
      const repo = path.join(tmp, 'repo');
      fs.mkdirSync(repo);
      fs.copyFileSync(pkg, path.join(repo, 'chronograf-1.2.6.tgz'));
      const server = http.createServer((req, res) => {
        const file = path.join(repo, path.basename(req.url ?? ''));
        if (!fs.existsSync(file)) return res.writeHead(404).end();
        res.writeHead(200).end(fs.readFileSync(file));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      try {
        expect((await runHelm(helm as string, ['repo', 'index', repo, '--url', url])).code).toBe(0);
        const into = fs.mkdtempSync(path.join(tmp, 'pulled-'));
        const [v] = await validateCharts(sites, opts({ charts: into, pull: true, sums, edit: (r) => ({ ...r, repository: url }) }));
        expect(v).toMatchObject({ status: 'accepted', source: { kind: 'package', pulled: true, verified: true } });
        expect(fs.readdirSync(into)).toEqual(['chronograf-1.2.6.tgz']);
        // A chart the repository does not have: missing, with helm's message, and not blamed on the network.
        const [k] = await validateCharts(
          sites,
          opts({ charts: into, pull: true, releases: ['kapacitor'], edit: (r) => ({ ...r, repository: url }) }),
        );
        expect(k.status).toBe('missing');
        expect(k.message).toMatch(/failed: Error: .*kapacitor.* not found .*Check the chart name and version at the repository/);
      } finally {
        await new Promise((r) => server.close(r));
      }
    }, 120_000);

    it('a context the kubeconfig does not have: bad input naming site, context and what to do', async () => {
      const err = await validateCharts(sites, opts({ context: () => 'no-such-context' })).catch((e) => e);
      expect(err.message).toMatch(
        /^site "summit": kubeconfig .*kubeconfig has no context "no-such-context" \(it has: efd-local, .*summit-efd/,
      );
      expect(err.message).toMatch(/npx efd local up --k8s/);
      expect(exitCodeOf(err)).toBe(EXIT.badInput);
    }, 120_000);

    it('an API server that is down: exit 4 in bounded time, naming site, context and server', async () => {
      const port = await closedPort();
      const down = path.join(tmp, 'down.kubeconfig');
      fs.writeFileSync(
        down,
        stringify({
          clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${port}` } }],
          users: [{ name: 'u', user: {} }],
          contexts: [{ name: 'summit-efd', context: { cluster: 'c', user: 'u' } }],
        }),
      );
      const t0 = Date.now();
      const err = await validateCharts(sites, opts({ kubeconfig: down })).catch((e) => e);
      expect(err.message).toMatch(
        new RegExp(
          `^site "summit", context "summit-efd": Kubernetes API https://127\\.0\\.0\\.1:${port} \\(context "summit-efd" of .*\\) did not answer GET /version: .*Is it running\\?`,
        ),
      );
      expect(exitCodeOf(err)).toBe(EXIT.unreachable);
      expect(Date.now() - t0).toBeLessThan(30_000);
    }, 120_000);
  });
}
