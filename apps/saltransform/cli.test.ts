import { KafkaJSProtocolError } from 'kafkajs';
import { isRetriableStartError } from './cli';

describe('saltransform start-up on a broker that is not ready', () => {
  it('waits out retriable Kafka errors: no leader yet, coordinator loading', () => {
    expect(isRetriableStartError(new KafkaJSProtocolError({ message: 'This server does not host this topic-partition', type: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true }))).toBe(true);
    expect(isRetriableStartError(new Error("The coordinator is loading and hence can't process requests for this group"))).toBe(true);
    expect(isRetriableStartError(new Error('This server does not host this topic-partition'))).toBe(true);
  });

  it('stops on everything else: bad credentials, bad configuration', () => {
    expect(isRetriableStartError(new KafkaJSProtocolError({ message: 'SASL authentication failed', type: 'SASL_AUTHENTICATION_FAILED', code: 58, retriable: false }))).toBe(false);
    expect(isRetriableStartError(new Error('Invalid replication factor'))).toBe(false);
  });
});
