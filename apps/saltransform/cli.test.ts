import { KafkaJSProtocolError } from 'kafkajs';
import { isRetriableStartError } from './cli';

/** A kafkajs protocol error as the client raises it from a broker's error code. */
const protocolError = (fields: { message: string; type: string; code: number; retriable: boolean }) =>
  new KafkaJSProtocolError(fields as unknown as Error);

describe('saltransform start-up on a broker that is not ready', () => {
  it('waits out retriable Kafka errors: no leader yet, coordinator loading', () => {
    expect(
      isRetriableStartError(
        protocolError({
          message: 'This server does not host this topic-partition',
          type: 'UNKNOWN_TOPIC_OR_PARTITION',
          code: 3,
          retriable: true,
        }),
      ),
    ).toBe(true);
    expect(isRetriableStartError(new Error("The coordinator is loading and hence can't process requests for this group"))).toBe(true);
    expect(isRetriableStartError(new Error('This server does not host this topic-partition'))).toBe(true);
  });

  it('stops on everything else: bad credentials, bad configuration', () => {
    expect(
      isRetriableStartError(
        protocolError({ message: 'SASL authentication failed', type: 'SASL_AUTHENTICATION_FAILED', code: 58, retriable: false }),
      ),
    ).toBe(false);
    expect(isRetriableStartError(new Error('Invalid replication factor'))).toBe(false);
  });
});
