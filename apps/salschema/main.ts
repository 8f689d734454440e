/**
 * Entry of the salschema image: an `efd` program with only `salschema convert|register|check`
 * (bundled by apps/images.ts; `node /app/efd.js salschema …` = `npx efd salschema …`).
 */
import { appMain } from '../lib/program';
import { registerSalschemaCommand } from './cli';

appMain(registerSalschemaCommand);
