/**
 * Applies retention tiers to a real InfluxDB 1.8 over its HTTP API (POST /query, form fields
 * `q` and `db`): reads the server's state, plans the minimal InfluxQL (influxql.ts), runs it one
 * statement at a time, then reads the state again to check nothing is left to do. Re-running it
 * is safe: a server that already matches gets no statement at all.
 *
 * Credentials come from INFLUXDB_USER / INFLUXDB_PASSWORD (or user:password in the URL) and are
 * sent as HTTP basic auth; they never appear in a message.
 */
import type { RetentionTier } from '../../config/schema';
import {
  parseContinuousQueries,
  parseDatabases,
  parseRetentionPolicies,
  planStatements,
  quoteIdent,
  SeriesJson,
  ServerState,
  Statement,
} from './influxql';

/** Where InfluxDB is and how to authenticate. `url` carries no credentials (safe to print). */
export interface InfluxConnection {
  url: string;
  username?: string;
  password?: string;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
}

/**
 * A connection for `url`, with credentials from the environment (INFLUXDB_USER,
 * INFLUXDB_PASSWORD) or from `user:password@` in the URL, which is stripped from `url`.
 */
export function connectionFor(url: string, env: NodeJS.ProcessEnv = process.env): InfluxConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--url "${url}" is not a URL: expected e.g. http://influxdb.influxdb:8086`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Error(
      `--url "${parsed.origin}${parsed.pathname}" must be http:// or https:// (the InfluxDB 1.8 HTTP API, port 8086 by default)`,
    );
  }
  const username = env.INFLUXDB_USER || decodeURIComponent(parsed.username) || undefined;
  const password = env.INFLUXDB_PASSWORD || decodeURIComponent(parsed.password) || undefined;
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString().replace(/\/+$/, ''), username, password };
}

/** One InfluxQL statement InfluxDB refused or could not be asked: names the URL, the statement and the server's words. */
export class InfluxQlError extends Error {
  constructor(
    readonly url: string,
    readonly statement: string,
    readonly serverMessage: string,
    readonly status?: number,
  ) {
    super(`InfluxQL \`${statement}\` on ${url} failed: ${serverMessage}`);
    this.name = 'InfluxQlError';
  }
}

/** One statement's result: its series, if any. */
export interface QueryResult {
  series?: SeriesJson[];
}

/** What to do about an HTTP status InfluxDB answers without a JSON error. */
function statusHint(status: number): string {
  if (status === 401 || status === 403)
    return `HTTP ${status}: authentication failed; set INFLUXDB_USER and INFLUXDB_PASSWORD to an admin user`;
  if (status === 404) return 'HTTP 404: no InfluxDB 1.x /query endpoint at this URL; check --url (InfluxDB 1.8, port 8086)';
  return `HTTP ${status}`;
}

/**
 * Runs one InfluxQL statement with POST /query (`db` when given) and returns its result.
 * Throws InfluxQlError with the server's error text, an HTTP status, or why it was unreachable.
 */
