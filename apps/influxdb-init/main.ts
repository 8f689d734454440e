/**
 * Entry of the influxdb-init image: an `efd` program with only `influxdb-init` and `influxdb-downsample`
 * (bundled by apps/images.ts; the downsampler Deployment runs the same image).
 */
import { appMain } from '../lib/program';
import { registerInfluxdbDownsampleCommand, registerInfluxdbInitCommand } from './cli';
import { registerInfluxdbBackupCommand } from './backup-cli';

appMain(registerInfluxdbInitCommand, registerInfluxdbDownsampleCommand, registerInfluxdbBackupCommand);
