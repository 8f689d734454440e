/**
 * Kafka ACL bindings derived from the principals (./principals.ts): each declaration becomes the
 * operations Kafka checks for it, on the same resource and nothing else, always ALLOW from any host.
 *
 *   reads            TOPIC READ, DESCRIBE      (Fetch, ListOffsets, Metadata; OffsetCommit needs READ too)
 *   writes           TOPIC WRITE, DESCRIBE     (Produce; the idempotent producer's InitProducerId is
 *                                               allowed by WRITE on any topic, KIP-679: no CLUSTER ACL)
 *   creates          TOPIC CREATE              (CreateTopics, auto-creation on Metadata)
 *   describes        TOPIC DESCRIBE
 *   describesConfigs TOPIC DESCRIBE_CONFIGS
 *   alters           TOPIC ALTER_CONFIGS, ALTER (IncrementalAlterConfigs, CreatePartitions)
 *   groups           GROUP READ                (JoinGroup … OffsetCommit/Fetch; DESCRIBE is implied)
 *   describesGroups  GROUP DESCRIBE
 *
 * The super user gets no bindings: the broker's `super.users` lists it ({@link superUsers}).
 */
import type { Principal } from './principals';
import type { PatternType, ResourceRef } from './topic-refs';

export type AclResourceType = 'TOPIC' | 'GROUP' | 'CLUSTER';
export type AclOperation = 'READ' | 'WRITE' | 'CREATE' | 'DESCRIBE' | 'DESCRIBE_CONFIGS' | 'ALTER_CONFIGS' | 'ALTER';

export interface AclBinding {
  /** `User:<name>` */
  readonly principal: string;
  readonly resourceType: AclResourceType;
  readonly resourceName: string;
  readonly patternType: PatternType;
  readonly operation: AclOperation;
  readonly permission: 'ALLOW';
  readonly host: '*';
}

/** Which principal field grants which operations on which resource type. */
export const GRANTS: readonly { field: keyof Principal; resourceType: AclResourceType; operations: readonly AclOperation[] }[] = [
  { field: 'reads', resourceType: 'TOPIC', operations: ['READ', 'DESCRIBE'] },
  { field: 'writes', resourceType: 'TOPIC', operations: ['WRITE', 'DESCRIBE'] },
  { field: 'creates', resourceType: 'TOPIC', operations: ['CREATE'] },
  { field: 'describes', resourceType: 'TOPIC', operations: ['DESCRIBE'] },
  { field: 'describesConfigs', resourceType: 'TOPIC', operations: ['DESCRIBE_CONFIGS'] },
  { field: 'alters', resourceType: 'TOPIC', operations: ['ALTER_CONFIGS', 'ALTER'] },
  { field: 'groups', resourceType: 'GROUP', operations: ['READ'] },
  { field: 'describesGroups', resourceType: 'GROUP', operations: ['DESCRIBE'] },
];

export const kafkaPrincipal = (user: string) => `User:${user}`;

const bindingKey = (b: AclBinding) => [b.principal, b.resourceType, b.patternType, b.resourceName, b.operation].join('\0');

/** The ACL bindings of one principal, without duplicates, sorted. */
export function aclsOf(p: Principal): AclBinding[] {
  if (p.superUser) return [];
  const out = new Map<string, AclBinding>();
  for (const g of GRANTS) {
    for (const ref of p[g.field] as readonly ResourceRef[]) {
      if (ref.name === '' || ref.name === '*')
        throw new Error(`principal ${p.user}: ${g.field} names "${ref.name}": only the super user reaches every ${g.resourceType}`);
      for (const operation of g.operations) {
        const b: AclBinding = {
          principal: kafkaPrincipal(p.user),
          resourceType: g.resourceType,
          resourceName: ref.name,
          patternType: ref.pattern,
          operation,
          permission: 'ALLOW',
          host: '*',
        };
        out.set(bindingKey(b), b);
      }
    }
  }
  return [...out.values()].sort((a, b) => (bindingKey(a) < bindingKey(b) ? -1 : bindingKey(a) > bindingKey(b) ? 1 : 0));
}

/** Every binding of a cluster's principals; throws when two principals share a user name. */
export function clusterAcls(principals: readonly Principal[]): AclBinding[] {
  const seen = new Set<string>();
  for (const p of principals) {
    if (seen.has(`${p.cluster}\0${p.user}`))
      throw new Error(`Kafka user "${p.user}" is declared twice in the cluster of site "${p.cluster}"`);
    seen.add(`${p.cluster}\0${p.user}`);
  }
  return principals.flatMap(aclsOf);
}

/** The broker's `super.users` value for these principals (`User:admin`), plus `extra` (the controller listener's principal). */
export function superUsers(principals: readonly Principal[], extra: readonly string[] = []): string {
  return [...principals.filter((p) => p.superUser).map((p) => kafkaPrincipal(p.user)), ...extra].join(';');
}

/** Whether `bindings` allow `user` the `operation` on the resource `name` (what the authorizer decides, ALLOW-only). */
export function allows(
  bindings: readonly AclBinding[],
  user: string,
  resourceType: AclResourceType,
  name: string,
  operation: AclOperation,
): boolean {
  const implied: Record<AclOperation, AclOperation[]> = {
    READ: ['READ'],
    WRITE: ['WRITE'],
    CREATE: ['CREATE'],
    // Kafka: READ, WRITE, DELETE and ALTER imply DESCRIBE
    DESCRIBE: ['DESCRIBE', 'READ', 'WRITE', 'ALTER'],
    // ALTER_CONFIGS implies DESCRIBE_CONFIGS
    DESCRIBE_CONFIGS: ['DESCRIBE_CONFIGS', 'ALTER_CONFIGS'],
    ALTER_CONFIGS: ['ALTER_CONFIGS'],
    ALTER: ['ALTER'],
  };
  return bindings.some(
    (b) =>
      b.principal === kafkaPrincipal(user) &&
      b.resourceType === resourceType &&
      implied[operation].includes(b.operation) &&
      (b.patternType === 'LITERAL' ? b.resourceName === name : name.startsWith(b.resourceName)),
  );
}
