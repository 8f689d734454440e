/**
 * The runtime every long-running app starts with: logger, Prometheus registry + `/metrics` `/healthz`
 * server, graceful shutdown on SIGTERM/SIGINT (the metrics server closes last).
 */
import { Registry } from 'prom-client';
import { createLogger, Logger, LogLevel } from './logging';
import { createMetricsRegistry, HealthCheck, MetricsServer, startMetricsServer } from './metrics';
import { createShutdown, Shutdown } from './shutdown';

export interface AppRuntime {
  logger: Logger;
  metrics: Registry;
  server: MetricsServer;
  shutdown: Shutdown;
}

export interface AppRuntimeOptions {
  name: string;
  logLevel?: LogLevel;
  /** 0 = random port. */
  metricsPort: number;
  health?: HealthCheck;
  /** Install SIGTERM/SIGINT handlers (default true). */
  signals?: boolean;
  shutdownTimeoutMs?: number;
}

export async function startAppRuntime(opts: AppRuntimeOptions): Promise<AppRuntime> {
  const logger = createLogger({ name: opts.name, level: opts.logLevel });
  const metrics = createMetricsRegistry({ labels: { app: opts.name } });
  const shutdown = createShutdown({ logger, timeoutMs: opts.shutdownTimeoutMs });
  const server = await startMetricsServer({ registry: metrics, port: opts.metricsPort, health: opts.health });
  shutdown.onShutdown('metrics server', () => server.close());
  if (opts.signals ?? true) {
    const remove = shutdown.installSignalHandlers();
    shutdown.onShutdown('signal handlers', remove);
  }
  logger.info({ metricsPort: server.port }, `${opts.name}: /metrics and /healthz on port ${server.port}`);
  return { logger, metrics, server, shutdown };
}
