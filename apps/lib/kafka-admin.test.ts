import { whileLeadersSettle } from './kafka-admin';

/** What kafkajs throws while a new leader's broker has not caught up (KafkaJSProtocolError, retriable). */
function notLeader(): Error {
  return Object.assign(new Error('This server is not the leader for that topic-partition'), {
    type: 'NOT_LEADER_FOR_PARTITION',
    retriable: true,
  });
}

describe('whileLeadersSettle', () => {
  it('reads again while the broker answers "not the leader", then returns the answer', async () => {
    let calls = 0;
    const r = await whileLeadersSettle(async () => {
      if (++calls < 3) throw notLeader();
      return [{ partition: 0, low: '0', high: '3' }];
    });
    expect(calls).toBe(3);
    expect(r).toEqual([{ partition: 0, low: '0', high: '3' }]);
  });

  it('lets any other error through at once', async () => {
    let calls = 0;
    const refused = Object.assign(new Error('Topic authorization failed'), { retriable: false });
    await expect(
      whileLeadersSettle(async () => {
        calls++;
        throw refused;
      }),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
  });

  it("gives up past its deadline with the broker's own error", async () => {
    let calls = 0;
    const t0 = Date.now();
    await expect(
      whileLeadersSettle(async () => {
        calls++;
        throw notLeader();
      }, 350),
    ).rejects.toThrow('not the leader');
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});
