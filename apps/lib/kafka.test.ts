import { BatchSender, parseBrokers } from './kafka';

type SendBatchArgs = { acks?: number; topicMessages?: { topic: string; messages: { value: unknown }[] }[] };

function fakeProducer(opts: { failTimes?: number; delayMs?: number } = {}) {
  const calls: SendBatchArgs[] = [];
  let fails = opts.failTimes ?? 0;
  return {
    calls,
    sendBatch: async (args: SendBatchArgs) => {
      calls.push(args);
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (fails > 0) {
        fails--;
        throw new Error('broker down');
      }
      return [];
    },
  };
}

describe('parseBrokers', () => {
  it('splits and trims a comma list', () => {
    expect(parseBrokers(' a:9092, b:9093 ')).toEqual(['a:9092', 'b:9093']);
    expect(parseBrokers(['127.0.0.1:9092'])).toEqual(['127.0.0.1:9092']);
  });
  it('names the flag and env when empty, and the bad entry when malformed', () => {
    expect(() => parseBrokers('')).toThrow(/--brokers.*KAFKA_BROKERS/);
    expect(() => parseBrokers('localhost')).toThrow(/"localhost" is not host:port/);
  });
});

describe('BatchSender', () => {
  it('batches sends across topics into one acks=all sendBatch after the linger', async () => {
    const p = fakeProducer();
    const s = new BatchSender(p as never, { lingerMs: 2 });
    await Promise.all([s.send('t1', [{ value: 'a' }]), s.send('t2', [{ value: 'b' }]), s.send('t1', [{ value: 'c' }])]);
    expect(p.calls).toHaveLength(1);
    expect(p.calls[0].acks).toBe(-1);
    expect(p.calls[0].topicMessages).toEqual([
      { topic: 't1', messages: [{ value: 'a' }, { value: 'c' }] },
      { topic: 't2', messages: [{ value: 'b' }] },
    ]);
    expect(s.pending).toBe(0);
  });

  it('keeps one batch in flight and sends what accumulated meanwhile as the next batch', async () => {
    const p = fakeProducer({ delayMs: 10 });
    const s = new BatchSender(p as never, { lingerMs: 0, maxBatchMessages: 1000 });
    const first = s.send('t', [{ value: '1' }]);
    await new Promise((r) => setTimeout(r, 2));
    const rest = [s.send('t', [{ value: '2' }]), s.send('t', [{ value: '3' }])];
    await Promise.all([first, ...rest]);
    expect(p.calls.map((c) => c.topicMessages?.[0].messages.length)).toEqual([1, 2]);
  });

  it('splits at maxBatchMessages', async () => {
    const p = fakeProducer();
    const s = new BatchSender(p as never, { lingerMs: 50, maxBatchMessages: 3 });
    const msgs = (n: number) => Array.from({ length: n }, (_, i) => ({ value: String(i) }));
    await Promise.all([s.send('t', msgs(2)), s.send('t', msgs(2)), s.send('t', msgs(2))]);
    expect(p.calls.map((c) => c.topicMessages?.[0].messages.length)).toEqual([2, 2, 2]);
  });

  it('rejects every send of a failed batch with the topics named, then carries on', async () => {
    const p = fakeProducer({ failTimes: 1 });
    const s = new BatchSender(p as never, { lingerMs: 1 });
    const a = s.send('raw_a', [{ value: 'x' }]);
    const b = s.send('raw_b', [{ value: 'y' }]);
    await expect(a).rejects.toThrow(/2 message\(s\) to 2 topic\(s\) \(raw_a, raw_b\) failed: broker down/);
    await expect(b).rejects.toThrow(/broker down/);
    await expect(s.send('raw_a', [{ value: 'z' }])).resolves.toBeUndefined();
    expect(s.pending).toBe(0);
  });

  it('flush sends at once and waits', async () => {
    const p = fakeProducer();
    const s = new BatchSender(p as never, { lingerMs: 10_000 });
    const sent = s.send('t', [{ value: 'a' }]);
    await s.flush();
    await sent;
    expect(p.calls).toHaveLength(1);
  });
});

describe('BatchSender byte budget', () => {
  it('splits a large send per topic so no request carries more than maxTopicBytes of one topic, in order', async () => {
    const p = fakeProducer();
    const s = new BatchSender(p as never, { lingerMs: 1, maxTopicBytes: 1000 });
    const big = Array.from({ length: 10 }, (_, i) => ({ value: Buffer.alloc(300, i) }));
    await Promise.all([s.send('a', big), s.send('b', [{ value: 'small' }])]);
    const perRequest = p.calls.map((c) => Object.fromEntries((c.topicMessages ?? []).map((t) => [t.topic, t.messages.length])));
    expect(perRequest.every((r) => (r.a ?? 0) <= 3)).toBe(true);
    expect(perRequest.reduce((n, r) => n + (r.b ?? 0), 0)).toBe(1);
    expect(perRequest.reduce((n, r) => n + (r.a ?? 0), 0)).toBe(10);
    const order = p.calls.flatMap((c) => (c.topicMessages ?? []).filter((t) => t.topic === 'a').flatMap((t) => t.messages.map((m) => (m.value as Buffer)[0])));
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
