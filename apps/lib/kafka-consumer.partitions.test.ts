/**
 * The platformatic consumer's partition bookkeeping across a join that leaves a partition out for a
 * moment (what a broker restart does): driven through its fetch and join handlers, no broker. A record
 * may be handed over twice (at-least-once); none may be skipped, and the commit never passes a record
 * that was not handled.
 */
import type { ConsumedBatch, BatchContext, RunOptions } from './kafka-consumer';
import { createConsumer } from './kafka-consumer';

interface Internals {
  running: boolean;
  streams: unknown[];
  runOptions: Required<RunOptions>;
  topicIds: Map<string, string>;
  consumer: unknown;
  onJoin(memberId: string, assignments: { topic: string; partitions: number[] }[]): void;
  takeFetched(req: unknown, res: unknown): void;
  commitHandled(): Promise<void>;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** A fetch request from `from` and its response with records `from`…`from + n − 1` of partition 0 of `t`. */
function fetched(from: number, n: number): [unknown, unknown] {
  const records = Array.from({ length: n }, (_, k) => ({
    offsetDelta: k,
    timestampDelta: 0n,
    key: null,
    value: Buffer.from(String(from + k)),
    headers: [],
  }));
  return [
    { topics: [{ topicId: 'id-t', partitions: [{ partition: 0, fetchOffset: BigInt(from) }] }] },
    {
      responses: [
        {
          topicId: 'id-t',
          partitions: [
            {
              partitionIndex: 0,
              highWatermark: BigInt(from + n),
              records: [{ attributes: 0, firstOffset: BigInt(from), firstTimestamp: 0n, records }],
            },
          ],
        },
      ],
    },
  ];
}

/** A consumer whose batches go to `eachBatch`, with its commits recorded. */
function harness(eachBatch: (b: ConsumedBatch, ctx: BatchContext) => Promise<void>) {
  const c = createConsumer({ brokers: '127.0.0.1:1', clientId: 't' }, { groupId: 'g', client: 'platformatic' });
  const i = c as unknown as Internals;
  const commits: bigint[] = [];
  i.running = true;
  i.streams = [{}];
  i.topicIds = new Map([['id-t', 't']]);
  i.runOptions = { partitionsConcurrency: 1, autoCommitIntervalMs: 0, eachBatch };
  i.consumer = {
    commit: async ({ offsets }: { offsets: { offset: bigint }[] }) => {
      for (const o of offsets) commits.push(o.offset);
    },
  };
  const join = (partitions: number[]) => i.onJoin('m', [{ topic: 't', partitions }]);
  const fetch = (from: number, n: number) => i.takeFetched(...fetched(from, n));
  return { i, commits, join, fetch };
}

const offsetsOf = (b: ConsumedBatch) => b.messages.map((m) => Number(m.offset));

test('records fetched before a join that left the partition out are not taken, and are read again once it is back', async () => {
  const handed: number[] = [];
  let release!: () => void;
  const first = new Promise<void>((r) => (release = r));
  const h = harness(async (b, ctx) => {
    if (ctx.isStale()) return;
    handed.push(...offsetsOf(b));
    if (offsetsOf(b)[0] === 0 && handed.length === 10) await first; // the first batch is still being handled
  });
  h.join([0]);
  h.fetch(0, 10);
  await tick();
  expect(handed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  h.join([]); // the partition is away for a moment (the first batch still busy)
  h.fetch(10, 10); // a fetch sent before that join answers now
  await tick();
  h.join([0]); // back: the stream reads again from the commit (nothing committed yet: offset 0)
  h.fetch(0, 20);
  release();
  await tick();
  await tick();
  for (let o = 0; o < 20; o++) expect(handed).toContain(o);
  await h.i.commitHandled();
  expect(h.commits.at(-1)).toBe(20n);
});

test('records of a fetch answered after the partition left are not skipped as stale and lost', async () => {
  const handed: number[] = [];
  const h = harness(async (b, ctx) => {
    if (ctx.isStale()) return;
    handed.push(...offsetsOf(b));
  });
  h.join([0]);
  h.fetch(0, 10);
  await tick();
  await tick();
  h.join([]); // the partition is away for a moment (nothing busy)
  h.fetch(10, 10); // a fetch sent before that join answers now
  await tick();
  await tick();
  h.join([0]); // back: nothing was committed, the stream reads from 0
  h.fetch(0, 20);
  await tick();
  await tick();
  for (let o = 0; o < 20; o++) expect(handed).toContain(o);
  await h.i.commitHandled();
  expect(h.commits).toEqual([20n]);
});

test('a batch the app gave up as stale does not move the commit, though the partition came back before it returned', async () => {
  let revoke!: () => void;
  const revoked = new Promise<void>((r) => (revoke = r));
  const h = harness(async (_b, ctx) => {
    await revoked;
    if (ctx.isStale()) return; // given up, not handled
  });
  h.join([0]);
  h.fetch(0, 5);
  await tick();
  h.join([]);
  revoke();
  await tick();
  h.join([0]);
  await tick();
  await h.i.commitHandled();
  expect(h.commits).toEqual([]);
});

test('a batch handled while the partition stayed assigned is committed', async () => {
  const h = harness(async () => undefined);
  h.join([0]);
  h.fetch(0, 5);
  await tick();
  await tick();
  await h.i.commitHandled();
  expect(h.commits).toEqual([5n]);
});

test('stopped while run() was still opening its stream: no commit timer is left behind', async () => {
  const c = createConsumer({ brokers: '127.0.0.1:1', clientId: 't' }, { groupId: 'g', client: 'platformatic' });
  const i = c as unknown as Internals & { startStream(): Promise<void>; commitTimer: NodeJS.Timeout | undefined };
  let opened!: () => void;
  i.startStream = () => new Promise<void>((r) => (opened = r)); // the group join takes a while
  await c.subscribe({ topics: ['t'] });
  const running = c.run({ autoCommitIntervalMs: 1000, eachBatch: async () => undefined });
  await c.stop(); // SIGTERM meanwhile
  opened();
  await running;
  expect(i.commitTimer).toBeUndefined();
});
