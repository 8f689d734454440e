import { flowStatus, formatFlowStatus, statusExitCode, topicLag } from './replication';
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
    // Neither cluster answers: the lag is unknown (not 0), each cluster named with its address and the client's error.
    expect(s.lagRecords).toBeUndefined();
    expect(s.reachable).toEqual({ connect: false, source: false, aggregator: false });
    const lines = formatFlowStatus(s);
    expect(lines[0]).toBe(`summit → ldf: lag ? records, ? s (Connect ${url})`);
    expect(lines[2]).toMatch(new RegExp(`^    connector FAILED at ${url}: ${url}: `));
    expect(s.problems).toEqual([
      expect.stringMatching(/^source Kafka 127\.0\.0\.1:1 unreachable: .*ECONNREFUSED.*; replication stalls until it is back$/),
      expect.stringMatching(
        /^aggregator Kafka 127\.0\.0\.1:1 unreachable: .*ECONNREFUSED.*the task states are the last the worker could store/,
      ),
    ]);
    expect(statusExitCode(s)).toBe(4);
  }, 30_000);

  it("prints a failed task's first trace line with its root cause (the server's own message)", () => {
    const trace =
      'org.apache.kafka.connect.errors.ConnectException: Unrecoverable exception from producer send callback\n\tat org.apache.kafka.connect...\n' +
      'Caused by: org.apache.kafka.common.errors.TimeoutException: Expiring 1 record(s)\n\tat x\nCaused by: org.apache.kafka.common.errors.RecordTooLargeException: The message is 90 bytes when serialized which is larger than 16.\n\tat y';
    const lines = formatFlowStatus({
      flow: 'summit → ldf',
      connectUrl: 'http://w:8083',
      lagRecords: 3,
      lagSeconds: 12.5,
      reachable: { connect: true, source: true, aggregator: true },
      problems: [],
      topics: [],
      connectors: [{ name: 'replication-summit-source', state: 'RUNNING', tasks: [{ id: 0, state: 'FAILED', trace }] }],
    });
    expect(lines[2]).toBe(
      '    task 0 FAILED at http://w:8083: org.apache.kafka.connect.errors.ConnectException: Unrecoverable exception from producer send callback — ' +
        'org.apache.kafka.common.errors.RecordTooLargeException: The message is 90 bytes when serialized which is larger than 16.',
    );
  });
});
