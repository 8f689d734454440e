/**
 * `efd influxdb backup|restore` — InfluxDB backups in an object store (./backup.ts).
 *
 *   efd influxdb backup  --to s3://bucket/influxdb-backup/ [--database efd] [--retention-days 14] [--from-dir d]
 *   efd influxdb restore --from s3://bucket/influxdb-backup/[<stamp>/] | <dir> [--database d] [--newdb n] [--force]
 *
 * InfluxDB: `--url` (HTTP API; default $INFLUXDB_URL, else the local EFD's), `--rpc` host:port of its backup
 * service (default: the URL's host, port 8088); credentials from $INFLUXDB_USER/$INFLUXDB_PASSWORD. `influxd`
 * from `--influxd` ($INFLUXD, default on PATH). Object store: `--endpoint` for an S3-compatible server or the
 * GCS emulator, `--region`; S3 credentials from the AWS default chain, GCS from application default credentials.
 */
import * as fs from 'node:fs';
import { Command } from 'commander';
import { BadInputError, UsageError } from '../lib/exit-codes';
import { readEndpoints } from '../lib/local-endpoints';
import { bucketUrlFlag, openBucket } from '../lib/object-store';
import { CliOutput, stdio } from '../lib/cli-output';
import { connectionFor } from './apply';
import { backupToBucket, restoreBackup } from './backup';

interface Common {
  url?: string;
  rpc?: string;
  influxd?: string;
  endpoint?: string;
  region?: string;
  json?: boolean;
}

function influx(flags: Common) {
  const url = flags.url ?? process.env.INFLUXDB_URL ?? readEndpoints().influxdb.url;
  const conn = connectionFor(url);
  const rpc = flags.rpc ?? `${new URL(conn.url).hostname}:8088`;
  return { conn, rpc, influxd: flags.influxd ?? process.env.INFLUXD ?? 'influxd' };
}

function days(v: string | undefined): number {
  if (v === undefined) return 0;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--retention-days ${v}: expected a whole number of days ≥ 0`);
  return n;
}

/** A bucket that does not answer as one (missing, no access) is bad input, named, before anything is written. */
async function checkBucket(bucket: ReturnType<typeof openBucket>, prefix: string): Promise<void> {
  try {
    await bucket.list(prefix);
  } catch (err) {
    const e = err as { name?: string; code?: number | string; message?: string };
    throw new BadInputError(
      `${bucket.url}: the bucket cannot be listed (${e.name === 'NoSuchBucket' || e.code === 404 ? 'it does not exist' : (e.message ?? String(err)).split('\n')[0]}); ` +
        'create it or fix --to/--from, --endpoint and the credentials; nothing was changed',
      { cause: err },
    );
  }
}

const common = (cmd: Command) =>
  cmd
    .option('--url <url>', 'InfluxDB HTTP API (default $INFLUXDB_URL, else the local EFD)')
    .option('--rpc <host:port>', "InfluxDB's backup/restore service (default: the --url host, port 8088)")
    .option('--influxd <path>', 'the influxd binary (default $INFLUXD, else influxd on PATH)')
    .option('--endpoint <url>', 'S3-compatible server or GCS emulator')
    .option('--region <region>', 'S3 region (default us-east-1)')
    .option('--json', 'print JSON');

export function registerInfluxdbBackupCommand(program: Command, io: CliOutput = stdio): Command {
  const group = program.command('influxdb').description('InfluxDB backups: back up to an object store, restore from one');
  common(group.command('backup'))
    .description('influxd backup -portable of a database, uploaded to <to>/<stamp>/; backups older than --retention-days deleted')
    .requiredOption('--to <url>', 's3://<bucket>/<folder> or gs://<bucket>/<folder>')
    .option('--database <db>', 'database to back up', 'efd')
    .option('--retention-days <n>', 'delete backups older than this (default 0: keep all)')
    .option('--from-dir <dir>', 'upload this portable backup folder instead of running influxd backup here')
    .action(async (flags: Common & { to: string; database: string; retentionDays?: string; fromDir?: string }) => {
      const location = bucketUrlFlag('--to', flags.to);
      const retentionDays = days(flags.retentionDays);
      const { rpc, influxd } = influx(flags);
      const bucket = openBucket(location, { endpoint: flags.endpoint, region: flags.region });
      await checkBucket(bucket, location.prefix);
      const r = await backupToBucket({ influxd, rpc, database: flags.database, fromDir: flags.fromDir, bucket, location, retentionDays });
      if (flags.json) io.out(JSON.stringify(r, null, 2));
      else {
        io.out(`backed up ${flags.database} to ${r.url}: ${r.files} file(s), ${r.bytes} bytes`);
        if (r.deleted.length) io.out(`deleted backups older than ${retentionDays} d: ${r.deleted.join(', ')}`);
      }
    });
  common(group.command('restore'))
    .description('restore a portable backup (a bucket folder or a local one); refuses an existing database without --newdb/--force')
    .requiredOption('--from <url-or-dir>', 's3://…/<stamp>/, gs://…, the backups folder (its newest), or a local folder')
    .option('--database <db>', "the database in the backup (default: the backup's only one)")
    .option('--newdb <name>', 'restore under this name')
    .option('--force', 'merge into the database when it exists (restored aside, copied in with SELECT INTO, then dropped)')
    .action(async (flags: Common & { from: string; database?: string; newdb?: string; force?: boolean }) => {
      const { conn, rpc, influxd } = influx(flags);
      let from: Parameters<typeof restoreBackup>[0]['from'];
      if (/^(s3|gs):\/\//.test(flags.from)) {
        const location = bucketUrlFlag('--from', flags.from);
        const bucket = openBucket(location, { endpoint: flags.endpoint, region: flags.region });
        await checkBucket(bucket, location.prefix);
        from = { bucket, location };
      } else {
        if (!fs.existsSync(flags.from)) throw new BadInputError(`--from ${flags.from}: no such folder; nothing was changed`);
        from = { dir: flags.from };
      }
      const r = await restoreBackup({ influxd, rpc, conn, from, database: flags.database, newdb: flags.newdb, force: flags.force });
      if (flags.json) io.out(JSON.stringify(r, null, 2));
      else
        io.out(
          `restored ${r.database} from ${r.from} into ${r.into}` +
            (r.merged
              ? ` (merged: ${Object.entries(r.merged)
                  .map(([rp, n]) => `${rp} ${n} point(s)`)
                  .join(', ')})`
              : ''),
        );
    });
  return group;
}
