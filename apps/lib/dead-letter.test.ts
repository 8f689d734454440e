import { deadLetterMessages } from './dead-letter';

describe('deadLetterMessages', () => {
  it('keeps the record and adds why and where from', () => {
    const message = {
      key: Buffer.from('k'),
      value: Buffer.from('v'),
      offset: '41',
      timestamp: '1700000000123',
      headers: { h: Buffer.from('x') },
    };
    const [m] = deadLetterMessages('some-sink', 'lsst.sal.T', 3, [{ message, reason: 'undecodable', detail: 'x'.repeat(1500) }]);
    expect(m.key).toBe(message.key);
    expect(m.value).toBe(message.value);
    expect(m.timestamp).toBe(1_700_000_000_123);
    expect(m.headers).toEqual({
      h: message.headers.h,
      'efd.dlq.reason': 'undecodable',
      'efd.dlq.message': 'x'.repeat(1000),
      'efd.dlq.topic': 'lsst.sal.T',
      'efd.dlq.partition': '3',
      'efd.dlq.offset': '41',
      'efd.dlq.app': 'some-sink',
    });
  });
});
