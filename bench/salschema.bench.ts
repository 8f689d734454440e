/**
 * `salschema convert` of a whole current-size ts_xml: the generated set at ≈ 3,100 topics (3 × the seed
 * counts, apps/salschema/generate.ts; `EFD_BENCH_TS_XML` for a real one), target ≤ 5 s. Phases: read and
 * check the XML, convert (with the structural Avro check of every schema), write. Baseline in the same run: parsing
 * the same files with fast-xml-parser alone (the library floor of the read phase).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { convertTopics, writeSchemas } from '../apps/lib/sal/convert';
import { loadTsXmlFolder } from '../apps/lib/sal/ts-xml';
import { writeGeneratedTsXml } from '../apps/salschema/generate';
import { BenchResult, median, withRatio } from './results';

const GENERATED_DIR = path.resolve(__dirname, '..', '.gen', 'bench-ts_xml-3x');

function xmlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.xml'))
    .map((f) => path.join(dir, f));
}

export async function run(runs = 3): Promise<BenchResult[]> {
  const real = process.env.EFD_BENCH_TS_XML;
  const xmlDir = real ? path.resolve(real) : writeGeneratedTsXml(GENERATED_DIR, { commands: 822, events: 1623, telemetry: 708 }).xmlDir;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'efd-bench-convert-'));
  const phases = { read: [] as number[], convert: [] as number[], write: [] as number[], total: [] as number[], parser: [] as number[] };
  let topics = 0;
  try {
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const folder = loadTsXmlFolder(xmlDir);
      const t1 = performance.now();
      const { schemas } = convertTopics(folder.topics);
      const t2 = performance.now();
      writeSchemas(schemas, out);
      const t3 = performance.now();
      topics = schemas.size;
      phases.read.push(t1 - t0);
      phases.convert.push(t2 - t1);
      phases.write.push(t3 - t2);
      phases.total.push(t3 - t0);
      const p0 = performance.now();
      const parser = new XMLParser({ ignoreAttributes: false });
      for (const f of xmlFiles(xmlDir)) parser.parse(fs.readFileSync(f, 'utf8'));
      phases.parser.push(performance.now() - p0);
    }
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
  const label = real ? `ts_xml ${real}` : 'generated set, 3 × the seed counts';
  const baseline = median(phases.parser);
  const note = `${topics} topics (${label}), in process after module load, median of ${runs}; baseline = fast-xml-parser alone on the same files`;
  return [
    withRatio({ name: 'salschema.convert.total.ms', value: median(phases.total), unit: 'ms', baseline, note: `${note}; target ≤ 5000` }),
    withRatio({
      name: 'salschema.convert.read.ms',
      value: median(phases.read),
      unit: 'ms',
      baseline,
      note: 'ts_xml reader: parse, line numbers, well-formedness, generics',
    }),
    withRatio({
      name: 'salschema.convert.convert.ms',
      value: median(phases.convert),
      unit: 'ms',
      baseline,
      note: 'Avro mapping + the structural Avro check of every schema (no avsc compile)',
    }),
    withRatio({ name: 'salschema.convert.write.ms', value: median(phases.write), unit: 'ms', baseline, note: 'one .avsc per topic' }),
  ];
}
