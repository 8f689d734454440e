import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { durationSeconds } from '../../config/duration';

describe('InfluxDB server settings of the local EFD and the deployed chart', () => {
  const saved = process.env.EFD_LOCAL_DIR;
  afterAll(() => {
    if (saved === undefined) delete process.env.EFD_LOCAL_DIR;
    else process.env.EFD_LOCAL_DIR = saved;
  });

  it("sets the same write timeout in both, below the sink's 30 s request timeout", async () => {
    process.env.EFD_LOCAL_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-configs-'));
    const { INFLUX_WRITE_TIMEOUT, writeInfluxConfig } = require('./configs') as typeof import('./configs');
    const toml = fs.readFileSync(writeInfluxConfig(), 'utf8');
    expect(toml).toContain(`[coordinator]\n  write-timeout = "${INFLUX_WRITE_TIMEOUT}"\n`);
    expect(toml).toContain(`dir = "${path.join(process.env.EFD_LOCAL_DIR, 'data', 'influxdb', 'data')}"`); // written under the temporary state folder
    const chart = parse(fs.readFileSync(path.join(__dirname, '..', '..', 'helm-values', 'influxdb.yaml'), 'utf8')) as {
      config: { coordinator: Record<string, string> };
    };
    expect(chart.config.coordinator['write-timeout']).toBe(INFLUX_WRITE_TIMEOUT);
    expect(durationSeconds(INFLUX_WRITE_TIMEOUT)).toBeGreaterThan(10);
    expect(durationSeconds(INFLUX_WRITE_TIMEOUT)).toBeLessThan(30);
  });
});

describe('a broker with authentication (private brokers of the security tests)', () => {
  const { kafkaBrokerProps } = require('./configs') as typeof import('./configs');
  const plain = kafkaBrokerProps({ kafkaPort: 9092, controllerPort: 9093, logDir: '/tmp/k' });
  const sasl = kafkaBrokerProps({
    kafkaPort: 9092,
    controllerPort: 9093,
    logDir: '/tmp/k',
    sasl: { adminUser: 'admin', adminPassword: 'p"w\\d', superUsers: 'User:admin;User:ANONYMOUS' },
  });

  it('keeps the PLAINTEXT listener of the local EFD when not asked', () => {
    expect(plain.listeners).toBe('PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093');
    expect(plain['authorizer.class.name']).toBeUndefined();
  });

  it('authenticates the client listener with SCRAM-SHA-512 and authorizes with the KRaft StandardAuthorizer', () => {
    expect(sasl).toMatchObject({
      listeners: 'SASL_PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093',
      'advertised.listeners': 'SASL_PLAINTEXT://127.0.0.1:9092',
      'inter.broker.listener.name': 'SASL_PLAINTEXT',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'allow.everyone.if.no.acl.found': 'false',
      'super.users': 'User:admin;User:ANONYMOUS',
    });
    // the brokers' own login, the password's quote and backslash escaped for JAAS
    expect(sasl['listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config']).toBe(
      'org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="p\\"w\\\\d";',
    );
  });
});

describe('loggedCommand', () => {
  const { loggedCommand } = require('./shell') as typeof import('./shell');
  it('writes secrets among the arguments as ***', () => {
    expect(loggedCommand('java', ['format', '--add-scram', 'SCRAM-SHA-512=[name=admin,password=s3cret]'], ['s3cret'])).toBe(
      'java format --add-scram SCRAM-SHA-512=[name=admin,password=***]',
    );
    expect(loggedCommand('java', ['a'], [''])).toBe('java a');
  });
});
