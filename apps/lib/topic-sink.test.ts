import { Counter, Gauge, Registry } from 'prom-client';
import type { EfdConsumer } from './kafka-consumer';
import { silentLogger } from './logging';
import { TopicSink, type SinkFetchOptions, type TopicSinkOptions } from './topic-sink';

class TestSink extends TopicSink {
  protected handleBatch(): Promise<void> {
    return Promise.resolve();
  }
  protected drain(_c: EfdConsumer): Promise<void> {
    return Promise.resolve();
  }
  deadLetters(): Promise<void> {
    return this.produceDeadLetters('t', 0, []);
  }
}

function options(over: Partial<TopicSinkOptions> = {}): TopicSinkOptions {
  const registers = [new Registry()];
  return {
    app: 'test-sink',
    kafka: { brokers: ['localhost:1'], clientId: 'test-sink' },
    logger: silentLogger(),
    topicsRegex: 'lsst\\.sal\\..*',
    groupId: 'g',
    deadLetterTopic: 'lsst.efd.dlq.test',
    partitionsConcurrency: 1,
    topicRefreshMs: 5000,
    fromBeginning: true,
    sessionTimeoutMs: 6000,
    topics: new Gauge({ name: 'test_sink_topics', help: 'topics', registers }),
    deadLetters: new Counter({ name: 'test_sink_dead_letters_total', help: 'dead', labelNames: ['reason'], registers }),
    ...over,
  };
}

const fetch: SinkFetchOptions = { maxBytesPerPartition: 1024 };

describe('TopicSink', () => {
  it('refuses a dead-letter topic that the topics regex matches', () => {
    expect(() => new TestSink(options({ deadLetterTopic: 'lsst.sal.dlq' }), fetch)).toThrow(
      'dead-letter topic lsst.sal.dlq matches the topics regex lsst\\.sal\\..*; choose another',
    );
  });

  it('is healthy until stopped, then reports it', async () => {
    const sink = new TestSink(options(), fetch);
    expect(sink.health()).toEqual({ ok: true });
    expect(sink.subscribed).toEqual([]);
    await sink.stop();
    expect(sink.health()).toEqual({ ok: false, reason: 'stopped' });
  });

  it('produces no dead letters before start', async () => {
    await expect(new TestSink(options(), fetch).deadLetters()).rejects.toThrow('sink not started');
  });
});
