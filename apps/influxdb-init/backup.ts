/**
 * InfluxDB backups in the site's object store, and restore from them.
 *
 * Backup (`efd influxdb backup`, the site's backup CronJob): `influxd backup -portable` of a database
 * into a folder (or a folder another container filled with it), its files uploaded to
 * `<to>/<stamp>/` (stamp = UTC `YYYYMMDDTHHMMSSZ`), then backups older than the retention deleted.
 *
 * Restore (`efd influxdb restore --from <backup>`): the backup's files (an object-store folder or a local
 * one) downloaded and checked first: a `--from` with no portable backup in it, or a target database that
 * exists without `--newdb`/`--force`, is refused before anything is changed. `influxd restore -portable`
 * restores into a database that does not exist; with `--force` into an existing one it restores into a
 * temporary database, copies every retention policy's points into the target with `SELECT * INTO … GROUP BY *`
 * (InfluxDB's documented way, existing points with the same time and tags are overwritten), then drops the
 * temporary database.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BadInputError } from '../lib/exit-codes';
import { sleep } from '../lib/retry';
import type { Bucket, BucketLocation } from '../lib/object-store';
import { InfluxConnection, influxQuery } from './apply';
import { quoteIdent } from './influxql';

/** UTC `YYYYMMDDTHHMMSSZ` of `ms` (sorts in time order). */
export function backupStamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

const STAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export function stampMs(stamp: string): number | undefined {
  const m = STAMP.exec(stamp);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : undefined;
}

/** Runs influxd (backup/restore); rejects with its output when it exits non-zero. */
export function runInfluxd(influxd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(influxd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) => reject(new Error(`${influxd} ${args[0]}: cannot run it (${err.message})`)));
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`influxd ${args.join(' ')} exited ${code}:\n${out.trim().split('\n').slice(-5).join('\n')}`)),
    );
  });
}

export interface BackupOptions {
  influxd: string;
  /** InfluxDB's RPC address (host:8088). */
  rpc: string;
  database: string;
  /** A folder `influxd backup -portable` already filled (the CronJob's backup container); else it runs here. */
  fromDir?: string;
  bucket: Bucket;
  location: BucketLocation;
  /** Backups older than this many days are deleted after the upload (0: none). */
  retentionDays: number;
  nowMs?: number;
}

export interface BackupResult {
  stamp: string;
  /** `<url><stamp>/` */
  url: string;
  files: number;
  bytes: number;
  deleted: string[];
}

/** The portable backup's manifest in `dir`, or undefined. */
function manifestIn(dir: string): string | undefined {
  return fs.existsSync(dir) ? fs.readdirSync(dir).find((f) => f.endsWith('.manifest')) : undefined;
}

