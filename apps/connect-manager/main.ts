/**
 * Entry of the connect-manager image: an `efd` program with only the `connectors` group, `connect-manager`, `topics-apply` (the topics Job)
 * and `kafka-users-apply` (the Kafka users Job)
 * (bundled by apps/images.ts; `node /app/efd.js connect-manager …` = `npx efd connect-manager …`).
 */
import { appMain } from '../lib/program';
import { registerConnectorsCommand } from './cli';
import { registerTopicsApplyCommand } from './topics';
import { registerUsersApplyCommand } from './users';

appMain(registerConnectorsCommand, registerTopicsApplyCommand, registerUsersApplyCommand);
