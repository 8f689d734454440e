/**
 * A Kafka Connect worker of a test's own: the local EFD's worker settings (connectWorkerProps) and JVM
 * command on a free port, its own group and internal topics, data and log in the test's folder. It loads
 * the plugins installed in the cache's plugin.path now, which a shared worker started before their install
 * does not (a worker scans plugin.path at start only, and the shared local EFD is never restarted by tests).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HOST } from './layout';
import { LOG4J, connectWorkerProps, props } from './configs';
import { connectReady } from './health';
import { CONNECT_WORKER_MAIN, kafkaJvmArgs } from './jvm';
import { systemJava } from './shell';
import { LocalProcess, freePort, launch, untilReady } from './replication';

export async function startPrivateConnect(o: {
  /** Names the worker group and its internal topics (unique per test). */
  id: string;
  bootstrap: string;
  dir: string;
  readyTimeoutMs?: number;
}): Promise<LocalProcess> {
  const port = await freePort();
  fs.mkdirSync(o.dir, { recursive: true });
  const file = path.join(o.dir, 'connect.properties');
  fs.writeFileSync(file, props(connectWorkerProps({ bootstrap: o.bootstrap, id: o.id, port, offsetPartitions: 1 })));
  const log4j = path.join(o.dir, 'connect-log4j.properties');
  fs.writeFileSync(log4j, props(LOG4J));
  const url = `http://${HOST}:${port}`;
  const args = kafkaJvmArgs({ memory: ['-Xms128m', '-Xmx512m'], log4j, main: CONNECT_WORKER_MAIN, properties: file });
  const { child, handle } = launch('connect', systemJava(), args, o.dir, url);
  return untilReady(handle, child, () => connectReady(url), o.readyTimeoutMs ?? 240_000);
}
