/**
 * Kafka's refusals, told apart from the errors worth retrying: a login refused (SASL authentication:
 * an unknown user or a wrong password) or an operation refused (TOPIC/GROUP/CLUSTER authorization:
 * the user lacks the ACL). Neither fixes itself, so the apps stop on them with a message naming the
 * user, the resource and the operation ({@link KafkaRefusedError}), instead of retrying.
 *
 * Both clients are read: @platformatic/kafka's ProtocolError (`apiId`, inside a ResponseError naming the
 * API, inside MultipleErrors/`cause`) and AuthenticationError; kafkajs' `type` and its SASL error. The
 * password is never part of the message (the login options are not in any error).
 */
import type { AclOperation, AclResourceType } from '../../config/acls';

export type RefusalCode =
  | 'SASL_AUTHENTICATION_FAILED'
  | 'TOPIC_AUTHORIZATION_FAILED'
  | 'GROUP_AUTHORIZATION_FAILED'
  | 'CLUSTER_AUTHORIZATION_FAILED'
  | 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED';

const CODES: ReadonlySet<string> = new Set<RefusalCode>([
  'SASL_AUTHENTICATION_FAILED',
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]);

export interface Refusal {
  code: RefusalCode;
  /** The request Kafka refused (`Produce`, `JoinGroup` …) when the error names it. */
  api?: string;
  /** Topics the answer names (a refused Produce names its topics). */
  topics: string[];
  /** The broker's own words, when it sent any. */
  detail?: string;
  /** Already explained (a {@link KafkaRefusedError} in the chain). */
  refused?: KafkaRefusedError;
}

type ErrorLike = Error & {
  code?: unknown;
  apiId?: unknown;
  type?: unknown;
  errors?: unknown;
  response?: unknown;
  serverErrorMessage?: unknown;
  path?: unknown;
};

/** The refusal somewhere in `err`'s chain (its causes and aggregated errors), or undefined. */
export function kafkaRefusal(err: unknown): Refusal | undefined {
  let found: Refusal | undefined;
  const visit = (e: unknown, depth: number, api: string | undefined, response: unknown) => {
    if (found || !(e instanceof Error) || depth > 8) return;
    if (e instanceof KafkaRefusedError) {
      found = { code: e.code, api: e.api, topics: e.resourceType === 'TOPIC' ? e.resources : [], refused: e };
      return;
    }
    const x = e as ErrorLike;
    const named = /executing API (\w+)\(v\d+\)/.exec(x.message)?.[1] ?? api;
    response = x.response ?? response;
    const code =
      typeof x.apiId === 'string' && CODES.has(x.apiId)
        ? x.apiId
        : typeof x.type === 'string' && CODES.has(x.type)
          ? x.type
          : x.code === 'PLT_KFK_AUTHENTICATION' || x.name === 'KafkaJSSASLAuthenticationError'
            ? 'SASL_AUTHENTICATION_FAILED'
            : undefined;
    if (code) {
      found = {
        code: code as RefusalCode,
        api: code === 'SASL_AUTHENTICATION_FAILED' ? 'SaslAuthenticate' : named,
        topics: topicsOf(x, response),
        detail: typeof x.serverErrorMessage === 'string' && x.serverErrorMessage ? x.serverErrorMessage : undefined,
      };
      return;
    }
    if (Array.isArray(x.errors)) for (const c of x.errors) visit(c, depth + 1, named, response);
    if (x.cause !== undefined) visit(x.cause, depth + 1, named, response);
  };
  visit(err, 0, undefined, undefined);
  return found;
}

/** The topic a produce answer's error path points at (`/responses/<i>/…`), or the topics kafkajs' message lists. */
function topicsOf(e: ErrorLike, response: unknown): string[] {
  const m = typeof e.path === 'string' ? /^\/responses\/(\d+)/.exec(e.path) : null;
  const r = (response as { responses?: { name?: string }[] } | undefined)?.responses?.[Number(m?.[1])];
  if (m && r?.name) return [r.name];
  const listed = /Not authorized to access topics: \[([^\]]*)\]/.exec(e.message)?.[1];
  return listed && !/authorization failed/i.test(listed)
    ? listed
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
    : [];
}

/** The ACL operation a refused request needed, by resource type and request. */
const OPERATIONS: Record<'TOPIC' | 'GROUP' | 'CLUSTER', Record<string, string>> = {
  TOPIC: {
    Produce: 'WRITE',
    Fetch: 'READ',
    OffsetCommit: 'READ',
    TxnOffsetCommit: 'READ',
    OffsetFetch: 'DESCRIBE',
    ListOffsets: 'DESCRIBE',
    Metadata: 'DESCRIBE',
    CreateTopics: 'CREATE',
    CreatePartitions: 'ALTER',
    DeleteTopics: 'DELETE',
    DeleteRecords: 'DELETE',
    DescribeConfigs: 'DESCRIBE_CONFIGS',
    AlterConfigs: 'ALTER_CONFIGS',
    IncrementalAlterConfigs: 'ALTER_CONFIGS',
  },
  GROUP: {
    FindCoordinator: 'DESCRIBE',
    JoinGroup: 'READ',
    SyncGroup: 'READ',
    Heartbeat: 'READ',
    LeaveGroup: 'READ',
    OffsetCommit: 'READ',
    OffsetFetch: 'DESCRIBE',
    OffsetDelete: 'DELETE',
    DescribeGroups: 'DESCRIBE',
    ListGroups: 'DESCRIBE',
    DeleteGroups: 'DELETE',
    ConsumerGroupHeartbeat: 'READ',
  },
  CLUSTER: { InitProducerId: 'IDEMPOTENT_WRITE', CreateTopics: 'CREATE', DescribeCluster: 'DESCRIBE', DescribeAcls: 'DESCRIBE' },
};

