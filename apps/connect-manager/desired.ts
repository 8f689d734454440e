/**
 * Reads the desired connector set the ConnectorSet construct synthesized (format: config/connector-spec.ts):
 * a folder (every `*.json` in it, Kubernetes' `..data` links included) or one JSON file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConnectorSpec, parseDesired, validateSpecs } from '../../config/connector-spec';

/** Reads the desired set from a folder of `*.json` files or one JSON file. */
export function readDesired(location: string): ConnectorSpec[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(location);
  } catch {
    throw new Error(`desired connectors: ${location} does not exist (pass --desired <folder|file>, e.g. the mounted ConfigMap folder)`);
  }
  if (!stat.isDirectory()) return validateSpecs(parseDesired(fs.readFileSync(location, 'utf8'), location), location);
  const files = fs
    .readdirSync(location)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .sort();
  const specs = files.flatMap((f) => parseDesired(fs.readFileSync(path.join(location, f), 'utf8'), path.join(location, f)));
  return validateSpecs(specs, location);
}
