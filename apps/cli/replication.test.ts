import { flowStatus, formatFlowStatus, topicLag } from './replication';
import { deriveTopology } from '../../config/topology';
import { loadSites } from '../../config/load';
import { freePort } from '../../scripts/local-efd/replication';

describe('efd replication status', () => {
  it('counts lag per partition from end offsets, a missing remote topic lagging by everything', () => {
    expect(
      topicLag(
        [
          { partition: 0, high: '100' },
          { partition: 1, high: '50' },
        ],
        [
          { partition: 0, high: '90' },
          { partition: 1, high: '50' },
        ],
      ),
    ).toBe(10);
    expect(topicLag([{ partition: 0, high: '100' }], [{ partition: 0, high: '120' }])).toBe(0); // duplicates do not make negative lag
    expect(
      topicLag(
        [
          { partition: 0, high: '7' },
          { partition: 1, high: '3' },
        ],
        undefined,
      ),
    ).toBe(10);
  });

  it('shows an unreachable replication worker as FAILED with its URL and the error', async () => {
    const flow = deriveTopology(loadSites()).flows[0];
    const url = `http://127.0.0.1:${await freePort()}`;
    const s = await flowStatus({ flow, connectUrl: url, sourceBrokers: '127.0.0.1:1', targetBrokers: '127.0.0.1:1' });
    expect(s.connectors).toEqual([
      expect.objectContaining({ name: 'replication-summit-*', state: 'FAILED', trace: expect.stringContaining(url) }),
    ]);
    const lines = formatFlowStatus(s);
    expect(lines[0]).toBe(`summit → ldf: lag 0 records, ? s (Connect ${url})`);
    expect(lines[2]).toMatch(new RegExp(`^    connector FAILED at ${url}: ${url}: `));
    expect(s.problems[0]).toMatch(/^Kafka \(127\.0\.0\.1:1 → 127\.0\.0\.1:1\): /);
  }, 30_000);
});