export async function backupToBucket(o: BackupOptions): Promise<BackupResult> {
  const now = o.nowMs ?? Date.now();
  const stamp = backupStamp(now);
  let dir = o.fromDir;
  let scratch: string | undefined;
  if (!dir) {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-influx-backup-'));
    dir = path.join(scratch, stamp);
    await runInfluxd(o.influxd, ['backup', '-portable', '-host', o.rpc, '-db', o.database, dir]);
  }
  try {
    if (!manifestIn(dir)) throw new BadInputError(`${dir}: no portable InfluxDB backup in it (no *.manifest file)`);
    const files = fs.readdirSync(dir).sort();
    let bytes = 0;
    for (const f of files) {
      const body = fs.readFileSync(path.join(dir, f));
      bytes += body.length;
      await o.bucket.put(`${o.location.prefix}${stamp}/${f}`, body);
    }
    const deleted = o.retentionDays > 0 ? await pruneBackups(o.bucket, o.location, o.retentionDays, now) : [];
    return { stamp, url: `${o.bucket.url}${stamp}/`, files: files.length, bytes, deleted };
  } finally {
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** The backups under the location (their stamps), oldest first. */
export async function listBackups(bucket: Bucket, loc: BucketLocation): Promise<string[]> {
  const stamps = new Set<string>();
  for (const key of await bucket.list(loc.prefix)) {
    const stamp = key.slice(loc.prefix.length).split('/')[0];
    if (stampMs(stamp) !== undefined) stamps.add(stamp);
  }
  return [...stamps].sort();
}

/** Deletes the backups older than `days` (never the newest one); returns their stamps. */
export async function pruneBackups(bucket: Bucket, loc: BucketLocation, days: number, nowMs: number): Promise<string[]> {
  const stamps = await listBackups(bucket, loc);
  const old = stamps.slice(0, -1).filter((s) => (stampMs(s) as number) < nowMs - days * 86_400_000);
  for (const s of old) await bucket.delete(await bucket.list(`${loc.prefix}${s}/`));
  return old;
}

export interface RestoreOptions {
  influxd: string;
  rpc: string;
  conn: InfluxConnection;
  /** A local folder with a portable backup, or a bucket folder (`…/<stamp>/`, or the backups' folder: the newest). */
  from: { dir: string } | { bucket: Bucket; location: BucketLocation };
  /** The database in the backup. @default the backup's only database */
  database?: string;
  /** Restore under this name instead. */
  newdb?: string;
  /** Restore into an existing database (merging into it). */
  force?: boolean;
  /** Where downloaded files go. @default a temporary folder */
  workDir?: string;
}

export interface RestoreResult {
  database: string;
  into: string;
  /** Where the backup came from (folder or URL). */
  from: string;
  /** Points copied into an existing database (--force), per retention policy. */
  merged?: Record<string, number>;
}

interface Manifest {
  files: { database: string; policy: string; shardID: number; fileName: string }[];
}

async function fetchBackup(from: RestoreOptions['from'], into: string): Promise<{ dir: string; described: string }> {
  if ('dir' in from) {
    if (!manifestIn(from.dir))
      throw new BadInputError(`--from ${from.dir}: no portable InfluxDB backup there (no *.manifest file); nothing was changed`);
    return { dir: from.dir, described: from.dir };
  }
  const { bucket, location } = from;
  let prefix = location.prefix;
  const last = prefix.split('/').filter(Boolean).pop() ?? '';
  if (stampMs(last) === undefined) {
    const stamps = await listBackups(bucket, location);
    if (!stamps.length)
      throw new BadInputError(`--from ${bucket.url}: no backup there (no <YYYYMMDDTHHMMSSZ>/ folder with a manifest); nothing was changed`);
    prefix = `${prefix}${stamps[stamps.length - 1]}/`;
  }
  const keys = await bucket.list(prefix);
  if (!keys.some((k) => k.endsWith('.manifest')))
    throw new BadInputError(`--from ${bucket.url}: no portable InfluxDB backup at ${prefix} (no *.manifest object); nothing was changed`);
  const dir = path.join(into, 'backup');
  fs.mkdirSync(dir, { recursive: true });
  for (const k of keys) fs.writeFileSync(path.join(dir, path.basename(k)), await bucket.get(k));
  return { dir, described: `${bucket.url.slice(0, bucket.url.length - location.prefix.length)}${prefix}` };
}

/**
 * Waits until InfluxDB serves the restored database: it opens the restored shards after `influxd restore`
 * returns, answering "engine is closed" or too few points meanwhile (seen on 1.8.10). Settled = two equal
 * answers of `SELECT count(*) FROM /.*\/` in a row, half a second apart (at most `timeoutMs`).
 */
async function settled(conn: InfluxConnection, db: string, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  let last: string | undefined;
  for (;;) {
    let now: string | undefined;
    try {
      now = JSON.stringify((await influxQuery(conn, 'SELECT count(*) FROM /.*/', db)).series ?? []);
    } catch (err) {
      if (!/engine is closed/.test((err as Error).message)) throw err;
    }
    if (now !== undefined && now === last) return;
    last = now;
    if (Date.now() - t0 > timeoutMs) throw new Error(`the restored database ${db} did not settle within ${timeoutMs / 1000} s`);
    await sleep(500);
  }
}

async function databases(conn: InfluxConnection): Promise<string[]> {
  const r = await influxQuery(conn, 'SHOW DATABASES');
  return (r.series?.[0]?.values ?? []).map((v) => String(v[0]));
}

export async function restoreBackup(o: RestoreOptions): Promise<RestoreResult> {
  const work = o.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'efd-influx-restore-'));
  try {
    const { dir, described } = await fetchBackup(o.from, work);
    const manifestFile = manifestIn(dir) as string;
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, manifestFile), 'utf8')) as Manifest;
    const inBackup = [...new Set(manifest.files.map((f) => f.database))].sort();
    const database = o.database ?? (inBackup.length === 1 ? inBackup[0] : undefined);
    if (!database)
      throw new BadInputError(`--from ${described}: the backup holds databases ${inBackup.join(', ')}; choose one with --database`);
    if (!inBackup.includes(database))
      throw new BadInputError(`--database ${database}: not in the backup at ${described} (it holds ${inBackup.join(', ') || 'no shards'})`);
    const target = o.newdb ?? database;
    const exists = (await databases(o.conn)).includes(target);
    if (exists && !o.force)
      throw new BadInputError(
        `database ${target} exists on ${o.conn.url}: restore under another name with --newdb <name>, or merge into it with --force; nothing was changed`,
      );
    if (!exists) {
      await runInfluxd(o.influxd, ['restore', '-portable', '-host', o.rpc, '-db', database, '-newdb', target, dir]);
      await settled(o.conn, target);
      return { database, into: target, from: described };
    }
    // --force into an existing database: a temporary one, copied over per retention policy, dropped
    const temp = `${target}_restore_${Date.now()}`;
    await runInfluxd(o.influxd, ['restore', '-portable', '-host', o.rpc, '-db', database, '-newdb', temp, dir]);
    const merged: Record<string, number> = {};
    try {
      await settled(o.conn, temp);
      const rps = await influxQuery(o.conn, `SHOW RETENTION POLICIES ON ${quoteIdent(temp)}`);
      const have = new Set(
        ((await influxQuery(o.conn, `SHOW RETENTION POLICIES ON ${quoteIdent(target)}`)).series?.[0]?.values ?? []).map((v) =>
          String(v[0]),
        ),
      );
      for (const [name, duration, shardDuration, replicaN] of rps.series?.[0]?.values ?? []) {
        const rp = String(name);
        if (!have.has(rp))
          await influxQuery(
            o.conn,
            `CREATE RETENTION POLICY ${quoteIdent(rp)} ON ${quoteIdent(target)} DURATION ${String(duration)} REPLICATION ${String(replicaN)} SHARD DURATION ${String(shardDuration)}`,
          );
        const r = await influxQuery(
          o.conn,
          `SELECT * INTO ${quoteIdent(target)}.${quoteIdent(rp)}.:MEASUREMENT FROM ${quoteIdent(temp)}.${quoteIdent(rp)}./.*/ GROUP BY *`,
        );
        merged[rp] = Number(r.series?.[0]?.values?.[0]?.[1] ?? 0);
      }
    } finally {
      await influxQuery(o.conn, `DROP DATABASE ${quoteIdent(temp)}`);
    }
    return { database, into: target, from: described, merged };
  } finally {
    if (!o.workDir) fs.rmSync(work, { recursive: true, force: true });
  }
}
