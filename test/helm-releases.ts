/** Test helper: the Helm releases the committed sites synthesize, as written to cdk.tf.json. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadSites } from '../config/load';
import { synthSites } from '../scripts/synth';

export interface SynthesizedRelease {
  chart: string;
  version: string;
  values: string[];
}

/**
 * Synthesizes every committed site into a temporary folder (removed after the calling suite) and
 * returns each stack's `helm_release` resources as `["<stack> <resource>", release]`.
 */
export function synthesizedReleases(): (readonly [string, SynthesizedRelease])[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-keys-'));
  synthSites(loadSites(), outdir);
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));
  return fs.readdirSync(path.join(outdir, 'stacks')).flatMap((stack) => {
    const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
    return Object.entries((json.resource?.helm_release ?? {}) as Record<string, SynthesizedRelease>).map(
      ([name, r]) => [`${stack} ${name}`, r] as const,
    );
  });
}
