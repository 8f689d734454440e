/** KRaft storage of a single-node Kafka (the local EFD's clusters and the fault tests' private brokers). */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { paths } from './layout';
import { run, systemJava } from './shell';

/** Same form as Kafka's Uuid.randomUuid(): 16 random bytes, URL-safe base64, not starting with '-'. */
export function kafkaClusterId(): string {
  for (;;) {
    const id = crypto.randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Formats `dataDir` for the broker of `propsFile` once (skipped when meta.properties exists); true if it formatted. */
export async function formatKraftStorage(o: {
  propsFile: string;
  dataDir: string;
  log4j: string;
  logFile: string;
  what: string;
}): Promise<boolean> {
  if (fs.existsSync(path.join(o.dataDir, 'meta.properties'))) return false;
  fs.mkdirSync(o.dataDir, { recursive: true });
  await run(
    systemJava(),
    [
      '-Xmx256m',
      `-Dlog4j.configuration=file:${o.log4j}`,
      '-cp',
      `${paths.kafkaLibs()}/*`,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      kafkaClusterId(),
      '-c',
      o.propsFile,
      '--ignore-formatted',
    ],
    { logFile: o.logFile, what: o.what },
  );
  return true;
}
