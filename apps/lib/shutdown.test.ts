import { sleep } from './retry';
import { createShutdown } from './shutdown';

describe('shutdown', () => {
  it('aborts the signal and runs hooks in reverse order once', async () => {
    const order: string[] = [];
    const s = createShutdown({ exit: () => order.push('exit') });
    s.onShutdown('consumer', () => order.push('consumer'));
    s.onShutdown('producer', async () => {
      await sleep(1);
      order.push('producer');
    });
    s.onShutdown('broken', () => {
      throw new Error('boom');
    });
    const a = s.trigger('test');
    const b = s.trigger('again');
    expect(s.signal.aborted).toBe(true);
    await Promise.all([a, b, s.done]);
    expect(order).toEqual(['producer', 'consumer']);
  });
  it('forces the exit when hooks hang', async () => {
    const codes: number[] = [];
    const s = createShutdown({ timeoutMs: 5, exit: (c) => codes.push(c) });
    s.onShutdown('hang', () => new Promise(() => undefined));
    await s.trigger('test');
    expect(codes).toEqual([1]);
  });
  it('SIGTERM triggers it; a second signal exits at once', async () => {
    const codes: number[] = [];
    const s = createShutdown({ exit: (c) => codes.push(c) });
    s.onShutdown('slow', () => sleep(20));
    const remove = s.installSignalHandlers(['SIGUSR2']);
    try {
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(s.signal.aborted).toBe(true);
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(codes).toEqual([130]);
      await s.done;
    } finally {
      remove();
    }
  });
});
