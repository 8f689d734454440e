/**
 * A Kafka broker of a test's own (fault and security tests): a single-node KRaft broker+controller from
 * the cached Kafka distribution the local EFD runs, configured by the same function as the local EFD's
 * clusters (kafkaBrokerProps), on free 127.0.0.1 ports, its data and log in the test's folder. A test may
 * stop it and start it again (same ports, same data), which the shared local EFD's brokers must never be.
 *
 * With `sasl`, its client listener is SASL_PLAINTEXT with SCRAM-SHA-512 and the StandardAuthorizer: the
 * super user `admin` (random password, stored by `kafka-storage format --add-scram`, also the brokers'
 * own login) and the controller listener's principal are its only super users; every other user needs
 * its SCRAM credential and ACLs (apps/lib/kafka-principals.ts applyPrincipals).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChildProcess } from 'node:child_process';
import type { KafkaOptions } from '../../apps/lib/kafka';
import { HOST } from './layout';
import { CONTROLLER_PRINCIPAL, LOG4J, kafkaBrokerProps, props, type BrokerSasl } from './configs';
import { kafkaReady } from './health';
import { KAFKA_BROKER_MAIN, kafkaJvmArgs } from './jvm';
import { formatKraftStorage } from './kraft';
import { systemJava } from './shell';
import { LocalProcess, freePort, launch, untilReady } from './replication';

export interface PrivateBrokerOptions {
  /** Names its files (`<dir>/<name>.log`, `<dir>/<name>/`). */
  name: string;
  dir: string;
  readyTimeoutMs?: number;
  /** Authentication and ACLs on the client listener (the admin's password is random unless given). */
  sasl?: { adminUser?: string; adminPassword?: string };
}

export interface PrivateBroker {
  name: string;
  /** `127.0.0.1:<port>` */
  bootstrap: string;
  log: string;
  /** With `sasl`: the super user's login (`scram-sha-512`). */
  admin?: NonNullable<KafkaOptions['sasl']>;
  /** Connection options of a client of this broker, as `user` (default: the admin when it authenticates). */
  clientOptions(clientId: string, user?: { username: string; password: string }): KafkaOptions;
  /** True while the broker process runs. */
  running(): boolean;
  /** Starts it (again: same ports and data); resolves when it answers metadata requests. */
  start(): Promise<void>;
  /** SIGTERM (a clean shutdown), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  kill9(): Promise<void>;
}

export async function startPrivateBroker(o: PrivateBrokerOptions): Promise<PrivateBroker> {
  const [kafkaPort, controllerPort] = [await freePort(), await freePort()];
  const home = path.join(o.dir, o.name);
  const dataDir = path.join(home, 'data');
  fs.mkdirSync(home, { recursive: true });
  const admin = o.sasl
    ? {
        mechanism: 'scram-sha-512' as const,
        username: o.sasl.adminUser ?? 'admin',
        password: o.sasl.adminPassword ?? crypto.randomBytes(18).toString('base64url'),
      }
    : undefined;
  const sasl: BrokerSasl | undefined = admin && {
    adminUser: admin.username,
    adminPassword: admin.password,
    superUsers: `User:${admin.username};${CONTROLLER_PRINCIPAL}`,
  };
  const propsFile = path.join(home, 'server.properties');
  fs.writeFileSync(propsFile, props(kafkaBrokerProps({ kafkaPort, controllerPort, logDir: dataDir, sasl })), { mode: 0o600 });
  const log4j = path.join(home, 'log4j.properties');
  fs.writeFileSync(log4j, props(LOG4J));
  await formatKraftStorage({
    propsFile,
    dataDir,
    log4j,
    logFile: path.join(home, 'format.log'),
    what: `${o.name} storage format`,
    scram: admin ? [{ mechanism: 'SCRAM-SHA-512', user: admin.username, password: admin.password }] : undefined,
  });
  const bootstrap = `${HOST}:${kafkaPort}`;
  const args = kafkaJvmArgs({ memory: ['-Xms128m', '-Xmx384m'], log4j, main: KAFKA_BROKER_MAIN, properties: propsFile });
  let current: { child: ChildProcess; handle: LocalProcess } | undefined;
  const alive = () => !!current && current.child.exitCode === null && current.child.signalCode === null;
  const broker: PrivateBroker = {
    name: o.name,
    bootstrap,
    log: path.join(o.dir, `${o.name}.log`),
    admin,
    clientOptions(clientId, user) {
      const login = user ? { mechanism: 'scram-sha-512' as const, ...user } : admin;
      return { brokers: bootstrap, clientId, ...(login ? { sasl: login } : {}) };
    },
    running: alive,
    async start() {
      if (alive()) return;
      current = launch(o.name, systemJava(), args, o.dir, bootstrap);
      await untilReady(current.handle, current.child, () => kafkaReady(bootstrap, admin), o.readyTimeoutMs ?? 120_000);
    },
    async stop(graceMs = 30_000) {
      await current?.handle.stop(graceMs);
    },
    async kill9() {
      await current?.handle.kill9();
    },
  };
  await broker.start();
  return broker;
}
