/**
 * Entry of the salmock image: an `efd` program with only `salmock`
 * (bundled by apps/images.ts; `node /app/efd.js salmock …` = `npx efd salmock …`).
 */
import { appMain } from '../lib/program';
import { registerSalmockCommand } from './cli';

appMain(registerSalmockCommand);
