/**
 * Prometheus metrics: one prom-client registry per app, served with a health probe on one port:
 * `GET /metrics` (Prometheus text), `GET /metrics.json` (prom-client's JSON of the same values, read by
 * the experiment runner), `GET /healthz` (200 `ok`, or 503 with the reason).
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** A fresh registry, with Node process metrics unless `defaultMetrics` is false. */
export function createMetricsRegistry(opts: { defaultMetrics?: boolean; labels?: Record<string, string> } = {}): Registry {
  const registry = new Registry();
  if (opts.labels) registry.setDefaultLabels(opts.labels);
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** `true`/`{ok:true}` = healthy; `false` or `{ok:false, reason}` = not. */
export type HealthCheck = () => boolean | { ok: boolean; reason?: string } | Promise<boolean | { ok: boolean; reason?: string }>;

export interface MetricsServerOptions {
  registry: Registry;
  /** 0 = a random free port. */
  port: number;
  host?: string;
  health?: HealthCheck;
}

export interface MetricsServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Starts the HTTP server; rejects with the port when it cannot listen. */
export function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'text/plain', 'method not allowed\n');
    if (path === '/metrics') {
      opts.registry.metrics().then(
        (text) => reply(200, opts.registry.contentType, text),
        (err: Error) => reply(500, 'text/plain', `metrics failed: ${err.message}\n`),
      );
      return;
    }
    if (path === '/metrics.json') {
      opts.registry.getMetricsAsJSON().then(
        (json) => reply(200, 'application/json', JSON.stringify(json)),
        (err: Error) => reply(500, 'text/plain', `metrics failed: ${err.message}\n`),
      );
      return;
    }
    if (path === '/healthz') {
      Promise.resolve()
        .then(() => (opts.health ? opts.health() : true))
        .then(
          (h) => {
            const r = typeof h === 'boolean' ? { ok: h } : h;
            reply(r.ok ? 200 : 503, 'text/plain', r.ok ? 'ok\n' : `unhealthy: ${r.reason ?? 'not ready'}\n`);
          },
          (err: Error) => reply(503, 'text/plain', `unhealthy: ${err.message}\n`),
        );
      return;
    }
    reply(404, 'text/plain', 'not found: try /metrics, /metrics.json or /healthz\n');
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `metrics server cannot listen on port ${opts.port}: ${err.code ?? err.message} (choose another --metrics-port, 0 = random)`,
        ),
      ),
    );
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      const { port } = server.address() as AddressInfo;
      server.unref();
      resolve({
        port,
        url: `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections?.();
            server.close(() => r());
          }),
      });
    });
  });
}
