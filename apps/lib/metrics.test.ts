import { Counter } from 'prom-client';
import { createMetricsRegistry, startMetricsServer } from './metrics';

describe('metrics server', () => {
  it('serves /metrics and /healthz on a random port', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const c = new Counter({ name: 'x_total', help: 'x', registers: [registry] });
    c.inc(3);
    let healthy: boolean | { ok: boolean; reason?: string } = true;
    const srv = await startMetricsServer({ registry, port: 0, host: '127.0.0.1', health: () => healthy });
    try {
      expect(srv.port).toBeGreaterThan(0);
      expect(await (await fetch(`${srv.url}/metrics`)).text()).toMatch(/x_total 3/);
      const json = (await (await fetch(`${srv.url}/metrics.json`)).json()) as { name: string; values: { value: number }[] }[];
      expect(json.find((m) => m.name === 'x_total')?.values[0].value).toBe(3);
      expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
      healthy = { ok: false, reason: 'kafka disconnected' };
      const r = await fetch(`${srv.url}/healthz`);
      expect(r.status).toBe(503);
      expect(await r.text()).toMatch(/kafka disconnected/);
      expect((await fetch(`${srv.url}/nope`)).status).toBe(404);
    } finally {
      await srv.close();
    }
  });
  it('says which port is taken', async () => {
    const registry = createMetricsRegistry({ defaultMetrics: false });
    const a = await startMetricsServer({ registry, port: 0, host: '127.0.0.1' });
    try {
      await expect(startMetricsServer({ registry, port: a.port, host: '127.0.0.1' })).rejects.toThrow(
        new RegExp(`port ${a.port}: EADDRINUSE`),
      );
    } finally {
      await a.close();
    }
  });
});
