/**
 * The principals of a site (config/principals.ts) applied to its Kafka, by the same code that derives
 * them: each user's SCRAM-SHA-512 credential (AlterUserScramCredentials, KIP-554: the broker stores
 * only the salted password) and exactly its ACL bindings (config/acls.ts): missing ones created, ones
 * it no longer declares deleted. The super user is left alone (its credential is the brokers' own login
 * and it has no ACLs). Idempotent: a second run changes no ACL (the credentials get a new salt).
 *
 * @platformatic/kafka 1.35 has createAcls/describeAcls/deleteAcls but no SCRAM method on its Admin; it
 * ships the AlterUserScramCredentials v0 request, sent here on the admin's bootstrap connection (kafkajs
 * 2.2.4 has neither). Passwords never reach a log line: the report names users only.
 */
import * as crypto from 'node:crypto';
import {
  Admin as PltAdmin,
  AclOperations,
  AclPermissionTypes,
  alterUserScramCredentialsV0,
  kGetBootstrapConnection,
  ResourcePatternTypes,
  ResourceTypes,
  type Acl,
  type Connection,
} from '@platformatic/kafka';
import { aclsOf, type AclBinding } from '../../config/acls';
import type { Principal } from '../../config/principals';
import { kafkaErrorMessage, platformaticConnection, type KafkaOptions } from './kafka';
import type { Logger } from './logging';

/** SCRAM mechanism numbers of the Kafka protocol (ScramMechanism). */
const SCRAM_SHA_512 = 2;
/** Iterations of the salted password (Kafka's minimum and kafka-configs' default for SCRAM-SHA-512: 4096). */
export const SCRAM_ITERATIONS = 8192;

/** A SCRAM credential as the broker stores it (RFC 5802): salt and Hi(password, salt, i) with HMAC-SHA-512. */
export function scramCredential(password: string, iterations = SCRAM_ITERATIONS, salt = crypto.randomBytes(32)) {
  if (!password) throw new Error('a SCRAM password must not be empty');
  return { salt, iterations, saltedPassword: crypto.pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 64, 'sha512') };
}

/** Our binding as the wire's ACL. */
export function wireAcl(b: AclBinding): Acl {
  return {
    resourceType: ResourceTypes[b.resourceType],
    resourceName: b.resourceName,
    resourcePatternType: ResourcePatternTypes[b.patternType],
    principal: b.principal,
    host: b.host,
    operation: AclOperations[b.operation],
    permissionType: AclPermissionTypes[b.permission],
  };
}

const wireKey = (a: Acl) =>
  [a.principal, a.host, a.resourceType, a.resourcePatternType, a.resourceName, a.operation, a.permissionType].join('\0');

export interface ApplyPrincipalsReport {
  /** Users whose credential was set. */
  credentials: string[];
  /** Users without a password given: their credential is left as it is. */
  withoutPassword: string[];
  created: number;
  deleted: number;
}

/** Options of {@link applyPrincipals}. */
export interface ApplyPrincipalsOptions {
  /** The password of a user (from its Secret); undefined leaves the user's credential alone. */
  password: (user: string) => string | undefined;
  logger?: Logger;
}

function bootstrapConnection(admin: PltAdmin): Promise<Connection> {
  return new Promise((resolve, reject) =>
    admin[kGetBootstrapConnection]((err, conn) => (err || !conn ? reject(err ?? new Error('no connection')) : resolve(conn))),
  );
}

/**
 * Sets the credentials and ACLs of `principals` (one cluster's) with the super user's `opts`. Throws
 * naming the user and what Kafka answered when a credential or an ACL is refused.
 */
export async function applyPrincipals(
  opts: KafkaOptions,
  principals: readonly Principal[],
  o: ApplyPrincipalsOptions,
): Promise<ApplyPrincipalsReport> {
  const admin = new PltAdmin(platformaticConnection(opts));
  const report: ApplyPrincipalsReport = { credentials: [], withoutPassword: [], created: 0, deleted: 0 };
  try {
    const apps = principals.filter((p) => !p.superUser);
    const upsertions = [];
    for (const p of apps) {
      const password = o.password(p.user);
      if (password === undefined) {
        report.withoutPassword.push(p.user);
        continue;
      }
      upsertions.push({ name: p.user, mechanism: SCRAM_SHA_512, ...scramCredential(password) });
      report.credentials.push(p.user);
    }
    if (upsertions.length) {
      const conn = await bootstrapConnection(admin);
      try {
        await alterUserScramCredentialsV0.api.async(conn, [], upsertions);
      } catch (err) {
        throw new Error(`setting the SCRAM credentials of ${report.credentials.join(', ')} failed: ${kafkaErrorMessage(err)}`, {
          cause: err,
        });
      }
    }
    for (const p of apps) {
      const want = new Map(aclsOf(p).map((b) => [wireKey(wireAcl(b)), wireAcl(b)]));
      const described = await admin.describeAcls({
        filter: {
          resourceType: ResourceTypes.ANY,
          resourceName: null,
          resourcePatternType: ResourcePatternTypes.ANY,
          principal: `User:${p.user}`,
          host: null,
          operation: AclOperations.ANY,
          permissionType: AclPermissionTypes.ANY,
        },
      });
      const have = new Map<string, Acl>();
      for (const r of described)
        for (const a of r.acls) {
          const acl: Acl = { resourceType: r.resourceType, resourceName: r.resourceName, resourcePatternType: r.resourcePatternType, ...a };
          have.set(wireKey(acl), acl);
        }
      const stale = [...have].filter(([k]) => !want.has(k)).map(([, a]) => a);
      const missing = [...want].filter(([k]) => !have.has(k)).map(([, a]) => a);
      try {
        if (stale.length) await admin.deleteAcls({ filters: stale });
        if (missing.length) await admin.createAcls({ creations: missing });
      } catch (err) {
        throw new Error(`applying the ACLs of Kafka user ${p.user} failed: ${kafkaErrorMessage(err)}`, { cause: err });
      }
      report.created += missing.length;
      report.deleted += stale.length;
      if (stale.length || missing.length)
        o.logger?.info({ user: p.user, created: missing.length, deleted: stale.length }, `Kafka user ${p.user}: ACLs applied`);
    }
    return report;
  } finally {
    await admin.close().catch(() => undefined);
  }
}
