/**
 * Entry of the saltransform image: an `efd` program with only `saltransform`
 * (bundled by apps/images.ts; `node /app/efd.js saltransform …` = `npx efd saltransform …`).
 */
import { appMain } from '../lib/program';
import { registerSaltransformCommand } from './cli';

appMain(registerSaltransformCommand);
