/**
 * PostgreSQL of the local EFD: the database the JDBC long-term sink (Debezium JDBC sink) writes the
 * aggregated topics into. Debian's server build (`apt-get install -y postgresql`: `/usr/lib/postgresql/<n>/bin`;
 * `EFD_POSTGRES_BIN` names another bin dir), nothing downloaded into the cache. One cluster in
 * `<state>/data/postgres` (initdb on first start), TCP on 127.0.0.1 only (no Unix socket), password auth
 * (scram-sha-256) for user `efd`, database `efd`. PostgreSQL refuses to run as root: when the tools run as
 * root, initdb and the server run as the `postgres` system user the Debian package creates, which owns the
 * data dir.
 *
 * `local up` starts it as a server of the local EFD (fixed port, pid file, stack.ts); tests start the same
 * server on a free port in a folder of their own with {@link startPrivatePostgres}.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { HOST } from './layout';
import { EfdError } from './shell';
import { LocalProcess, freePort, launch, untilReady } from './replication';

/** Fixed port, database and credentials of the local EFD's PostgreSQL (loopback only; not secrets). */
export const POSTGRES = { port: 5434, database: 'efd', user: 'efd', password: 'efd-local' } as const;

export interface PostgresEndpoints {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** `jdbc:postgresql://127.0.0.1:<port>/<db>`, what a JDBC sink's connection.url takes. */
  jdbcUrl: string;
}

export const postgresEndpoints = (port: number = POSTGRES.port, database: string = POSTGRES.database): PostgresEndpoints => ({
  host: HOST,
  port,
  database,
  user: POSTGRES.user,
  password: POSTGRES.password,
  jdbcUrl: `jdbc:postgresql://${HOST}:${port}/${database}`,
});

const INSTALL_HINT =
  "install Debian's server package (`apt-get install -y postgresql`) or set EFD_POSTGRES_BIN to a bin dir with postgres and initdb";

/** The bin dir of the PostgreSQL server build: EFD_POSTGRES_BIN, else the newest /usr/lib/postgresql/<n>/bin. */
export function postgresBinDir(): string {
  const has = (d: string) => ['postgres', 'initdb'].every((b) => fs.existsSync(path.join(d, b)));
  const env = process.env.EFD_POSTGRES_BIN;
  if (env) {
    if (!has(env)) throw new EfdError(`EFD_POSTGRES_BIN=${env} has no postgres and initdb; ${INSTALL_HINT}`);
    return env;
  }
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => /^\d+$/.test(v) && has(path.join(root, v, 'bin')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length) throw new EfdError(`PostgreSQL server not found in ${root}/<version>/bin: ${INSTALL_HINT}`);
  return path.join(root, versions[0], 'bin');
}

/** Whether a PostgreSQL server build is there (else the local EFD runs without it and says how to add it). */
export function postgresInstalled(): boolean {
  try {
    postgresBinDir();
    return true;
  } catch {
    return false;
  }
}

/** What `local up` says when it is not there. */
export const POSTGRES_MISSING = `postgres: not started, no server build found (${INSTALL_HINT}); the JDBC sink tests need it`;

/** The user the server runs as: undefined (the current one) unless we are root, then `postgres`. */
export function postgresRunAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0 || g.status !== 0)
    throw new EfdError(
      "PostgreSQL refuses to run as root and there is no `postgres` user to run it as: install Debian's postgresql package (it creates the user) or run the local EFD as another user",
    );
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** Whether the user `ids` can enter every existing parent folder of `dir`. */
function parentsReachable(dir: string, ids: { uid: number; gid: number }): boolean {
  for (let d = path.dirname(path.resolve(dir)); ; d = path.dirname(d)) {
    if (fs.existsSync(d)) {
      const st = fs.statSync(d);
      const x = st.uid === ids.uid ? 0o100 : st.gid === ids.gid ? 0o010 : 0o001;
      if ((st.mode & x) === 0) return false;
    }
    if (d === path.dirname(d)) return true;
  }
}

/**
 * The data dir the server can reach: `dir`, unless the server runs as another user (`postgres`, when we
 * are root) who cannot enter one of its parent folders (a clone below a 0700 mktemp folder, a home
 * folder): then a folder under the system temp dir named by `dir`'s hash, so the same state dir always
 * finds its cluster again (`local up --fresh` wipes it too).
 */
export function reachableDataDir(dir: string): string {
  const ids = postgresRunAs();
  if (!ids || parentsReachable(dir, ids)) return dir;
  const hash = createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `efd-postgres-${hash}`, path.basename(dir));
}

function chownTree(dir: string, ids: { uid: number; gid: number } | undefined): void {
  if (!ids) return;
  fs.chownSync(dir, ids.uid, ids.gid);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) chownTree(p, ids);
    else fs.chownSync(p, ids.uid, ids.gid);
  }
}

