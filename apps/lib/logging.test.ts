import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import { createLogger, kafkaLogCreator } from './logging';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(JSON.parse(String(chunk)));
      cb();
    },
  });
  return { lines, stream };
}

describe('logging', () => {
  it('writes JSON with the app name and routes kafkajs logs by level', async () => {
    const { lines, stream } = capture();
    const logger = createLogger({ name: 'salmock', level: 'info', destination: stream });
    logger.info({ n: 1 }, 'hello');
    const log = kafkaLogCreator(logger)(logLevel.INFO);
    log({ namespace: 'Producer', level: logLevel.WARN, label: 'WARN', log: { message: 'slow', timestamp: 'x' } } as never);
    log({ namespace: 'Producer', level: logLevel.DEBUG, label: 'DEBUG', log: { message: 'noise', timestamp: 'x' } } as never);
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ app: 'salmock', msg: 'hello', n: 1 });
    expect(lines[1]).toMatchObject({ component: 'kafkajs', namespace: 'Producer', msg: 'slow', level: 40 });
  });
});

describe('kafkajs transient errors', () => {
  it('logs topic-creation metadata errors at debug', async () => {
    const { lines, stream } = capture();
    const logger = createLogger({ name: 'x', level: 'info', destination: stream });
    const log = kafkaLogCreator(logger)(logLevel.INFO);
    log({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: { message: 'Response Metadata', error: 'This server does not host this topic-partition', timestamp: 'x' },
    } as never);
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(0);
  });
});
