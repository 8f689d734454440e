/**
 * The app images' build step, one recipe for every app (apps/Dockerfile runs `npx tsx apps/images.ts /out`
 * in its build stage; apps/images.int.test.ts calls `bundleApps` the same way): each image's entry
 * apps/<image>/main.ts and everything it imports, node_modules included, bundled by esbuild into
 * `<out>/<image>.js`, which the image runs as `node /app/efd.js`. Nothing else of the repository, and no
 * node_modules, goes into an image.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, Metafile } from 'esbuild';

/** Every app image: apps/Dockerfile has one target of each name, the stacks run `<repository>/<name>:<tag>`. */
export const APP_IMAGES = [
  'salschema',
  'salmock',
  'saltransform',
  'aggregator',
  'alerts',
  'influxdb-sink',
  'parquet-sink',
  'connect-manager',
  'influxdb-init',
] as const;
export type AppImageName = (typeof APP_IMAGES)[number];

const ROOT = resolve(__dirname, '..');

/** The entry an image's bundle starts from. */
export function imageEntry(image: AppImageName): string {
  return join(ROOT, 'apps', image, 'main.ts');
}

/** Bundles each image's entry into `<outDir>/<image>.js`; returns esbuild's metafile of each (what went in). */
export async function bundleApps(outDir: string, images: readonly AppImageName[] = APP_IMAGES): Promise<Record<string, Metafile>> {
  mkdirSync(outDir, { recursive: true });
  const metafiles: Record<string, Metafile> = {};
  for (const image of images) {
    const result = await build({
      entryPoints: [imageEntry(image)],
      outfile: join(outDir, `${image}.js`),
      absWorkingDir: ROOT,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      legalComments: 'none',
      metafile: true,
      // @platformatic/kafka's CRC32C/compression module reads ../dist/native.wasm beside itself at load time
      // (`new URL(…, import.meta.url)`, undefined in a bundle): its `bundled` build carries the same wasm inline
      alias: { '@platformatic/wasm-utils': '@platformatic/wasm-utils/bundled' },
      // ES modules bundled to CommonJS lose import.meta.url; @platformatic/kafka's createRequire(import.meta.url)
      // (its optional @node-rs/crc32 and protobufjs, absent from the images: it falls back / needs neither for Avro)
      // gets the bundle's own URL instead
      define: { 'import.meta.url': '__bundleUrl' },
      banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
      // debug's optional colour support; absent, it logs without colours
      external: ['supports-color'],
      logLevel: 'silent',
    });
    // a warning (a require esbuild cannot resolve, a dynamic import) would be a module missing at run time
    if (result.warnings.length > 0) throw new Error(`${image}: esbuild warned: ${result.warnings.map((w) => w.text).join('; ')}`);
    metafiles[image] = result.metafile;
  }
  return metafiles;
}

if (require.main === module) {
  const outDir = process.argv[2];
  if (!outDir) {
    process.stderr.write('usage: tsx apps/images.ts <out-dir>   (bundles every app image entry into <out-dir>/<image>.js)\n');
    process.exit(2);
  }
  bundleApps(resolve(outDir)).then(
    (metafiles) => {
      for (const [image, meta] of Object.entries(metafiles)) {
        const output = Object.values(meta.outputs)[0];
        process.stdout.write(`${image}.js: ${(output.bytes / 1e6).toFixed(2)} MB, ${Object.keys(meta.inputs).length} modules\n`);
      }
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
