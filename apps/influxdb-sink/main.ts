/**
 * Entry of the influxdb-sink image: an `efd` program with only `influxdb-sink`
 * (bundled by apps/images.ts; `node /app/efd.js influxdb-sink …` = `npx efd influxdb-sink …`).
 */
import { appMain } from '../lib/program';
import { registerInfluxdbSinkCommand } from './cli';

appMain(registerInfluxdbSinkCommand);
