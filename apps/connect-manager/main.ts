/**
 * Entry of the connect-manager image: an `efd` program with only the `connectors` group and `connect-manager`
 * (bundled by apps/images.ts; `node /app/efd.js connect-manager …` = `npx efd connect-manager …`).
 */
import { appMain } from '../lib/program';
import { registerConnectorsCommand } from './cli';

appMain(registerConnectorsCommand);
