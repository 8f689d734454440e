/**
 * SAL text → Avro: one line in, one Confluent-wire-format record out, using the schema registered for
 * the line's topic (subject `[prefix]lsst.sal.<topic>-value`, latest version). Schemas are looked up
 * once per topic and compiled once (avsc); the per-message path is synchronous.
 * A topic with no subject is "unknown" (re-checked after `unknownTopicRecheckMs`).
 */
import { avroType } from '../lib/avro-type';
import type { Logger } from '../lib/logging';
import { LatestSchema, wireEncoder } from '../lib/registry';
import { kafkaTopicOf, subjectOf } from '../lib/sal/register';
import { compileSalTextEncoder, numberReaderProblem } from './fast-encode';
import { layoutFromAvro, parseSalText, SalLayout, SalTextError, SalTextErrorCode, salTextTopic } from '../lib/sal/sal-text';

export type DeadLetterCode = SalTextErrorCode | 'encode';

export type TransformResult =
  { ok: true; topic: string; outTopic: string; value: Buffer } | { ok: false; code: DeadLetterCode; reason: string; topic?: string };

interface Known {
  kind: 'known';
  layout: SalLayout;
  outTopic: string;
  /** Line (record bytes or text) → wire-format message; throws SalTextError for a bad line. */
  encodeLine: (line: string | Buffer, kafkaTimestampMs: number) => Buffer;
  schemaId: number;
}
interface Unknown {
  kind: 'unknown';
  code: DeadLetterCode;
  reason: string;
  until: number;
}

export interface TransformerOptions {
  /** Where schemas come from: the registry client's `latest`. */
  latest: (subject: string) => Promise<LatestSchema | undefined>;
  topicPrefix?: string;
  /**
   * Prefix of the subjects the schemas are read from (default `topicPrefix`: Kafka Connect's TopicNameStrategy).
   * The experiment registers one content-addressed set of schemas and reads it from runs with their own topics.
   */
  subjectPrefix?: string;
  /** How long a topic without schema stays "unknown" before it is looked up again (default 30 s). */
  unknownTopicRecheckMs?: number;
  logger?: Logger;
  now?: () => number;
}

export class SalTransformer {
  private readonly cache = new Map<string, Known | Unknown>();
  private readonly prefix: string;
  private readonly subjectPrefix: string;
  private readonly recheckMs: number;
  private readonly now: () => number;
  private warnedSlow = false;

  constructor(private readonly opts: TransformerOptions) {
    this.prefix = opts.topicPrefix ?? '';
    this.subjectPrefix = opts.subjectPrefix ?? this.prefix;
    this.recheckMs = opts.unknownTopicRecheckMs ?? 30_000;
    this.now = opts.now ?? Date.now;
  }

  /** SAL topic of a line (record bytes or text), or the dead-letter result when it has none. */
  topicOf(line: string | Buffer): string | TransformResult {
    try {
      return salTextTopic(line);
    } catch (err) {
      return { ok: false, code: 'syntax', reason: (err as Error).message };
    }
  }

  /** Loads (or re-checks) the schemas of these topics; registry outages are retried by the registry client. */
  async prepare(topics: Iterable<string>): Promise<void> {
    const t = this.now();
    const todo = [...new Set(topics)].filter((topic) => {
      const c = this.cache.get(topic);
      return !c || (c.kind === 'unknown' && c.until <= t);
    });
    await Promise.all(todo.map((topic) => this.load(topic)));
  }

  private async load(topic: string): Promise<void> {
    const subject = subjectOf(topic, this.subjectPrefix);
    // a registry error other than "no such subject" propagates: the batch is not committed and is retried
    const latest = await this.opts.latest(subject);
    if (!latest) {
      const reason = `unknown topic ${topic}: no schema under subject ${subject} in the schema registry (register it with efd salschema register)`;
      this.cache.set(topic, { kind: 'unknown', code: 'unknown-topic', reason, until: this.now() + this.recheckMs });
      this.opts.logger?.warn({ topic, subject }, reason);
      return;
    }
    try {
      const layout = layoutFromAvro(latest.schema as { name?: string; fields?: unknown[] }, topic);
      const type = avroType(latest.schema);
      const encode = wireEncoder(latest.id, type);
      const encodeLine =
        compileSalTextEncoder(layout, latest.schema as { fields?: { name: string; type: unknown }[] }, latest.id, type) ??
        ((line: string | Buffer, ts: number) => encode(parseSalText(typeof line === 'string' ? line : line.toString('utf8'), layout, ts)));
      this.cache.set(topic, { kind: 'known', layout, encodeLine, outTopic: kafkaTopicOf(topic, this.prefix), schemaId: latest.id });
      const slow = numberReaderProblem();
      if (slow && !this.warnedSlow) {
        this.warnedSlow = true;
        this.opts.logger?.warn(slow);
      }
      this.opts.logger?.info({ topic, schemaId: latest.id }, `schema ${latest.id} (version ${latest.version}) for ${topic}`);
    } catch (err) {
      const reason = `${subject}: ${(err as Error).message}`;
      this.cache.set(topic, { kind: 'unknown', code: 'schema', reason, until: this.now() + this.recheckMs });
      this.opts.logger?.error({ topic, subject }, reason);
    }
  }

  /** Transforms a line (the Kafka record's bytes, or text) whose topic was prepared. */
  transform(topic: string, line: string | Buffer, kafkaTimestampMs: number): TransformResult {
    const c = this.cache.get(topic);
    if (!c) return { ok: false, code: 'unknown-topic', reason: `unknown topic ${topic}: not prepared`, topic };
    if (c.kind === 'unknown') return { ok: false, code: c.code, reason: c.reason, topic };
    try {
      return { ok: true, topic, outTopic: c.outTopic, value: c.encodeLine(line, kafkaTimestampMs) };
    } catch (err) {
      if (err instanceof SalTextError) return { ok: false, code: err.code, reason: err.message, topic };
      return {
        ok: false,
        code: 'encode',
        reason: `${topic}: Avro encoding with schema ${c.schemaId} failed: ${(err as Error).message}`,
        topic,
      };
    }
  }

  /** prepare + transform of one line (convenience; the consumer batches prepare). */
  async transformOne(line: string | Buffer, kafkaTimestampMs: number): Promise<TransformResult> {
    const topic = this.topicOf(line);
    if (typeof topic !== 'string') return topic;
    await this.prepare([topic]);
    return this.transform(topic, line, kafkaTimestampMs);
  }
}
