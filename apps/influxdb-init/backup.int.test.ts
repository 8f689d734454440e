/**
 * `efd influxdb backup|restore` on the local EFD: points written into this file's database, backed up with
 * the real `influxd backup -portable` into the local S3 (SeaweedFS) and the local GCS emulator, the
 * database dropped, restored: the same points (count and values). Bad input changes nothing: a bucket
 * that does not exist, a folder without a backup, a restore over an existing database without --newdb/--force.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { efd, EfdRun } from '../../test/cli';
import { TestNamespace, useNamespace } from '../../test/integration/env';
import { notRun } from '../../test/not-run';
import { influxQl } from '../../scripts/local-efd/health';
import { paths } from '../../scripts/local-efd/layout';
import { tryReadEndpoints } from '../../scripts/local-efd/endpoints';
import { EXIT } from '../lib/exit-codes';
import type { BackupResult, RestoreResult } from './backup';

jest.setTimeout(300_000);

const influxd = path.join(paths.influxBin(), 'influxd');
const stores = tryReadEndpoints()?.objectStores;

if (!fs.existsSync(influxd) || !stores) {
  notRun('efd influxdb backup|restore', `needs the local EFD's InfluxDB build (${influxd}) and its object stores (npm run efd:up)`);
} else {
  let ns: TestNamespace;
  let base: string[];
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  const extraDbs: string[] = [];

  beforeAll(async () => {
    ns = await useNamespace(__filename);
    process.env.AWS_ACCESS_KEY_ID = stores.s3.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = stores.s3.secretAccessKey;
    base = ['--url', ns.endpoints.influxdb.url, '--influxd', influxd];
  }, 15 * 60_000);

  afterAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = saved.id;
    process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
    for (const db of extraDbs) await influxQl(ns.endpoints.influxdb.url, `DROP DATABASE "${db}"`).catch(() => undefined);
    await ns?.cleanup();
  });

  const url = () => ns.endpoints.influxdb.url;
  const root = path.resolve(__dirname, '../..');

  /**
   * `efd …`: in this process for S3; through bin/efd for GCS (@google-cloud/storage's dynamic import does
   * not run inside jest's module sandbox, as the parquet-sink test found).
   */
  function run(kind: 's3' | 'gcs', ...argv: string[]): Promise<EfdRun> {
    if (kind === 's3') return efd(...argv);
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(root, 'bin/efd'), ...argv], { cwd: root, env: process.env });
      let output = '';
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => ((output += d.toString()), (stdout += d.toString())));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('close', (code) => resolve({ code: code ?? -1, output, stdout }));
    });
  }

  async function runJson<T>(kind: 's3' | 'gcs', ...argv: string[]): Promise<T> {
    const r = await run(kind, ...argv, '--json');
    if (r.code !== 0) throw new Error(`efd ${argv.join(' ')} exited ${r.code}: ${r.output}`);
    return JSON.parse(r.stdout) as T;
  }

  const bucketName = (kind: string) => `efd-bk-${kind}-${ns.id.toLowerCase().replace(/[^a-z0-9]/g, '-')}`;

  async function makeBucket(kind: 's3' | 'gcs', bucket: string): Promise<void> {
    if (kind === 's3') {
      const c = new S3Client({
        endpoint: stores!.s3.endpoint,
        region: stores!.s3.region,
        forcePathStyle: true,
        credentials: { accessKeyId: stores!.s3.accessKeyId, secretAccessKey: stores!.s3.secretAccessKey },
      });
      await c.send(new CreateBucketCommand({ Bucket: bucket }));
    } else {
      const res = await fetch(`${stores!.gcs.endpoint}/storage/v1/b?project=local`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: bucket }),
      });
      if (!res.ok) throw new Error(`GCS bucket ${bucket}: ${res.status} ${await res.text()}`);
    }
  }

  /** Every point of the database, sorted: measurement, tags, time and the fields it has. */
  async function points(db: string): Promise<unknown[]> {
    const r = (await influxQl(url(), 'SELECT * FROM /.*/ GROUP BY *', db)) as {
      results: { series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[] }[];
    };
    return (r.results[0].series ?? [])
      .flatMap((s) =>
        s.values.map((v) => ({
          m: s.name,
          tags: s.tags ?? {},
          row: Object.fromEntries(s.columns.map((c, i) => [c, v[i]]).filter(([, x]) => x !== null)),
        })),
      )
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  }

  async function write(db: string, lines: string[]): Promise<void> {
    const res = await fetch(`${url()}/write?db=${db}&precision=ns`, { method: 'POST', body: lines.join('\n') });
    if (res.status !== 204) throw new Error(`write: ${res.status} ${await res.text()}`);
  }

  const LINES = Array.from(
    { length: 300 },
    (_, i) =>
      [
        `lsst.sal.ATDome_position,salIndex=${i % 3} azimuth=${(i * 1.25).toFixed(2)},moving=${i % 2 === 0},n=${i}i ${1_700_000_000_000_000_000n + BigInt(i) * 1_000_000_000n}`,
      ][0],
  ).concat(['lsst.sal.ATDome_logevent_heartbeat,salIndex=0 heartbeat=true,note="fine" 1700000000123456789']);

  describe.each(['s3', 'gcs'] as const)('to and from %s', (kind) => {
    it('backs up, the database is dropped, the restore brings back the same points', async () => {
      const db = ns.database;
      const target = `${db}_${kind}`;
      extraDbs.push(target);
      await influxQl(url(), `CREATE DATABASE "${target}"`);
      await write(target, LINES);
      const before = await points(target);
      expect(before).toHaveLength(301);

      const bucket = bucketName(kind);
      await makeBucket(kind, bucket);
      const to = `${kind === 's3' ? 's3' : 'gs'}://${bucket}/influxdb-backup/`;
      const endpoint = ['--endpoint', kind === 's3' ? stores!.s3.endpoint : stores!.gcs.endpoint];
      const backup = await runJson<BackupResult>(kind, 'influxdb', 'backup', '--to', to, '--database', target, ...endpoint, ...base);
      expect(backup.files).toBeGreaterThanOrEqual(3); // manifest, meta, one shard at least
      expect(backup.url).toBe(`${to}${backup.stamp}/`);

      // over the existing database: refused without --newdb/--force, nothing changed
      const refused = await run(kind, 'influxdb', 'restore', '--from', to, ...endpoint, ...base);
      expect(refused.code).toBe(EXIT.badInput);
      expect(refused.output).toContain(
        `database ${target} exists on ${url()}: restore under another name with --newdb <name>, or merge into it with --force; nothing was changed`,
      );
      expect(await points(target)).toEqual(before);

      await influxQl(url(), `DROP DATABASE "${target}"`);
      expect(await points(target).catch((e: Error) => e.message)).toMatch(/database not found/);
      const restored = await runJson<RestoreResult>(kind, 'influxdb', 'restore', '--from', backup.url, ...endpoint, ...base);
      expect(restored).toMatchObject({ database: target, into: target });
      expect(await points(target)).toEqual(before);

      // --newdb: a second copy beside it; --force: merged into an existing database (a point added there stays)
      const copy = `${target}_copy`;
      extraDbs.push(copy);
      await runJson(kind, 'influxdb', 'restore', '--from', to, '--newdb', copy, ...endpoint, ...base);
      expect(await points(copy)).toEqual(before);
      await influxQl(url(), `DELETE FROM "lsst.sal.ATDome_position" WHERE "salIndex" = '1'`, copy);
      await write(copy, ['extra,salIndex=9 v=1 1700000000000000000']);
      const merged = await runJson<RestoreResult>(
        kind,
        'influxdb',
        'restore',
        '--from',
        to,
        '--newdb',
        copy,
        '--force',
        ...endpoint,
        ...base,
      );
      expect(merged.merged).toEqual({ autogen: 301 });
      const after = await points(copy);
      expect(after).toHaveLength(302);
      expect(after).toEqual(expect.arrayContaining(before as unknown[]));
    });
  });

  it('refuses a backup target or a restore source that does not exist, changing nothing', async () => {
    const endpoint = ['--endpoint', stores.s3.endpoint];
    const missing = `s3://efd-bk-missing-${ns.id.toLowerCase().replace(/[^a-z0-9]/g, '-')}/influxdb-backup/`;
    const r = await efd('influxdb', 'backup', '--to', missing, '--database', ns.database, ...endpoint, ...base);
    expect(r.code).toBe(EXIT.badInput);
    expect(r.output).toContain(`${missing}: the bucket cannot be listed (it does not exist)`);

    const bucket = bucketName('empty');
    await makeBucket('s3', bucket);
    const none = await efd('influxdb', 'restore', '--from', `s3://${bucket}/influxdb-backup/`, '--newdb', 'never', ...endpoint, ...base);
    expect(none.code).toBe(EXIT.badInput);
    expect(none.output).toContain(`--from s3://${bucket}/influxdb-backup/: no backup there`);
    const dir = await efd('influxdb', 'restore', '--from', ns.tmpDir, '--newdb', 'never', ...base);
    expect(dir.code).toBe(EXIT.badInput);
    expect(dir.output).toContain(`--from ${ns.tmpDir}: no portable InfluxDB backup there`);
    const dbs = (await influxQl(url(), 'SHOW DATABASES')) as { results: { series: { values: string[][] }[] }[] };
    expect(dbs.results[0].series[0].values.flat()).not.toContain('never');
  });
}
