/**
 * `kafka-users-apply` of the connect-manager image: the site's Kafka users Job (constructs/kafka-users-job.ts).
 * Applies the principals it is given (config/principals.ts, as JSON: no secret in them) to a Kafka with
 * applyPrincipals (apps/lib/kafka-principals.ts): each user's SCRAM-SHA-512 credential and exactly its ACLs.
 * It logs in as the super user (KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD, the admin's Secret); each
 * user's password comes from `KAFKA_USER_PASSWORD_<USER>` (config/principals.ts passwordEnvOf, its
 * Secret's key `password`). A user whose password is missing or empty fails the run before anything
 * changes, naming the user, the variable and the Secret; no password is ever printed.
 *
 *   kafka-users-apply --bootstrap-servers kafka:9092 --principals-json '[{"user":"saltransform",…}]'
 */
import { Command } from 'commander';
import { z } from 'zod';
import { clusterAcls } from '../../config/acls';
import { PASSWORD_KEY, passwordEnvOf, principalSchema, type Principal } from '../../config/principals';
import { BadInputError, UsageError } from '../lib/exit-codes';
import { KAFKA_ENV } from '../lib/config';
import { CliOutput, stdio } from '../lib/cli-output';
import { applyPrincipals } from '../lib/kafka-principals';

/** The principals of `--principals-json`, or a bad-input error naming the flag and the field. */
export function parsePrincipalsJson(text: string): Principal[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`--principals-json: not JSON (${(err as Error).message})`);
  }
  const r = z.array(principalSchema).min(1).safeParse(data);
  if (!r.success)
    throw new BadInputError(`--principals-json: ${r.error.issues.map((i) => `[${i.path.join('].')}: ${i.message}`).join('; ')}`);
  try {
    clusterAcls(r.data); // one user once, no '*' for anyone but the super user
  } catch (err) {
    throw new BadInputError(`--principals-json: ${(err as Error).message}`);
  }
  return r.data;
}

/** Each app user's password from the environment; throws naming every user whose variable is missing or empty. */
export function passwordsFrom(principals: readonly Principal[], env: Record<string, string | undefined>): Map<string, string> {
  const out = new Map<string, string>();
  const missing: string[] = [];
  for (const p of principals.filter((x) => !x.superUser)) {
    const v = env[passwordEnvOf(p.user)];
    if (v) out.set(p.user, v);
    else missing.push(`${p.user} (env ${passwordEnvOf(p.user)} from Secret ${p.secret}, key ${PASSWORD_KEY})`);
  }
  if (missing.length) throw new UsageError(`no password for Kafka user(s) ${missing.join(', ')}: nothing applied`);
  return out;
}

export function registerUsersApplyCommand(program: Command, io: CliOutput = stdio, env: NodeJS.ProcessEnv = process.env): Command {
  return program
    .command('kafka-users-apply')
    .description("apply the site's Kafka users (SCRAM-SHA-512) and ACLs, derived from its principals (the users Job)")
    .requiredOption('--bootstrap-servers <hosts>', 'Kafka bootstrap servers host:port[,…]')
    .requiredOption('--principals-json <json>', 'the principals of this Kafka, JSON (config/principals.ts)')
    .action(async (flags: { bootstrapServers: string; principalsJson: string }) => {
      const principals = parsePrincipalsJson(flags.principalsJson);
      const passwords = passwordsFrom(principals, env);
      const username = env[KAFKA_ENV.saslUsername];
      const password = env[KAFKA_ENV.saslPassword];
      if (!username || !password)
        throw new UsageError(
          `the super user's login: set env ${KAFKA_ENV.saslUsername} and ${KAFKA_ENV.saslPassword} (the admin's Secret)`,
        );
      const report = await applyPrincipals(
        { brokers: flags.bootstrapServers, clientId: 'efd-kafka-users-apply', sasl: { mechanism: 'scram-sha-512', username, password } },
        principals,
        { password: (u) => passwords.get(u) },
      );
      io.out(`credentials set: ${report.credentials.join(', ')}`);
      io.out(`ACLs: ${report.created} created, ${report.deleted} deleted`);
    });
}
