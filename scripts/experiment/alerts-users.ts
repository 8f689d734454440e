/**
 * The experiment's end users, many in one process (the internal path behind `efd alerts experiment
 * --users-per-process`): a hundred `efd alerts consume` processes do not fit two cores, so one process runs
 * a share of the users with consume.ts's own code (runAlertsUsers: each user its own consumer and group,
 * --mode monitor, as `efd alerts consume --topic <t> --mode monitor --from-beginning` would).
 *
 *   node tsx/dist/cli.mjs scripts/experiment/alerts-users.ts '{"brokers":…,"topicPrefix":…,"first":0,"topics":["Filter001",…]}'
 *
 * stdout: `user:<n>, <status line>` per status line (n = first + the user's place in `topics`), and
 * `users:running, count:<k>` once every user's consumer joined its group. Runs until SIGTERM.
 */
import { consumeConfig, runAlertsUsers } from '../../apps/alerts/consume';

/** What the experiment hands a users process. */
export interface UsersProcessArgs {
  brokers: string;
  topicPrefix: string;
  /** The number of the first user (the lines name users by it). */
  first: number;
  topics: string[];
  logLevel?: string;
}

/** The line a users process writes once every user consumes. */
export const USERS_RUNNING = 'users:running';

export async function main(argv: string[]): Promise<void> {
  const a = JSON.parse(argv[0] ?? '{}') as UsersProcessArgs;
  if (!Array.isArray(a.topics) || a.topics.length === 0) throw new Error('alerts-users: no topics given');
  const c = consumeConfig(
    {
      brokers: a.brokers,
      topicPrefix: a.topicPrefix,
      topic: a.topics[0],
      mode: 'monitor',
      fromBeginning: true,
      clientId: `alerts-users-${a.first}`,
      ...(a.logLevel ? { logLevel: a.logLevel } : {}),
    },
    {},
  );
  await runAlertsUsers(
    c,
    a.topics,
    (i, line) => process.stdout.write(`user:${a.first + i}, ${line}\n`),
    () => process.stdout.write(`${USERS_RUNNING}, count:${a.topics.length}\n`),
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: Error) => {
    process.stderr.write(`alerts-users: ${err.message}\n`);
    process.exitCode = 1;
  });
}
