/**
 * The aggregator's topic following (follow.ts) with fake consumers: a replaced consumer is closed (not
 * only stopped) before the next one starts, overlapping refreshes never open two consumers, nothing
 * starts once closed, and every consumer made is closed in the end (the process can exit).
 */
import { FollowedConsumer, TopicFollower } from './follow';

class FakeConsumer implements FollowedConsumer {
  running = false;
  closed = false;
  started: string[] | undefined;
  constructor(
    private readonly log: string[],
    readonly id: number,
    private readonly startGate: Promise<void>,
    private readonly fail: boolean,
  ) {}
  async start(topics: string[]): Promise<void> {
    this.started = topics;
    this.log.push(`start ${this.id} ${topics.join(',')}`);
    await this.startGate;
    if (this.fail) throw new Error('coordinator not available');
    this.running = true;
  }
  async close(): Promise<void> {
    this.log.push(`close ${this.id}`);
    this.running = false;
    this.closed = true;
  }
}

function setup() {
  const log: string[] = [];
  const made: FakeConsumer[] = [];
  let topics: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  let fail = false;
  const follower = new TopicFollower({
    list: async () => topics,
    create: () => {
      const c = new FakeConsumer(log, made.length + 1, gate, fail);
      made.push(c);
      return c;
    },
    onChange: (t) => log.push(`change ${t.join(',')}`),
  });
  /** Consumers made and not closed: at most one at any time. */
  const open = () => made.filter((c) => !c.closed).length;
  return {
    log,
    made,
    follower,
    open,
    setTopics: (t: string[]) => (topics = t),
    /** The next consumer's start waits for the returned release. */
    holdStart: () => {
      let release: () => void = () => undefined;
      gate = new Promise<void>((r) => (release = r));
      return () => release();
    },
    failStarts: (f: boolean) => (fail = f),
  };
}

test('a topic that appears later: the consumer is closed, then one on every topic starts; nothing again while nothing changed', async () => {
  const t = setup();
  await t.follower.refresh();
  expect(t.made).toHaveLength(0); // no topic yet: no consumer
  t.setTopics(['b.lsst.sal.X_pos']);
  await t.follower.refresh();
  t.setTopics(['b.lsst.sal.X_pos', 'a.lsst.sal.X_torque']);
  await t.follower.refresh();
  await t.follower.refresh();
  expect(t.log).toEqual([
    'change b.lsst.sal.X_pos',
    'start 1 b.lsst.sal.X_pos',
    'change a.lsst.sal.X_torque,b.lsst.sal.X_pos',
    'close 1',
    'start 2 a.lsst.sal.X_torque,b.lsst.sal.X_pos',
  ]);
  expect(t.follower.consumer).toBe(t.made[1]);
  expect(t.follower.topics).toEqual(['a.lsst.sal.X_torque', 'b.lsst.sal.X_pos']);
  await t.follower.close();
  expect(t.made.map((c) => c.closed)).toEqual([true, true]);
});

test('refreshes that overlap a slow start join it: one consumer at a time, none left open', async () => {
  const t = setup();
  t.setTopics(['lsst.sal.X_pos']);
  const release = t.holdStart();
  // the interval fires again and again while the group join is slow
  const calls = [t.follower.refresh(), t.follower.refresh(), t.follower.refresh()];
  await new Promise((r) => setImmediate(r));
  expect(t.open()).toBe(1);
  release();
  await Promise.all(calls);
  expect(t.made).toHaveLength(1);
  expect(t.log).toEqual(['change lsst.sal.X_pos', 'start 1 lsst.sal.X_pos']);
  await t.follower.close();
  expect(t.open()).toBe(0);
});

test('closed during a refresh: it waits for that refresh, closes its consumer, and starts none after', async () => {
  const t = setup();
  t.setTopics(['lsst.sal.X_pos']);
  await t.follower.refresh();
  t.setTopics(['lsst.sal.X_pos', 'lsst.sal.X_torque']);
  const release = t.holdStart();
  const refreshing = t.follower.refresh();
  await new Promise((r) => setImmediate(r));
  const closing = t.follower.close(); // SIGTERM while the new consumer joins the group
  release();
  await Promise.all([refreshing, closing]);
  expect(t.made).toHaveLength(2);
  expect(t.open()).toBe(0);
  // the timer's next tick (before it was cleared) does nothing
  t.setTopics(['lsst.sal.X_pos', 'lsst.sal.X_torque', 'lsst.sal.X_more']);
  await t.follower.refresh();
  expect(t.made).toHaveLength(2);
  expect(t.log.at(-1)).toBe('close 2');
  expect(t.follower.consumer).toBeUndefined();
});

test('a consumer whose start failed is closed by the next refresh before another starts', async () => {
  const t = setup();
  t.setTopics(['lsst.sal.X_pos']);
  t.failStarts(true);
  await expect(t.follower.refresh()).rejects.toThrow('coordinator not available');
  t.failStarts(false);
  await t.follower.refresh();
  expect(t.log).toEqual(['change lsst.sal.X_pos', 'start 1 lsst.sal.X_pos', 'change lsst.sal.X_pos', 'close 1', 'start 2 lsst.sal.X_pos']);
  expect(t.follower.consumer?.running).toBe(true);
  await t.follower.close();
  expect(t.open()).toBe(0);
});

test('the topics vanish: the consumer is closed and none replaces it', async () => {
  const t = setup();
  t.setTopics(['lsst.sal.X_pos']);
  await t.follower.refresh();
  t.setTopics([]);
  await t.follower.refresh();
  expect(t.log.slice(-2)).toEqual(['change ', 'close 1']);
  expect(t.follower.consumer).toBeUndefined();
  expect(t.open()).toBe(0);
});
