/**
 * The SAL interfaces the benchmarks run on: the generated seed-shaped set (1,051 topics, 29,284 msg/s at
 * the seed rates; apps/salschema/generate.ts), written once into a git-ignored cache folder and reused
 * while its manifest matches. `EFD_BENCH_TS_XML=<sal_interfaces folder>` runs them on a real ts_xml instead.
 */
import { resolve } from 'node:path';
import { writeGeneratedTsXml } from '../apps/salschema/generate';
import { convertTopics } from '../apps/lib/sal/convert';
import { loadTopicMetadata, TopicMeta } from '../apps/lib/sal/metadata';
import { loadTsXmlFolder } from '../apps/lib/sal/ts-xml';

/** Cache folder of the benchmarks' generated set. */
export const BENCH_GENERATED_DIR = resolve(__dirname, '..', '.gen', 'bench-ts_xml');

/** The ts_xml folder to benchmark on, and a short label for the notes. */
export function benchTsXml(): { xmlDir: string; label: string } {
  const real = process.env.EFD_BENCH_TS_XML;
  if (real) return { xmlDir: resolve(real), label: `ts_xml ${real}` };
  const { xmlDir, counts } = writeGeneratedTsXml(BENCH_GENERATED_DIR);
  return { xmlDir, label: `generated seed-shaped set (${counts.command}/${counts.event}/${counts.telemetry} cmd/evt/tel)` };
}

/** The benchmarks' SAL interfaces read: their topics' metadata and Avro schemas (by topic name). */
export function benchInterface(): {
  xmlDir: string;
  label: string;
  metas: TopicMeta[];
  schemas: ReturnType<typeof convertTopics>['schemas'];
} {
  const { xmlDir, label } = benchTsXml();
  return { xmlDir, label, metas: loadTopicMetadata(xmlDir).topics, schemas: convertTopics(loadTsXmlFolder(xmlDir).topics).schemas };
}
