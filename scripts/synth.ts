/**
 * Synthesizes every site into one output folder, atomically: the App writes
 * into a scratch folder beside the target and replaces the target only when
 * the whole synth (config, constructs, invariants) succeeded, so a failed
 * synth never leaves half of a new output over a good previous one.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdktf';
import type { Site } from '../config/schema';
import { buildSites, SiteStacks } from '../stacks/app';

/** Set by `cdktf synth` for its app: write stacks even when they carry error annotations. */
const CONTINUE_ON_ERRORS = 'CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS';

export interface SynthResult {
  outdir: string;
  stacks: SiteStacks[];
}

export function synthSites(sites: Site[], outdir: string, options: { hcl?: boolean } = {}): SynthResult {
  const target = path.resolve(outdir);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const scratch = fs.mkdtempSync(`${target}.partial-`);
  // cdktf's stack synthesizer reads the HCL switch from the environment only.
  const previousHcl = process.env.SYNTH_HCL_OUTPUT;
  if (options.hcl !== undefined) process.env.SYNTH_HCL_OUTPUT = String(options.hcl);
  // `cdktf synth` runs the app with CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS set, so that a stack with
  // error annotations (our invariants) is still written and the CLI lists the errors afterwards: over
  // the previous output. Unset, the synth throws before anything is written, as `efd synth` does.
  const previousContinue = process.env[CONTINUE_ON_ERRORS];
  delete process.env[CONTINUE_ON_ERRORS];
  try {
    const app = new App({ outdir: scratch, hclOutput: options.hcl, skipValidation: false });
    const stacks = buildSites(app, sites);
    app.synth();
    const old = `${target}.old-${process.pid}`;
    if (fs.existsSync(target)) fs.renameSync(target, old);
    fs.renameSync(scratch, target);
    fs.rmSync(old, { recursive: true, force: true });
    return { outdir: target, stacks };
  } catch (err) {
    fs.rmSync(scratch, { recursive: true, force: true });
    throw err;
  } finally {
    if (previousHcl === undefined) delete process.env.SYNTH_HCL_OUTPUT;
    else process.env.SYNTH_HCL_OUTPUT = previousHcl;
    if (previousContinue !== undefined) process.env[CONTINUE_ON_ERRORS] = previousContinue;
  }
}
