/**
 * The principals judged by the real Kafka: a private single-node KRaft broker of this test
 * (startPrivateBroker with `sasl`: SASL_PLAINTEXT SCRAM-SHA-512, the StandardAuthorizer, `admin` and the
 * controller listener its only super users; the shared local EFD is not touched), the summit's
 * principals (config/principals.ts) applied to it by applyPrincipals, then the apps' own clients
 * (createProducer, createConsumer, createAdmin of apps/lib) connecting as each app's user. Every
 * negative asserts the broker's refusal (an authorization or authentication error, within seconds),
 * never a timeout; the positives show each user can do what it declared.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSites } from '../../config/load';
import { deriveTopology } from '../../config/topology';
import { Command } from 'commander';
import { passwordEnvOf, sitePrincipals, type Principal } from '../../config/principals';
import { registerUsersApplyCommand } from '../connect-manager/users';
import { PrivateBroker, startPrivateBroker } from '../../scripts/local-efd/private-broker';
import { createProducer, kafkaErrorMessage, type KafkaClientName, type KafkaOptions } from './kafka';
import { createAdmin } from './kafka-admin';
import { createConsumer, type ConsumedBatch } from './kafka-consumer';
import { applyPrincipals } from './kafka-principals';
import { createLogger } from './logging';
import { captureLines } from '../../test/log-capture';
import { spawnEfd } from '../../test/integration/efd-process';
import { tryReadEndpoints } from '../../scripts/local-efd/endpoints';

jest.setTimeout(120_000);

const sites = loadSites();
const summit = sites.find((s) => s.name === 'summit')!;
const principals: Principal[] = sitePrincipals(summit, deriveTopology(sites));
const passwords = new Map(principals.map((p) => [p.user, crypto.randomBytes(12).toString('hex')]));

let dir: string;
let broker: PrivateBroker;
/** What the clients log (kafkajs reports some refusals only there: a group refused at FindCoordinator). */
const captured = captureLines();
const logger = createLogger({ name: 'kafka-principals-test', level: 'warn', destination: captured.stream });

const as = (user: string, clientId = user, password = passwords.get(user)!): KafkaOptions => ({
  ...broker.clientOptions(clientId, { username: user, password }),
  logger,
  connectionTimeoutMs: 3000,
  requestTimeoutMs: 10_000,
});

/**
 * The error `op` rejects with, what the clients logged meanwhile (`said`: the error, then the log lines) and
 * how long it took (a refusal, not a timeout: asserted by the callers).
 */
async function refusal(what: string, op: () => Promise<unknown>): Promise<{ message: string; said: string; ms: number }> {
  const t0 = Date.now();
  const from = captured.lines.length;
  try {
    await op();
  } catch (err) {
    const message = kafkaErrorMessage(err);
    const logged = captured.lines.slice(from).map((l) => `${String(l.msg)} ${String(l.error ?? '')}`);
    const ms = Date.now() - t0;
    process.stderr.write(
      `[kafka principals] refused in ${ms} ms: ${what}: ${message}${logged.length ? ` | logged: ${logged.join(' | ')}` : ''}\n`,
    );
    return { message, said: [message, ...logged].join('\n'), ms };
  }
  throw new Error('expected the broker to refuse, but it allowed it');
}

const RAW = 'ATDome_telemetry';
const AVRO = 'lsst.sal.ATDome_position';
const SINK_DLQ = 'lsst.efd.influxdb-sink.dlq';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-kafka-principals-'));
  broker = await startPrivateBroker({ name: 'kafka', dir, sasl: {} });
  const report = await applyPrincipals(broker.clientOptions('kafka-users-apply'), principals, { password: (u) => passwords.get(u) });
  expect(report.credentials).toEqual(principals.filter((p) => !p.superUser).map((p) => p.user));
  expect(report.created).toBeGreaterThan(50);
  // the topics the topic policies and saltransform would create (auto-creation needs CREATE, which the sink has not)
  const admin = createAdmin(broker.clientOptions('setup'));
  await admin.connect();
  await admin.createTopics([{ topic: AVRO }, { topic: SINK_DLQ }, { topic: 'saltransform.deadletter' }]);
  await admin.disconnect();
}, 180_000);