export async function influxQuery(conn: InfluxConnection, statement: string, db?: string): Promise<QueryResult> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (conn.username !== undefined || conn.password !== undefined) {
    headers.Authorization = `Basic ${Buffer.from(`${conn.username ?? ''}:${conn.password ?? ''}`).toString('base64')}`;
  }
  const body = new URLSearchParams({ q: statement, ...(db ? { db } : {}) });
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${conn.url}/query`, { method: 'POST', headers, body, signal: AbortSignal.timeout(conn.timeoutMs ?? 30_000) });
    text = await res.text();
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why =
      e.name === 'TimeoutError'
        ? `no answer within ${(conn.timeoutMs ?? 30_000) / 1000} s`
        : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new InfluxQlError(
      conn.url,
      statement,
      `cannot reach InfluxDB (${why}); check --url and that InfluxDB is running (GET ${conn.url}/ping answers 204)`,
    );
  }
  let json: { error?: string; results?: (QueryResult & { error?: string })[] } | undefined;
  try {
    json = JSON.parse(text) as typeof json;
  } catch {
    json = undefined;
  }
  const serverError = json?.error ?? json?.results?.find((r) => r.error)?.error;
  if (serverError) throw new InfluxQlError(conn.url, statement, serverError, res.status);
  if (!res.ok || !json) {
    const snippet = text.trim().slice(0, 200);
    throw new InfluxQlError(conn.url, statement, `${statusHint(res.status)}${snippet ? ` (body: ${snippet})` : ''}`, res.status);
  }
  return json.results?.[0] ?? {};
}

/** Reads what the server has for `database`: whether it exists, its RPs, its CQs. */
export async function readServerState(conn: InfluxConnection, database: string): Promise<ServerState> {
  const databases = parseDatabases((await influxQuery(conn, 'SHOW DATABASES')).series ?? []);
  if (!databases.includes(database)) return { databaseExists: false, retentionPolicies: [], continuousQueries: [] };
  const rps = await influxQuery(conn, `SHOW RETENTION POLICIES ON ${quoteIdent(database)}`);
  const cqs = await influxQuery(conn, 'SHOW CONTINUOUS QUERIES');
  return {
    databaseExists: true,
    retentionPolicies: parseRetentionPolicies(rps.series ?? []),
    continuousQueries: parseContinuousQueries(cqs.series ?? [], database),
  };
}

/** A statement of a plan failed: what ran before it, what did not run, and the server's error. */
export class ApplyError extends Error {
  constructor(
    readonly database: string,
    readonly failed: Statement,
    readonly applied: string[],
    readonly notApplied: string[],
    readonly influxError: InfluxQlError,
  ) {
    super(
      `influxdb-init: statement ${applied.length + 1} of ${applied.length + 1 + notApplied.length} failed on database "${database}" at ${influxError.url}:\n` +
        `  ${failed.influxql}\n` +
        `InfluxDB said: ${influxError.serverMessage}\n` +
        (applied.length ? `Already applied (kept):\n${applied.map((s) => `  ${s}`).join('\n')}\n` : 'Nothing was applied before it.\n') +
        (notApplied.length ? `Not applied:\n${notApplied.map((s) => `  ${s}`).join('\n')}\n` : '') +
        "Fix the cause and run influxdb-init again: it plans from the server's state, so it carries on where this stopped.",
    );
    this.name = 'ApplyError';
  }
}

/** The outcome of applyRetention. `applied` is empty on a dry run. */
export interface ApplyResult {
  plan: Statement[];
  applied: string[];
  /** True when the server already matched the tiers (empty plan). */
  unchanged: boolean;
}

export interface ApplyOptions {
  /** Plan only: read the server's state, execute nothing. */
  dryRun?: boolean;
  /** Progress lines (one per statement run). */
  log?: (line: string) => void;
}

/** Runs `plan` in order; stops at the first failure with an ApplyError. Returns the statements run. */
export async function executePlan(
  conn: InfluxConnection,
  database: string,
  plan: Statement[],
  log?: (line: string) => void,
): Promise<string[]> {
  const applied: string[] = [];
  for (const [i, statement] of plan.entries()) {
    try {
      await influxQuery(conn, statement.influxql, database);
    } catch (err) {
      if (!(err instanceof InfluxQlError)) throw err;
      throw new ApplyError(
        database,
        statement,
        applied,
        plan.slice(i + 1).map((s) => s.influxql),
        err,
      );
    }
    applied.push(statement.influxql);
    log?.(`applied: ${statement.influxql}`);
  }
  return applied;
}

/**
 * Brings `database` on the server to `tiers`: read state, plan, execute, then re-read and
 * re-plan to prove the server converged (a non-empty second plan is an error naming what is left).
 */
export async function applyRetention(
  conn: InfluxConnection,
  database: string,
  tiers: RetentionTier[],
  opts: ApplyOptions = {},
): Promise<ApplyResult> {
  const plan = planStatements(database, tiers, await readServerState(conn, database));
  if (opts.dryRun || plan.length === 0) return { plan, applied: [], unchanged: plan.length === 0 };
  const applied = await executePlan(conn, database, plan, opts.log);
  const left = planStatements(database, tiers, await readServerState(conn, database));
  if (left.length > 0) {
    throw new Error(
      `influxdb-init: database "${database}" at ${conn.url} still differs from the tiers after applying ${applied.length} statement(s); ` +
        `InfluxDB accepted them but did not keep the values. Still to do:\n${left.map((s) => `  ${s.influxql}  (${s.reason})`).join('\n')}`,
    );
  }
  return { plan, applied, unchanged: false };
}

/** The plan as lines for --dry-run and logs. */
export function formatPlan(database: string, url: string, plan: Statement[]): string[] {
  if (plan.length === 0) return [`influxdb-init: database "${database}" at ${url} already matches the tiers; nothing to do`];
  return [
    `influxdb-init: ${plan.length} statement(s) for database "${database}" at ${url}:`,
    ...plan.flatMap((s, i) => [`  ${i + 1}. ${s.kind} ${s.target}: ${s.reason}`, `     ${s.influxql}`]),
  ];
}
