/**
 * Entry of the aggregator image: an `efd` program with only `aggregator`
 * (bundled by apps/images.ts; `node /app/efd.js aggregator …` = `npx efd aggregator …`).
 */
import { appMain } from '../lib/program';
import { registerAggregatorCommand } from './cli';

appMain(registerAggregatorCommand);
