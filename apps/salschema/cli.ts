/**
 * `efd salschema …` — ts_xml → Avro schemas.
 *
 * Subcommands are added one per function below; `register` (push the `.avsc` files to a schema
 * registry, subject `<topic>-value`) and `check` (compatibility of a changed ts_xml with the
 * registry) slot in next to `convert` as `addRegisterCommand` / `addCheckCommand`.
 */
import { Command } from 'commander';
import { convertFolder, ConvertSummary } from './convert';
import { formatSalSchemaError } from './errors';

/** Where a subcommand writes its report (injectable for tests). */
export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

const stdio: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Options of `salschema convert`. */
export interface ConvertOptions {
  xml: string;
  out: string;
}

/** Prints a convert summary; returns the exit code (1 when any error). */
export function reportConvert(summary: ConvertSummary, outDir: string, io: CliOutput = stdio): number {
  const { current, legacy } = summary.byLayout;
  io.out(
    `salschema convert: ${summary.files} ts_xml files, ${summary.topics} topics, ` +
      `${summary.schemas} schemas written to ${outDir} (current layout ${current}, legacy ${legacy})`,
  );
  for (const file of summary.skipped) io.out(`skipped (not ts_xml): ${file}`);
  for (const e of summary.errors) io.err(formatSalSchemaError(e));
  if (summary.errors.length > 0) io.err(`salschema convert: ${summary.errors.length} error(s)`);
  return summary.errors.length > 0 ? 1 : 0;
}

/** Runs `salschema convert`; returns the exit code. */
export function runConvert(opts: ConvertOptions, io: CliOutput = stdio): number {
  return reportConvert(convertFolder(opts.xml, opts.out), opts.out, io);
}

function addConvertCommand(salschema: Command): void {
  salschema
    .command('convert')
    .description('convert every ts_xml file under a folder into one <topic>.avsc per topic (offline)')
    .requiredOption('--xml <folder>', 'folder searched recursively for ts_xml files (both layouts)')
    .requiredOption('--out <folder>', 'folder to write <topic>.avsc files into (created if missing)')
    .action((opts: ConvertOptions) => {
      process.exitCode = runConvert(opts);
    });
}

/** Adds the `salschema` command group to the `efd` program. */
export function registerSalschemaCommand(program: Command): Command {
  const salschema = program
    .command('salschema')
    .description('SAL schemas: convert ts_xml to Avro (register and check come next)');
  addConvertCommand(salschema);
  // addRegisterCommand(salschema);  — `register --registry <url>`: subjects <topic>-value
  // addCheckCommand(salschema);     — `check`: compatibility of changed ts_xml vs the registry
  return salschema;
}