afterAll(async () => {
  await broker?.stop(10_000);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

it('applies the same principals again without a change (idempotent)', async () => {
  const again = await applyPrincipals(broker.clientOptions('kafka-users-apply'), principals, { password: (u) => passwords.get(u) });
  expect([again.created, again.deleted]).toEqual([0, 0]);
});

it('deletes an ACL a principal no longer declares', async () => {
  const sink = principals.find((p) => p.user === 'influxdb-sink')!;
  const wider: Principal = { ...sink, writes: [...sink.writes, { name: 'lsst.sal.', pattern: 'PREFIXED' }] };
  const r1 = await applyPrincipals(broker.clientOptions('apply'), [wider], { password: () => undefined });
  expect([r1.created, r1.deleted, r1.withoutPassword]).toEqual([1, 0, ['influxdb-sink']]);
  const r2 = await applyPrincipals(broker.clientOptions('apply'), [sink], { password: () => undefined });
  expect([r2.created, r2.deleted]).toEqual([0, 1]);
});

describe.each<KafkaClientName>(['platformatic', 'kafkajs'])('with %s clients', (client) => {
  it('lets saltransform create and read its raw topic in its group, write Avro and dead letters', async () => {
    const admin = createAdmin(as('saltransform'), { client });
    await admin.connect();
    await admin.createTopics([{ topic: RAW }]);
    expect(await admin.listTopics()).toEqual(expect.arrayContaining([RAW, AVRO]));
    await admin.disconnect();
    // SAL's own writer (no salmock at the summit): the admin here
    const producer = createProducer(broker.clientOptions('raw'), { client });
    await producer.connect();
    await producer.sendBatch({ topicMessages: [{ topic: RAW, messages: [{ value: `line-${client}` }] }] });
    await producer.disconnect();

    const out = createProducer(as('saltransform'), { client });
    await out.connect(); // the idempotent producer's InitProducerId: allowed by WRITE on its topics, no CLUSTER ACL
    await out.sendBatch({ topicMessages: [{ topic: AVRO, messages: [{ value: 'avro' }] }] });
    await out.sendBatch({ topicMessages: [{ topic: 'saltransform.deadletter', messages: [{ value: 'bad' }] }] });
    await out.disconnect();

    const got = await consumeOne(as('saltransform'), 'summit-saltransform', RAW, client);
    expect(got.topic).toBe(RAW);
  });

  it('lets the sink read the Avro topics in its group and write its dead-letter topic', async () => {
    const p = createProducer(as('influxdb-sink'), { client });
    await p.connect();
    await p.sendBatch({ topicMessages: [{ topic: SINK_DLQ, messages: [{ value: 'dead' }] }] });
    await p.disconnect();
    const got = await consumeOne(as('influxdb-sink'), 'summit-influxdb-sink', AVRO, client);
    expect(got.topic).toBe(AVRO);
  });

  it('refuses the sink a write to lsst.sal.*: TOPIC_AUTHORIZATION_FAILED', async () => {
    const p = createProducer(as('influxdb-sink'), { client });
    await p.connect();
    const r = await refusal(`${client}: influxdb-sink writes ${AVRO}`, () =>
      p.sendBatch({ topicMessages: [{ topic: AVRO, messages: [{ value: 'x' }] }] }),
    );
    await p.disconnect();
    expect(r.message).toMatch(/Topic authorization failed|not authorized to access topics: \[lsst\.sal\.ATDome_position\]/i);
    expect(r.ms).toBeLessThan(10_000);
  });

  it("refuses saltransform another group's offsets and a join of another group: GROUP_AUTHORIZATION_FAILED", async () => {
    const admin = createAdmin(as('saltransform'), { client });
    await admin.connect();
    const offsets = await refusal(`${client}: saltransform reads the offsets of summit-influxdb-sink`, () =>
      admin.groupOffsets('summit-influxdb-sink', [AVRO]),
    );
    await admin.disconnect();
    // kafkajs answers "Failed to find group coordinator" and logs the broker's refusal
    expect(offsets.said).toMatch(/group authorization failed|not authorized to access group/i);
    const join = await refusal(`${client}: saltransform joins summit-influxdb-sink`, () =>
      consumeOne(as('saltransform'), 'summit-influxdb-sink', RAW, client),
    );
    expect(join.said).toMatch(/group authorization failed|not authorized to access group/i);
    expect(join.ms).toBeLessThan(15_000);
  });

  it('refuses the read-only user a write, and lets it read in a readonly- group', async () => {
    const p = createProducer(as('readonly'), { client });
    await p.connect().catch(() => undefined); // it may be refused the producer id already (no WRITE anywhere)
    const r = await refusal(`${client}: readonly writes ${AVRO}`, () =>
      p.sendBatch({ topicMessages: [{ topic: AVRO, messages: [{ value: 'x' }] }] }),
    );
    await p.disconnect().catch(() => undefined);
    expect(r.message).toMatch(/authorization failed|not authorized/i);
    const got = await consumeOne(as('readonly'), `readonly-notebook-${client}`, AVRO, client);
    expect(got.topic).toBe(AVRO);
  });

  it('refuses an unknown user and a wrong password at connect: SASL authentication failed', async () => {
    for (const o of [as('nobody', 'nobody', 'whatever'), as('influxdb-sink', 'sink', 'not-its-password')]) {
      const admin = createAdmin(o, { client });
      const r = await refusal(
        `${client}: ${o.sasl?.username} connects with ${o.sasl?.username === 'nobody' ? 'no such user' : 'a wrong password'}`,
        async () => {
          await admin.connect();
          await admin.listTopics();
        },
      );
      await admin.disconnect().catch(() => undefined);
      expect(r.message).toMatch(/SASL authentication failed|invalid credentials|Authentication failed/i);
      // not retried with backoff (its 5 retries took 11 s before refusals were told apart)
      expect(r.ms).toBeLessThan(5_000);
    }
  });
});

/** The first batch of `topic` that `group` consumes as `o` (fails with the consumer's error). */
async function consumeOne(o: KafkaOptions, group: string, topic: string, client: KafkaClientName): Promise<ConsumedBatch> {
  const consumer = createConsumer(o, { groupId: group, client, sessionTimeoutMs: 10_000, maxWaitTimeMs: 100 });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    return await new Promise<ConsumedBatch>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no batch of ${topic} within 30 s`)), 30_000);
      consumer.onCrash((e) => {
        clearTimeout(timer);
        reject(e.error);
      });
      consumer
        .run({
          autoCommitIntervalMs: 100,
          eachBatch: async (b) => {
            clearTimeout(timer);
            resolve(b);
          },
        })
        .catch((err) => {
          clearTimeout(timer);
          reject(err);
        });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/**
 * Bad input, as the apps meet it: each `efd <app>` a process of its own (bin/efd, as in the image), its
 * SASL login from flags and KAFKA_SASL_PASSWORD, at LOG_LEVEL=debug (every line the clients write). Each
 * must exit by itself, failing, with a line naming the user, the resource and the operation refused, and
 * never print a password.
 */
describe('the apps, refused, exit naming the refusal', () => {
  const run = async (app: string, user: string, password: string, args: string[]) => {
    const e = tryReadEndpoints()!;
    const child = spawnEfd(
      [app, ...args, '--brokers', broker.bootstrap, '--sasl-mechanism', 'scram-sha-512', '--sasl-username', user, '--metrics-port', '0'],
      { KAFKA_SASL_PASSWORD: password, LOG_LEVEL: 'debug', SCHEMA_REGISTRY_URL: e.clusters[0].registry },
    );
    const t0 = Date.now();
    const timer = setTimeout(() => void child.kill9(), 60_000);
    const code = await new Promise<number | null>((r) => child.proc.once('exit', (c) => r(c)));
    clearTimeout(timer);
    const ms = Date.now() - t0;
    const out = child.output();
    const said = out.split('\n').filter((l) => /Kafka refused/.test(l));
    process.stderr.write(
      `[kafka principals] efd ${app} as ${user}: exit ${code} after ${ms} ms: ${said[said.length - 1] ?? out.slice(-500)}\n`,
    );
    return { code, ms, out, said: said.join('\n') };
  };

  it('saltransform with a wrong password: the login refused, naming the user; no password printed', async () => {
    const wrong = `wrong-${crypto.randomBytes(6).toString('hex')}`;
    const r = await run('saltransform', 'saltransform', wrong, ['--subsystems', 'ATDome', '--group', 'summit-saltransform']);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull(); // exited by itself, not killed by the test
    expect(r.said).toContain('Kafka refused the login of user "saltransform": SASL authentication failed');
    for (const s of [wrong, ...secrets()]) expect(r.out.includes(s)).toBe(false);
    expect(r.ms).toBeLessThan(30_000);
  });

  it("saltransform in another app's group: refused on the group, naming the user, the group and the operation", async () => {
    const r = await run('saltransform', 'saltransform', passwords.get('saltransform')!, [
      '--subsystems',
      'ATDome',
      '--group',
      'summit-influxdb-sink',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.said).toMatch(/Kafka refused user "saltransform" (DESCRIBE|READ) on GROUP summit-influxdb-sink \(GROUP_AUTHORIZATION_FAILED/);
    for (const s of secrets()) expect(r.out.includes(s)).toBe(false);
  });

  it("the influxdb-sink in saltransform's group: refused on the group, and it exits instead of retrying", async () => {
    const e = tryReadEndpoints()!;
    const r = await run('influxdb-sink', 'influxdb-sink', passwords.get('influxdb-sink')!, [
      '--influxdb-url',
      e.influxdb.url,
      '--database',
      'efd_security_unused',
      '--topics-regex',
      'lsst[.]sal[.]ATDome_.*',
      '--group',
      'summit-saltransform',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.said).toMatch(/Kafka refused user "influxdb-sink" (DESCRIBE|READ) on GROUP summit-saltransform \(GROUP_AUTHORIZATION_FAILED/);
    for (const s of secrets()) expect(r.out.includes(s)).toBe(false);
  });
});

describe('kafka-users-apply (the users Job)', () => {
  it("applies the principals JSON the Job is given, each password from its variable, the admin's login from its own", async () => {
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => out.push(l) };
    const env: NodeJS.ProcessEnv = {
      KAFKA_SASL_USERNAME: broker.admin!.username,
      KAFKA_SASL_PASSWORD: broker.admin!.password,
      ...Object.fromEntries(principals.filter((p) => !p.superUser).map((p) => [passwordEnvOf(p.user), passwords.get(p.user)])),
    };
    const program = new Command().exitOverride();
    registerUsersApplyCommand(program, io as never, env);
    await program.parseAsync(
      ['kafka-users-apply', '--bootstrap-servers', broker.bootstrap, '--principals-json', JSON.stringify(principals)],
      {
        from: 'user',
      },
    );
    expect(out).toEqual([
      `credentials set: ${principals
        .filter((p) => !p.superUser)
        .map((p) => p.user)
        .join(', ')}`,
      'ACLs: 0 created, 0 deleted',
    ]);
    for (const s of secrets()) expect(out.join('\n').includes(s)).toBe(false);
    // the passwords it set are the ones the apps log in with
    const admin = createAdmin(as('influxdb-sink'));
    await admin.connect();
    expect(await admin.listTopics()).toContain(AVRO);
    await admin.disconnect();
  });
});

const secrets = () => [...passwords.values(), broker.admin!.password];
