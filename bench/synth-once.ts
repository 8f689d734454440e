/**
 * One cold synth in a fresh process (what `cdktf synth` pays): prints JSON
 * with the wall time inside the process, the time to load the modules, and
 * the peak RSS. `--site <name>` limits it to one site (the baseline).
 */
const started = process.hrtime.bigint();
const fs = require('fs') as typeof import('fs');
const os = require('os') as typeof import('os');
const path = require('path') as typeof import('path');
const { loadSites } = require('../config/load') as typeof import('../config/load');
const { synthSites } = require('../scripts/synth') as typeof import('../scripts/synth');
const loaded = process.hrtime.bigint();
const only = process.argv.indexOf('--site') > 0 ? process.argv[process.argv.indexOf('--site') + 1] : undefined;
const sites = loadSites().filter((s) => !only || s.name === only);
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-bench-'));
synthSites(sites, outdir);
const done = process.hrtime.bigint();
fs.rmSync(outdir, { recursive: true, force: true });
process.stdout.write(
  JSON.stringify({
    sites: sites.length,
    loadMs: Number(loaded - started) / 1e6,
    synthMs: Number(done - loaded) / 1e6,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
