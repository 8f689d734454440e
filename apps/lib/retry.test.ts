import { backoffDelayMs, retry, sleep } from './retry';

describe('sleep', () => {
  it('ends early on abort', async () => {
    const c = new AbortController();
    const t0 = Date.now();
    const p = sleep(60_000, c.signal);
    c.abort();
    await p;
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});

describe('backoffDelayMs', () => {
  it('doubles from the initial delay up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffDelayMs(a, { initialDelayMs: 250, maxDelayMs: 10_000 }))).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 10_000,
    ]);
    expect(backoffDelayMs(40, { initialDelayMs: 500 })).toBe(500 * 2 ** 39);
    expect(backoffDelayMs(0, { initialDelayMs: 300, maxDelayMs: 30_000 })).toBe(300);
  });
});

describe('retry', () => {
  it('retries until the operation returns, telling each failure its attempt and delay', async () => {
    const failures: unknown[] = [];
    const result = await retry(
      async (attempt) => {
        if (attempt < 4) throw new Error(`boom ${attempt}`);
        return `ok after ${attempt}`;
      },
      { initialDelayMs: 1, maxDelayMs: 3 },
      (err, f) => void failures.push([(err as Error).message, f]),
    );
    expect(result).toBe('ok after 4');
    expect(failures).toEqual([
      ['boom 1', { attempt: 1, last: false, delayMs: 1 }],
      ['boom 2', { attempt: 2, last: false, delayMs: 2 }],
      ['boom 3', { attempt: 3, last: false, delayMs: 3 }],
    ]);
  });

  it('rethrows the last error when the attempts are used up', async () => {
    let calls = 0;
    const lasts: boolean[] = [];
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error(`boom ${calls}`);
        },
        { attempts: 3, initialDelayMs: 1 },
        (_e, f) => void lasts.push(f.last),
      ),
    ).rejects.toThrow('boom 3');
    expect(calls).toBe(3);
    expect(lasts).toEqual([false, false, true]);
  });

  it('stops with what onFailure throws', async () => {
    let calls = 0;
    await expect(
      retry(
        async () => {
          calls++;
          throw new Error('permanent');
        },
        { initialDelayMs: 1 },
        (err) => {
          throw new Error(`gave up: ${(err as Error).message}`);
        },
      ),
    ).rejects.toThrow('gave up: permanent');
    expect(calls).toBe(1);
  });

  it('stops with abortedError once the signal aborts, cutting the wait short', async () => {
    const c = new AbortController();
    let calls = 0;
    const t0 = Date.now();
    const p = retry(
      async () => {
        calls++;
        throw new Error('down');
      },
      { initialDelayMs: 60_000, signal: c.signal, abortedError: () => new Error('stopped') },
      () => undefined,
    );
    setTimeout(() => c.abort(), 20);
    await expect(p).rejects.toThrow('stopped');
    expect(calls).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('without abortedError, an abort only ends the wait and the next attempt runs', async () => {
    const c = new AbortController();
    c.abort();
    const t0 = Date.now();
    const r = await retry(
      async (attempt) => {
        if (attempt === 1) throw new Error('once');
        return attempt;
      },
      { initialDelayMs: 60_000, signal: c.signal },
      () => undefined,
    );
    expect(r).toBe(2);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
