/**
 * Entry of the parquet-sink image: an `efd` program with only `parquet-sink`
 * (bundled by apps/images.ts; `node /app/efd.js parquet-sink …` = `npx efd parquet-sink …`).
 */
import { appMain } from '../lib/program';
import { registerParquetSinkCommand } from './cli';

appMain(registerParquetSinkCommand);
