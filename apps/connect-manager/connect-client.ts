/**
 * Kafka Connect REST client (the subset the manager and the tests use). Every failure becomes a
 * {@link ConnectError} carrying the worker's own message (`{"error_code", "message"}` bodies), the
 * method and path, so the operator sees what the worker said. 409 (rebalance in progress) and
 * unreachable workers are retried a few times with backoff.
 */
import { jsonBody } from '../lib/http';
import { retry } from '../lib/retry';

export type ConnectorConfig = Record<string, string>;

export interface ConnectorInfo {
  name: string;
  config: ConnectorConfig;
  tasks: { connector: string; task: number }[];
  type?: 'sink' | 'source' | 'unknown';
}

export interface TaskState {
  id: number;
  state: 'RUNNING' | 'FAILED' | 'PAUSED' | 'UNASSIGNED' | 'RESTARTING' | 'STOPPED' | string;
  worker_id: string;
  trace?: string;
}

export interface ConnectorStatus {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: TaskState[];
  type?: string;
}

export interface ValidationResult {
  name: string;
  error_count: number;
  configs: { definition?: { name: string }; value: { name: string; value: string | null; errors: string[] } }[];
}

/** A Kafka Connect REST call that failed; `message` includes the worker's message. */
export class ConnectError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly workerMessage?: string,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

export interface ConnectClientOptions {
  /** Attempts for transient failures (unreachable, 409 rebalance, 5xx); default 4. */
  attempts?: number;
  /** First retry delay, doubled each time; default 500 ms. */
  retryDelayMs?: number;
  /** Per-request timeout; default 30 s (validation of a big config can be slow). */
  timeoutMs?: number;
}

/** A failure worth another attempt (unreachable, 409, gateway errors, rebalancing). */
class Transient {
  constructor(readonly error: ConnectError) {}
}

export class ConnectClient {
  readonly url: string;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;

  constructor(url: string, opts: ConnectClientOptions = {}) {
    if (!/^https?:\/\/[^/]+/.test(url)) throw new ConnectError(`Kafka Connect URL "${url}" is not http(s)://host:port`);
    this.url = url.replace(/\/+$/, '');
    this.attempts = opts.attempts ?? 4;
    this.retryDelayMs = opts.retryDelayMs ?? 500;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const attempt = async (): Promise<{ status: number; body: T }> => {
      let res: Response;
      try {
        res = await fetch(`${this.url}${path}`, {
          method,
          headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (err) {
        const e = err as Error & { cause?: { code?: string; message?: string } };
        const why = e.cause?.code ?? e.cause?.message ?? e.message;
        throw new Transient(
          new ConnectError(`Kafka Connect at ${this.url} is unreachable (${method} ${path}: ${why}); check --connect-url / CONNECT_URL`),
        );
      }
      const text = await res.text();
      const json = jsonBody(text);
      if (res.ok) return { status: res.status, body: json as T };
      const workerMessage = (json as { message?: string } | undefined)?.message ?? (text.slice(0, 500) || res.statusText);
      // 409, gateway errors, and a worker answering 500 while its group rebalances ("a rebalance is expected"
      // / "in progress") are transient: the same request succeeds once the group settled.
      const rebalancing = res.status === 500 && /rebalance/i.test(workerMessage);
      const transient = res.status === 409 || res.status === 502 || res.status === 503 || res.status === 504 || rebalancing;
      const error = new ConnectError(
        `Kafka Connect ${method} ${path} failed: HTTP ${res.status}: ${workerMessage}`,
        res.status,
        workerMessage,
      );
      throw transient ? new Transient(error) : error;
    };
    return retry(attempt, { attempts: this.attempts, initialDelayMs: this.retryDelayMs }, (err, { last }) => {
      if (err instanceof Transient) {
        if (last) throw err.error;
        return;
      }
      throw err;
    });
  }

  private static enc(name: string): string {
    return encodeURIComponent(name);
  }

  /** Worker version info (`GET /`). */
  async version(): Promise<{ version: string; commit: string; kafka_cluster_id: string }> {
    return (await this.request<{ version: string; commit: string; kafka_cluster_id: string }>('GET', '/')).body;
  }

  async connectorNames(): Promise<string[]> {
    return (await this.request<string[]>('GET', '/connectors')).body.sort();
  }

  /** Every connector with its config (one request, `?expand=info`). */
  async connectors(): Promise<Map<string, ConnectorInfo>> {
    const r = await this.request<Record<string, { info: ConnectorInfo }>>('GET', '/connectors?expand=info');
    return new Map(Object.entries(r.body ?? {}).map(([name, v]) => [name, v.info]));
  }

  /** Every connector's status (one request, `?expand=status`). */
  async statuses(): Promise<Map<string, ConnectorStatus>> {
    const r = await this.request<Record<string, { status: ConnectorStatus }>>('GET', '/connectors?expand=status');
    return new Map(Object.entries(r.body ?? {}).map(([name, v]) => [name, v.status]));
  }

  async config(name: string): Promise<ConnectorConfig | undefined> {
    try {
      return (await this.request<ConnectorConfig>('GET', `/connectors/${ConnectClient.enc(name)}/config`)).body;
    } catch (err) {
      if (err instanceof ConnectError && err.status === 404) return undefined;
      throw err;
    }
  }

  async status(name: string): Promise<ConnectorStatus | undefined> {
    try {
      return (await this.request<ConnectorStatus>('GET', `/connectors/${ConnectClient.enc(name)}/status`)).body;
    } catch (err) {
      if (err instanceof ConnectError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** Creates or updates (idempotent PUT); true when the connector was created. */
  async putConfig(name: string, config: ConnectorConfig): Promise<boolean> {
    const r = await this.request<ConnectorInfo>('PUT', `/connectors/${ConnectClient.enc(name)}/config`, config);
    return r.status === 201;
  }

  async delete(name: string): Promise<void> {
    await this.request('DELETE', `/connectors/${ConnectClient.enc(name)}`);
  }

  async restartConnector(name: string): Promise<void> {
    await this.request('POST', `/connectors/${ConnectClient.enc(name)}/restart`);
  }

  async restartTask(name: string, task: number): Promise<void> {
    await this.request('POST', `/connectors/${ConnectClient.enc(name)}/tasks/${task}/restart`);
  }

  async plugins(): Promise<{ class: string; type: string; version?: string }[]> {
    return (await this.request<{ class: string; type: string; version?: string }[]>('GET', '/connector-plugins')).body;
  }

  /** `PUT /connector-plugins/<class>/config/validate`: the worker's verdict on a config. */
  async validate(config: ConnectorConfig): Promise<ValidationResult> {
    const cls = config['connector.class'];
    if (!cls) throw new ConnectError('cannot validate a config without connector.class');
    return (await this.request<ValidationResult>('PUT', `/connector-plugins/${ConnectClient.enc(cls)}/config/validate`, config)).body;
  }
}

/** `key: error` lines of a validation result (empty when the worker found none). */
export function validationErrors(r: ValidationResult): string[] {
  return r.configs.flatMap((c) => c.value.errors.map((e) => `${c.value.name}: ${e}`));
}
