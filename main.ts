/**
 * The cdktf app (see cdktf.json): every stack of every site in config/sites.
 * `cdktf synth` runs this; so do `npm start` and `npm run diff` in-process.
 */
import { loadSites } from './config/load';
import { synthSites } from './scripts/synth';

try {
  const sites = loadSites();
  synthSites(sites, process.env.CDKTF_OUTDIR ?? 'cdktf.out', { hcl: process.env.SYNTH_HCL_OUTPUT === 'true' });
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
