import { captureLines as capture } from '../../test/log-capture';
import { createLogger } from './logging';

describe('logging', () => {
  it('writes JSON with the app name, at the level asked for', async () => {
    const { lines, stream } = capture();
    const logger = createLogger({ name: 'salmock', level: 'info', destination: stream });
    logger.info({ n: 1 }, 'hello');
    logger.debug('noise');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ app: 'salmock', msg: 'hello', n: 1, level: 30 });
  });
});
