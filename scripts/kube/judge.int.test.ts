/**
 * Every Kubernetes object of our own, of every site, judged by the real kube-apiserver of the local EFD
 * (`efd local up --k8s`): applied through each site's kubeconfig context, read back with the fields we
 * set; a deliberately bad object and the bad-input cases fail naming what is wrong.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { loadSites } from '../../config/load';
import { tryReadEndpoints } from '../../apps/lib/local-endpoints';
import { notRun } from '../../test/not-run';
import { COMMITTED_STACKS } from '../../test/sites';
import { judgeSites, problemLines } from './judge';
import { loadContext, request } from './client';
import type { StackObject } from './manifests';
import { EXIT, exitCodeOf } from '../../apps/lib/exit-codes';

const k8s = tryReadEndpoints()?.kubernetes;

if (!k8s) {
  notRun(
    'every own object of every site is accepted by the local API server',
    'the local EFD has no Kubernetes API (start it with `npx efd local up --k8s`)',
  );
} else {
  describe('our Kubernetes objects, judged by kube-apiserver', () => {
    const sites = loadSites();
    /** summit-efd's objects, changed by `edit`, judged in a server-side dry run. */
    const dryRunSummit = (edit: (objects: StackObject[]) => StackObject[]) =>
      judgeSites(sites, { kubeconfig: k8s.kubeconfig, dryRun: true, stacks: ['summit-efd'], edit: (_stack, objects) => edit(objects) });

    it('every own object of every site is accepted by the local API server and reads back as set', async () => {
      const verdicts = await judgeSites(sites, { kubeconfig: k8s.kubeconfig });
      expect(problemLines(verdicts)).toEqual([]);
      // Every site with Kubernetes objects was judged, through its own context.
      expect(verdicts.map((v) => v.stack).sort()).toEqual(COMMITTED_STACKS.filter((s) => !s.endsWith('-cluster')));
      expect(verdicts.find((v) => v.stack === 'test-stand-efd')?.context).toBe('tucson-teststand-efd');
      const kinds = new Set(verdicts.flatMap((v) => v.objects.map((o) => o.object.split(' ')[0])));
      expect(kinds).toEqual(new Set(['Namespace', 'StorageClass', 'ConfigMap', 'Deployment', 'Job']));
      // Read back from the server, not from our own manifests: the Kafka Connect placeholders are there unescaped.
      const ctx = loadContext(k8s.kubeconfig, 'ldf-efd');
      const cm = await request(ctx, 'GET', '/api/v1/namespaces/efd-apps/configmaps/efd-connectors');
      expect(cm.body.data['jdbc-sink.json']).toContain('"connection.password": "${dir:/opt/efd/connect-secrets/efd-oracle:jdbc-password}"');
      // The alert mini-broker (gcp-alerts): its namespace, topics Job, producer, 5 filter groups and 100 consumers, as set.
      const alerts = verdicts.find((v) => v.stack === 'gcp-alerts');
      const alertKinds = alerts?.objects.map((o) => o.object.split(' ')[0]) ?? [];
      expect(['Namespace', 'Job', 'Deployment'].map((k) => alertKinds.filter((x) => x === k).length)).toEqual([1, 1, 106]);
      const gcp = loadContext(k8s.kubeconfig, alerts?.context as string);
      const consumer = await request(gcp, 'GET', '/apis/apps/v1/namespaces/alerts/deployments/alerts-consumer-filter042');
      expect(consumer.body.spec.replicas).toBe(1);
      expect(consumer.body.spec.template.spec.containers[0].args.slice(0, 6)).toEqual([
        'alerts',
        'consume',
        '--topic',
        'Filter042',
        '--mode',
        'monitor',
      ]);
      const filter = await request(gcp, 'GET', '/apis/apps/v1/namespaces/alerts/deployments/alerts-filter-3');
      expect(filter.body.spec.template.spec.containers[0].resources).toEqual({
        requests: { cpu: '500m', memory: '256Mi' },
        limits: { memory: '512Mi' },
      });
    }, 300_000);

    it('a deliberately bad object (an invalid label value) fails, naming the object, the field and why', async () => {
      const verdicts = await dryRunSummit((objects) =>
        objects.map((o) =>
          o.manifest.kind === 'Deployment' && o.manifest.metadata.name === 'connect-manager'
            ? {
                ...o,
                manifest: {
                  ...o.manifest,
                  metadata: {
                    ...o.manifest.metadata,
                    labels: { ...o.manifest.metadata.labels, 'efd.lsst.io/site': 'not a valid label!' },
                  },
                },
              }
            : o,
        ),
      );
      const problems = problemLines(verdicts);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /^summit-efd: kubernetes_deployment_v1\.connect-manager_app_deployment_\w+ \(Deployment efd-apps\/connect-manager\): rejected: .*metadata\.labels: Invalid value: "not a valid label!"/,
      );
    }, 120_000);

    it('a field the API does not have is rejected by strict field validation, naming it', async () => {
      const verdicts = await dryRunSummit((objects) =>
        objects
          .filter((o) => o.manifest.kind === 'StorageClass')
          .map((o) => ({ ...o, manifest: { ...o.manifest, storageProvisioner: 'x' } })),
      );
      expect(problemLines(verdicts)).toEqual([
        expect.stringMatching(/StorageClass ssd\): rejected: .*\.storageProvisioner: field not declared in schema/),
      ]);
    }, 120_000);

    it('a context the kubeconfig does not have, and an API server that is down, fail in bounded time naming them', async () => {
      const missing = judgeSites(sites, { kubeconfig: k8s.kubeconfig, stacks: ['summit-efd'], context: () => 'no-such-context' });
      await expect(missing).rejects.toThrow(/kubeconfig .*kubeconfig has no context "no-such-context" \(it has: efd-local, .*summit-efd/);
      expect(exitCodeOf(await missing.catch((e) => e))).toBe(EXIT.badInput);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-kc-'));
      const down = path.join(dir, 'kubeconfig');
      fs.writeFileSync(
        down,
        stringify({
          clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
          users: [{ name: 'u', user: {} }],
          contexts: [{ name: 'summit-efd', context: { cluster: 'c', user: 'u' } }],
        }),
      );
      const t0 = Date.now();
      const unreachable = judgeSites(sites, { kubeconfig: down, stacks: ['summit-efd'] });
      await expect(unreachable).rejects.toThrow(
        /^site "summit", stack summit-efd: Kubernetes API https:\/\/127\.0\.0\.1:1 \(context "summit-efd" of .*\) did not answer GET \/version: .*Is it running\?/,
      );
      expect(exitCodeOf(await unreachable.catch((e) => e))).toBe(EXIT.unreachable);
      expect(Date.now() - t0).toBeLessThan(60_000);
      fs.rmSync(dir, { recursive: true, force: true });
    }, 120_000);
  });
}
