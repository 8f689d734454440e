/**
 * Measures a real ts_xml's SAL interfaces with the project's own loader and prints the figures
 * (JSON) that apps/salschema/ts-xml-profile.json commits:
 *
 *   npx tsx scripts/measure-ts-xml.ts <sal_interfaces folder> [--top-words N]
 *
 * Besides the per-kind shape (apps/salschema/ts-xml-measure.ts) it reports the mean SAL text record
 * size per kind, made the way salmock makes and formats records (apps/lib/sal/record-bytes.ts).
 * Topics the loader rejects are listed on stderr and left out of the figures.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatSalSchemaError } from '../apps/lib/sal/errors';
import { topicMetadata } from '../apps/lib/sal/metadata';
import { measureTopics } from '../apps/salschema/ts-xml-measure';
import { loadTsXmlFolder } from '../apps/lib/sal/ts-xml';
import { meanRecordBytes } from '../apps/lib/sal/record-bytes';

function main(argv: string[]): number {
  const args = argv.slice(2);
  const dirArg = args.find((a) => !a.startsWith('--'));
  const topAt = args.indexOf('--top-words');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 80;
  if (!dirArg || !Number.isInteger(top) || top < 1) {
    process.stderr.write('usage: measure-ts-xml.ts <sal_interfaces folder> [--top-words N]\n');
    return 2;
  }
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    process.stderr.write(`measure-ts-xml: ${dir} is not a folder; give the sal_interfaces folder of a ts_xml checkout\n`);
    return 2;
  }
  const folder = loadTsXmlFolder(dir);
  for (const e of folder.errors) process.stderr.write(`left out: ${formatSalSchemaError(e)}\n`);
  if (folder.topics.length === 0) {
    process.stderr.write(`measure-ts-xml: no SAL topic found under ${dir}\n`);
    return 1;
  }
  const measurement = measureTopics(folder.topics, { topWords: top });
  const recordBytes = meanRecordBytes(folder.topics.map(topicMetadata));
  process.stdout.write(`${JSON.stringify({ ...measurement, recordBytes, loaderErrors: folder.errors.length }, null, 2)}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv);
