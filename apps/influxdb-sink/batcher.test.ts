import { Batcher, BatcherOptions, DEFAULT_MAX_BYTES, lineBytes } from './batcher';
import type { Rejection } from './writer';

/** A batcher over plain lines whose writes are recorded and answered by `answer` (default: all written). */
function recording(opts: Partial<BatcherOptions<string>>, answer: (lines: string[]) => Promise<Rejection[]> = async () => []) {
  const writes: string[][] = [];
  const batcher = new Batcher<string>({
    maxPoints: 1000,
    maxDelayMs: 60_000,
    lingerMs: 60_000,
    lineOf: (l) => l,
    write: (lines) => {
      writes.push(lines);
      return answer(lines);
    },
    ...opts,
  });
  return { batcher, writes };
}

/** Bytes of a write request's body as the writer sends it (lines joined by newlines, one trailing). */
const requestBytes = (lines: string[]) => Buffer.byteLength(`${lines.join('\n')}\n`);

/** A line of exactly `bytes` bytes with its newline. */
const lineOf = (id: number, bytes: number) => {
  const head = `m${id} f=`;
  return head + 'x'.repeat(bytes - 1 - head.length);
};

/** The fields of a wide topic: `n` float fields (an array flattened to name0..nameN), ~30 bytes each. */
const wideFields = (n: number) => Array.from({ length: n }, (_, i) => `forceActuator${i}=${(i * 0.123456789).toFixed(9)}`).join(',');

describe('Batcher', () => {
  it('writes full batches at once and a partial one after the linger, resolving each submit after its points are written', async () => {
    const { batcher: b, writes } = recording({ maxPoints: 3, maxDelayMs: 20_000, lingerMs: 20 });
    const t0 = Date.now();
    const [r1, r2] = await Promise.all([b.submit(['a', 'b']), b.submit(['c', 'd'])]);
    expect(r1).toEqual([]);
    expect(r2).toEqual([]);
    expect(writes).toEqual([['a', 'b', 'c'], ['d']]);
    // the partial batch went after the linger, long before the 20 s max delay (a wide margin: the machine is noisy)
    expect(Date.now() - t0).toBeLessThan(10_000);
  });

  it('maps rejected points back to their items', async () => {
    const b = new Batcher<{ id: number; line: string }>({
      maxPoints: 10,
      maxDelayMs: 50,
      lingerMs: 1,
      lineOf: (i) => i.line,
      write: async (lines): Promise<Rejection[]> =>
        lines.flatMap((l, index) => (l.includes('bad') ? [{ index, reason: 'type conflict' }] : [])),
    });
    const [a, c] = await Promise.all([
      b.submit([
        { id: 1, line: 'ok' },
        { id: 2, line: 'bad' },
      ]),
      b.submit([{ id: 3, line: 'bad2' }]),
    ]);
    expect(a).toEqual([{ item: { id: 2, line: 'bad' }, reason: 'type conflict' }]);
    expect(c.map((x) => x.item.id)).toEqual([3]);
  });

  it('rejects the submits of a batch whose write failed', async () => {
    const b = new Batcher<string>({
      maxPoints: 2,
      maxDelayMs: 10,
      lineOf: (s) => s,
      write: async () => {
        throw new Error('aborted');
      },
    });
    await expect(b.submit(['a'])).rejects.toThrow('aborted');
  });
});

describe('lineBytes', () => {
  it('counts UTF-8 bytes and the newline', () => {
    expect(lineBytes('m f=1')).toBe(6);
    expect(lineBytes('m s="é"')).toBe(9); // é is 2 bytes in UTF-8
    expect(lineBytes('m s="温度"')).toBe(13);
  });
});

