/** Readiness probes: each server must answer its own API, not just accept TCP. */
import type { KafkaOptions } from '../../apps/lib/kafka';
import { createAdmin } from '../../apps/lib/kafka-admin';
import { silentLogger } from '../../apps/lib/logging';

async function httpStatus(url: string, init?: RequestInit, timeoutMs = 2000): Promise<number> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** The broker answers a metadata request (the apps' admin client: describeCluster), as `sasl` when it authenticates. */
export async function kafkaReady(bootstrap: string, sasl?: KafkaOptions['sasl']): Promise<boolean> {
  const admin = createAdmin({
    sasl,
    clientId: 'efd-local-health',
    brokers: bootstrap,
    connectionTimeoutMs: 1000,
    requestTimeoutMs: 3000,
    retries: 0,
    logger: silentLogger(),
  });
  try {
    await admin.connect();
    const c = await admin.describeCluster();
    return c.brokers.length > 0 && c.controllerId >= 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * The Confluent-compatible API answers from its storage: GET /config (the global compatibility level).
 * Not /subjects: with thousands of subjects (a long-lived local EFD) that listing takes seconds under load,
 * longer than a probe waits, and a healthy registry read as down made the tests restart the stack.
 */
export async function registryReady(registryApiUrl: string): Promise<boolean> {
  return (await httpStatus(`${registryApiUrl}/config`)) === 200;
}

/** The worker joined its group: GET /connectors answers 200 (not 409 rebalancing / 404 / refused). */
export async function connectReady(connectUrl: string): Promise<boolean> {
  return (await httpStatus(`${connectUrl}/connectors`)) === 200;
}

export async function influxReady(url: string): Promise<boolean> {
  return (await httpStatus(`${url}/ping`)) === 204;
}

/** Runs one InfluxQL statement through POST /query; throws with InfluxDB's error text. */
export async function influxQl(url: string, q: string, db?: string): Promise<unknown> {
  const body = new URLSearchParams({ q, ...(db ? { db } : {}) });
  const res = await fetch(`${url}/query`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) });
  const json = (await res.json()) as { error?: string; results?: { error?: string }[] };
  const err = json.error ?? json.results?.find((r) => r.error)?.error;
  if (!res.ok || err) throw new Error(`InfluxQL \`${q}\` on ${url} failed: ${err ?? res.status}`);
  return json;
}
