/**
 * Entry of the alerts image: an `efd` program with only `alerts` (produce, filter, consume; bundled by
 * apps/images.ts; `node /app/efd.js alerts …` = `npx efd alerts …`).
 */
import { appMain } from '../lib/program';
import { registerAlertsCommand } from './cli';

appMain(registerAlertsCommand);