/** What the caller knows of the refused operation, where the error does not say it. */
export interface RefusalContext {
  /** The Kafka user the client logged in as (undefined: no SASL). */
  user?: string;
  /** The consumer group of the client. */
  group?: string;
  /** The topics it was working on. */
  topics?: readonly string[];
  /** The operation, when the request does not tell it (e.g. CREATE for the admin's createTopics). */
  operation?: AclOperation | 'IDEMPOTENT_WRITE' | 'DELETE';
  resourceType?: AclResourceType;
  /** What the client was doing (`connecting the producer to 127.0.0.1:9092`), said after the refusal. */
  doing?: string;
}

/** Kafka refused a login or an operation: what, to whom, on what; never retried. */
export class KafkaRefusedError extends Error {
  readonly retriable = false;
  readonly user: string | undefined;
  readonly code: RefusalCode;
  readonly resourceType: 'TOPIC' | 'GROUP' | 'CLUSTER' | 'TRANSACTIONAL_ID' | undefined;
  readonly resources: string[];
  readonly operation: string | undefined;
  readonly api: string | undefined;

  constructor(refusal: Refusal, ctx: RefusalContext, options?: { cause?: unknown }) {
    const user = ctx.user;
    const who = user ? `user "${user}"` : "the client's anonymous user (no SASL login)";
    let message: string;
    let resourceType: KafkaRefusedError['resourceType'];
    let resources: string[] = [];
    let operation: string | undefined;
    if (refusal.code === 'SASL_AUTHENTICATION_FAILED') {
      message =
        `Kafka refused the login of ${who}: SASL authentication failed (no such user, or a wrong password)` +
        `; check the user (--sasl-username, KAFKA_SASL_USERNAME) and the password in its Secret (KAFKA_SASL_PASSWORD)`;
    } else {
      resourceType = refusal.code.replace('_AUTHORIZATION_FAILED', '') as KafkaRefusedError['resourceType'];
      const table = resourceType === 'TOPIC' || resourceType === 'GROUP' || resourceType === 'CLUSTER' ? OPERATIONS[resourceType] : {};
      operation = (refusal.api && table[refusal.api]) ?? (ctx.resourceType === resourceType ? ctx.operation : undefined);
      if (resourceType === 'TOPIC') resources = refusal.topics.length ? refusal.topics : [...(ctx.topics ?? [])];
      else if (resourceType === 'GROUP') resources = ctx.group ? [ctx.group] : [];
      else if (resourceType === 'CLUSTER') resources = ['kafka-cluster'];
      const what = `${operation ?? 'the operation'} on ${resourceType}${resources.length ? ` ${resources.join(', ')}` : ''}`;
      const hint =
        resourceType === 'CLUSTER' && operation === 'IDEMPOTENT_WRITE'
          ? ' (the idempotent producer needs WRITE on at least one topic)'
          : '';
      message =
        `Kafka refused ${who} ${what}${refusal.api ? ` (${refusal.code} in ${refusal.api})` : ` (${refusal.code})`}${hint}` +
        `; the user lacks that ACL: declare it for the app in config/principals.ts and apply the principals, or configure the app within what its principal allows`;
    }
    if (refusal.detail && !message.includes(refusal.detail)) message += ` [broker: ${refusal.detail}]`;
    if (ctx.doing) message += ` (while ${ctx.doing})`;
    super(message, options);
    this.name = 'KafkaRefusedError';
    this.user = user;
    this.code = refusal.code;
    this.resourceType = resourceType;
    this.resources = resources;
    this.operation = operation;
    this.api = refusal.api;
  }
}

/** `err` as a {@link KafkaRefusedError} when it is a refusal (already one: unchanged), else undefined. */
export function refusedError(err: unknown, ctx: RefusalContext): KafkaRefusedError | undefined {
  const r = kafkaRefusal(err);
  if (!r) return undefined;
  // explained below already: keep it, unless it did not know the user (a layer that did not have the login)
  if (r.refused && (r.refused.user !== undefined || ctx.user === undefined)) return r.refused;
  return new KafkaRefusedError(r, { ...ctx, topics: ctx.topics ?? r.refused?.resources }, { cause: err });
}

/** `err` explained when it is a refusal, else `err` itself. */
export function explainRefusal(err: unknown, ctx: RefusalContext): unknown {
  return refusedError(err, ctx) ?? err;
}