export interface PostgresServerOptions {
  /** The cluster's data dir (initdb'ed on first start). */
  dataDir: string;
  port: number;
  /** initdb's output goes here. */
  logFile: string;
}

/** initdb once (skipped when `<dataDir>/PG_VERSION` exists): UTF8, user efd with its password, scram on TCP. */
export async function initPostgres(o: PostgresServerOptions): Promise<boolean> {
  if (fs.existsSync(path.join(o.dataDir, 'PG_VERSION'))) return false;
  const ids = postgresRunAs();
  fs.rmSync(o.dataDir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(o.dataDir), { recursive: true });
  fs.mkdirSync(o.dataDir, { mode: 0o700 });
  const pwfile = `${o.dataDir}.pw`;
  fs.writeFileSync(pwfile, `${POSTGRES.password}\n`, { mode: 0o600 });
  chownTree(o.dataDir, ids);
  if (ids) fs.chownSync(pwfile, ids.uid, ids.gid);
  fs.mkdirSync(path.dirname(o.logFile), { recursive: true });
  const out = fs.openSync(o.logFile, 'a');
  const args = [
    '-D',
    o.dataDir,
    '-U',
    POSTGRES.user,
    `--pwfile=${pwfile}`,
    '--auth-host=scram-sha-256',
    '--auth-local=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-instructions',
  ];
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(path.join(postgresBinDir(), 'initdb'), args, { stdio: ['ignore', out, out], cwd: '/', ...(ids ?? {}) });
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new EfdError(`PostgreSQL initdb of ${o.dataDir} failed (exit ${code}); see ${o.logFile}`);
  } finally {
    fs.closeSync(out);
    fs.rmSync(pwfile, { force: true });
  }
  return true;
}

/** The server's arguments: TCP on 127.0.0.1:<port> only, no Unix socket, small memory. */
export function postgresArgs(o: PostgresServerOptions): string[] {
  return [
    '-D',
    o.dataDir,
    '-p',
    String(o.port),
    '-c',
    `listen_addresses=${HOST}`,
    '-c',
    'unix_socket_directories=',
    '-c',
    'shared_buffers=64MB',
    '-c',
    'max_connections=40',
    // A local store for tests: a crash may lose the last commits, never corrupt the cluster.
    '-c',
    'synchronous_commit=off',
    '-c',
    'log_min_messages=warning',
    '-c',
    'log_min_error_statement=error',
  ];
}

const client = (port: number, database: string) =>
  new Client({ host: HOST, port, user: POSTGRES.user, password: POSTGRES.password, database, connectionTimeoutMillis: 2000 });

/** The server answers `SELECT 1` as user efd (database postgres: it exists before ours is created). */
export async function postgresReady(port: number): Promise<boolean> {
  const c = client(port, 'postgres');
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Creates `database` if missing (idempotent). */
export async function ensurePostgresDatabase(port: number, database: string = POSTGRES.database): Promise<void> {
  if (!/^[a-z_][a-z0-9_]*$/.test(database)) throw new EfdError(`PostgreSQL database name "${database}": expected [a-z_][a-z0-9_]*`);
  const c = client(port, 'postgres');
  await c.connect();
  try {
    const r = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (r.rowCount === 0) await c.query(`CREATE DATABASE ${database}`);
  } finally {
    await c.end();
  }
}

export interface PrivatePostgres extends LocalProcess {
  endpoints: PostgresEndpoints;
}

/**
 * A PostgreSQL of a test's own (the local EFD's server code on a free port, data and log in `dir`), for
 * a shared local EFD started before it had one; stopped by the handle.
 */
export async function startPrivatePostgres(o: { dir: string; name?: string; readyTimeoutMs?: number }): Promise<PrivatePostgres> {
  const name = o.name ?? 'postgres';
  const port = await freePort();
  const opts = { dataDir: reachableDataDir(path.join(o.dir, name, 'data')), port, logFile: path.join(o.dir, `${name}-initdb.log`) };
  fs.mkdirSync(o.dir, { recursive: true });
  // The server's user must reach its data dir (a mkdtemp folder is 0700).
  if (postgresRunAs()) fs.chmodSync(o.dir, 0o755);
  await initPostgres(opts);
  const ep = postgresEndpoints(port);
  const { child, handle } = launch(
    name,
    path.join(postgresBinDir(), 'postgres'),
    postgresArgs(opts),
    o.dir,
    ep.jdbcUrl,
    undefined,
    postgresRunAs(),
    'SIGINT',
  );
  await untilReady(handle, child, () => postgresReady(port), o.readyTimeoutMs ?? 60_000);
  await ensurePostgresDatabase(port);
  return { ...handle, endpoints: ep };
}