describe('Batcher byte budget', () => {
  it('starts a write as soon as the byte budget is full, with as many whole lines as fit', async () => {
    const { batcher, writes } = recording({ maxBytes: 350, lingerMs: 50, maxDelayMs: 50 });
    const lines = Array.from({ length: 7 }, (_, i) => lineOf(i, 100));
    const done = batcher.submit(lines);
    // No timer has run yet: the two full budgets were dispatched at once, the rest waits.
    expect(writes.map((w) => w.length)).toEqual([3, 3]);
    expect(batcher.pending).toBe(1);
    expect(batcher.pendingBytes).toBe(100);
    for (const w of writes) expect(requestBytes(w)).toBeLessThanOrEqual(350);
    expect(writes.flat()).toEqual(lines.slice(0, 6));
    await done;
    expect(writes.map((w) => w.length)).toEqual([3, 3, 1]);
  });

  it('writes the rest after the linger and resolves only when every batch was acknowledged', async () => {
    const { batcher, writes } = recording({ maxBytes: 350, lingerMs: 1, maxDelayMs: 5 });
    const lines = Array.from({ length: 7 }, (_, i) => lineOf(i, 100));
    await expect(batcher.submit(lines)).resolves.toEqual([]);
    expect(writes.map((w) => w.length)).toEqual([3, 3, 1]);
    expect(writes.flat()).toEqual(lines);
    expect(batcher.pendingBytes).toBe(0);
  });

  it('writes a line larger than the budget alone, and those around it in their own requests', async () => {
    const { batcher, writes } = recording({ maxBytes: 250, lingerMs: 1 });
    const lines = [lineOf(0, 100), lineOf(1, 100), lineOf(2, 1000), lineOf(3, 100)];
    await batcher.submit(lines);
    expect(writes).toEqual([[lines[0], lines[1]], [lines[2]], [lines[3]]]);
  });

  it('counts multi-byte characters as bytes, not characters', async () => {
    const { batcher, writes } = recording({ maxBytes: 40, lingerMs: 1 });
    // 10 characters but 14 bytes + newline = 15 bytes each: two fit in 40, three (45) would not,
    // though three lines of 10 characters and newlines (33) would fit if characters were counted.
    const lines = ['a s="éééé"', 'b s="éééé"', 'c s="éééé"'];
    expect(lines.map((l) => l.length)).toEqual([10, 10, 10]);
    expect(lines.map(lineBytes)).toEqual([15, 15, 15]);
    await batcher.submit(lines);
    expect(writes.map((w) => w.length)).toEqual([2, 1]);
  });

  it('still caps a batch at maxPoints when the points are small', async () => {
    const { batcher, writes } = recording({ maxPoints: 4, maxBytes: 1_000_000, lingerMs: 1 });
    await batcher.submit(Array.from({ length: 10 }, (_, i) => `m f=${i}`));
    expect(writes.map((w) => w.length)).toEqual([4, 4, 2]);
  });

  it('maps InfluxDB rejections back to the right items across byte-split batches', async () => {
    // Each request refuses its last line.
    const { batcher, writes } = recording({ maxBytes: 350, lingerMs: 1 }, async (lines) => [
      { index: lines.length - 1, reason: `refused ${lines.at(-1)!.slice(0, 2)}` },
    ]);
    const lines = Array.from({ length: 7 }, (_, i) => lineOf(i, 100));
    const rejected = await batcher.submit(lines);
    expect(writes.map((w) => w.length)).toEqual([3, 3, 1]);
    expect(rejected).toEqual([
      { item: lines[2], reason: 'refused m2' },
      { item: lines[5], reason: 'refused m5' },
      { item: lines[6], reason: 'refused m6' },
    ]);
  });

  it('fails a submit when any of its byte-split writes fails', async () => {
    let n = 0;
    const { batcher } = recording({ maxBytes: 350, lingerMs: 1 }, async () => {
      if (++n === 2) throw new Error('HTTP 500 timeout');
      return [];
    });
    await expect(batcher.submit(Array.from({ length: 7 }, (_, i) => lineOf(i, 100)))).rejects.toThrow('HTTP 500 timeout');
    await batcher.idle();
  });

  it('keeps at most maxInFlight byte-full writes running and sends the rest as they finish', async () => {
    const finish: (() => void)[] = [];
    const { batcher, writes } = recording(
      { maxBytes: 200, maxInFlight: 2, lingerMs: 1 },
      () => new Promise<Rejection[]>((r) => finish.push(() => r([]))),
    );
    const done = batcher.submit(Array.from({ length: 8 }, (_, i) => lineOf(i, 100)));
    expect(writes.length).toBe(2);
    while (finish.length) {
      finish.shift()!();
      await new Promise((r) => setTimeout(r, 5));
    }
    await done;
    expect(writes.map((w) => w.length)).toEqual([2, 2, 2, 2]);
  });

  it('splits a batch of wide topics (3,000 fields a point) into requests within the default 2 MiB', async () => {
    const { batcher, writes } = recording({ lingerMs: 1 });
    const fields = wideFields(3000);
    const points = Array.from(
      { length: 1000 },
      (_, i) => `MTM1M3_logevent_wide${i % 5},salIndex=1 ${fields},n=${i}i ${1_700_000_000_000_000_000 + i}`,
    );
    const total = points.reduce((s, l) => s + lineBytes(l), 0);
    expect(total).toBeGreaterThan(80e6); // one request of all 1,000 points would be far over InfluxDB's 25 MB max-body-size
    await batcher.submit(points);
    expect(DEFAULT_MAX_BYTES).toBe(2 * 1024 * 1024);
    for (const w of writes) expect(requestBytes(w)).toBeLessThanOrEqual(DEFAULT_MAX_BYTES);
    expect(writes.flat()).toEqual(points);
    // Every request but the last is full: the next line would not have fitted.
    let next = 0;
    for (const w of writes.slice(0, -1)) {
      next += w.length;
      expect(requestBytes(w) + lineBytes(points[next])).toBeGreaterThan(DEFAULT_MAX_BYTES);
    }
    expect(writes.length).toBeGreaterThan(40);
  });

  it('refuses a budget under one byte', () => {
    expect(() => recording({ maxBytes: 0 })).toThrow('batcher: maxBytes must be at least 1, got 0');
  });
});
