/** The experiment's default input (until the generated set lands: the shared ts_xml copy beside the clone). */
import * as path from 'node:path';

export function defaultInterfaces(): string {
  return path.resolve(__dirname, '..', '..', '..', 'shared', 'fixtures', 'ts_xml', 'current');
}
