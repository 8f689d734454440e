/**
 * Chart packages an operator has: a folder of `<chart>-<version>.tgz` (what `helm pull` writes) or of
 * unpacked charts (`<chart>-<version>/` or `<chart>/` holding Chart.yaml), optionally with a sums file
 * (`sha256sum` format: `<hex>  <file name>`) whose checksums every package used must match.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { BadInputError } from '../../apps/lib/exit-codes';

export interface ChartSource {
  kind: 'package' | 'folder';
  path: string;
}

/** Chart.yaml's name and version of an unpacked chart (undefined when there is none or it does not parse). */
export function chartYaml(dir: string): { name?: string; version?: string } | undefined {
  try {
    const y = parse(fs.readFileSync(path.join(dir, 'Chart.yaml'), 'utf8')) as { name?: unknown; version?: unknown };
    return { name: y?.name === undefined ? undefined : String(y.name), version: y?.version === undefined ? undefined : String(y.version) };
  } catch {
    return undefined;
  }
}

/** The names looked for, in order, for `chart` at `version` (what a "missing" message lists). */
export const chartFileNames = (chart: string, version: string) => [`${chart}-${version}.tgz`, `${chart}-${version}/`, `${chart}/`];

/** The package or folder of `chart` at `version` in `dir`; a `<chart>/` folder counts only at that version. */
export function findChart(dir: string, chart: string, version: string): ChartSource | undefined {
  const tgz = path.join(dir, `${chart}-${version}.tgz`);
  if (fs.existsSync(tgz) && fs.statSync(tgz).isFile()) return { kind: 'package', path: tgz };
  for (const folder of [path.join(dir, `${chart}-${version}`), path.join(dir, chart)]) {
    const y = chartYaml(folder);
    if (y && (folder.endsWith(`-${version}`) || y.version === version)) return { kind: 'folder', path: folder };
  }
  return undefined;
}

/** A sums file: file name → sha256 (lower-case hex). A line that is not `<64 hex>  <name>` is bad input naming file and line. */
export function readSums(file: string): Map<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new BadInputError(`sums file ${file}: ${(err as Error).message} (give a file written by \`sha256sum *.tgz > SHA256SUMS\`)`, {
      cause: err,
    });
  }
  const sums = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^([0-9a-fA-F]{64})\s+\*?(.+)$/.exec(line);
    if (!m)
      throw new BadInputError(
        `sums file ${file}, line ${i + 1}: expected "<sha256 in 64 hex digits>  <file name>" (sha256sum format), got "${line.slice(0, 100)}"`,
      );
    sums.set(path.basename(m[2].trim()), m[1].toLowerCase());
  });
  return sums;
}

export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Undefined when `source` matches its line in `sums`; else what is wrong and what to do. */
export function checksumProblem(source: ChartSource, sums: Map<string, string>, sumsFile: string): string | undefined {
  const base = path.basename(source.path);
  if (source.kind === 'folder')
    return `${source.path} is an unpacked chart folder, which a sums file cannot verify: put the package ${base}.tgz there instead, or run without --sums`;
  const want = sums.get(base);
  if (!want) return `${base} has no line in the sums file ${sumsFile}: add its sha256 (\`sha256sum ${base}\`) from a source you trust`;
  const got = sha256File(source.path);
  if (got !== want)
    return `${source.path}: sha256 ${got} is not the ${want} of the sums file ${sumsFile}; the package is not the one the operator verified: fetch it again (helm pull) and compare`;
  return undefined;
}
