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
  /** SCRAM credentials to store with the metadata (`--add-scram`), e.g. the inter-broker user's. */
  scram?: readonly { mechanism: 'SCRAM-SHA-512' | 'SCRAM-SHA-256'; user: string; password: string }[];
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
      ...(o.scram ?? []).flatMap((c) => ['--add-scram', `${c.mechanism}=[name=${c.user},password=${c.password}]`]),
    ],
    { logFile: o.logFile, what: o.what, redact: (o.scram ?? []).map((c) => c.password) },
  );
  return true;
}
