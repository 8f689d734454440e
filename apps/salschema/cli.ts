/**
 * `efd salschema …` — ts_xml → Avro schemas.
 *
 * Subcommands are added one per function below: `convert` (ts_xml → `.avsc` files), `register` (push
 * the schemas to a schema registry, subject `<topic>-value`) and `check` (compatibility of a changed
 * ts_xml with what the registry holds; non-zero exit with the reasons) and `generate` (a SAL interface set
 * shaped like the seed experiment, written as ts_xml; see generate.ts).
 */
import { Command, Option } from 'commander';
import { COMPATIBILITY_LEVELS, Compatibility, createRegistry, Registry } from '../lib/registry';
import { createLogger } from '../lib/logging';
import { loadTopicMetadata } from '../lib/sal/metadata';
import { planBytesPerSecond } from '../lib/sal/record-bytes';
import { planRate, planTopics, SEED_RATES_HZ, SEED_TOTAL_RATE, seedScheduleFactor } from '../lib/sal/plan';
import { convertFolder, ConvertSummary } from '../lib/sal/convert';
import { DEFAULT_GENERATED_DIR, DEFAULT_SEED, GenerateOptions, SEED_TOPIC_COUNTS, writeGeneratedTsXml } from './generate';
import { formatSalSchemaError } from '../lib/sal/errors';
import { checkSchemas, filterTopics, LoadedSchemas, registerSchemas, schemasFromAvscFolder, schemasFromXml } from '../lib/sal/register';
import { CliOutput, stdio } from '../lib/cli-output';
import { EXIT, exitCodeOf, UsageError, worstExit } from '../lib/exit-codes';
import { sleep } from '../lib/retry';
import { createShutdown } from '../lib/shutdown';
import { createMetricsRegistry, startMetricsServer } from '../lib/metrics';
import { RegistryFlavor, registryFlavor } from '../lib/registry-compat';
import { formatImportReport, importSchemas, ImportSchemasOptions } from './import';

/** Options of `salschema convert`. */
export interface ConvertOptions {
  xml: string;
  out: string;
  /** Print the per-subsystem report (topics found, converted, skipped with the reason). */
  report?: boolean;
}

/** The `--report` lines: one per subsystem, then each skipped topic with its reason, then the files not read. */
export function formatConvertReport(summary: ConvertSummary): string[] {
  const width = Math.max(9, ...summary.report.map((r) => r.subsystem.length));
  const lines = [`${'subsystem'.padEnd(width)}  found  converted  skipped`];
  for (const r of summary.report) {
    const cols = [r.found, r.converted, r.skipped.length].map((n, i) => String(n).padStart([5, 9, 7][i]));
    lines.push(`${r.subsystem.padEnd(width)}  ${cols.join('  ')}${r.unexplained ? `  (${r.unexplained} lost without a reason)` : ''}`);
  }
  const total = (k: 'found' | 'converted') => summary.report.reduce((n, r) => n + r[k], 0);
  const skipped = summary.report.flatMap((r) => r.skipped);
  lines.push(
    `${'total'.padEnd(width)}  ${String(total('found')).padStart(5)}  ${String(total('converted')).padStart(9)}  ${String(skipped.length).padStart(7)}`,
  );
  for (const s of skipped) lines.push(`skipped ${s.topic ?? '(unnamed topic)'} (${s.file}${s.line ? `:${s.line}` : ''}): ${s.reason}`);
  for (const u of summary.unread) lines.push(`not read: ${u.file}: ${u.reason}`);
  return lines;
}

/** Prints a convert summary; returns the exit code (3 when the XML has errors, 1 when a topic was lost without a reason). */
export function reportConvert(summary: ConvertSummary, outDir: string, io: CliOutput = stdio, report = false): number {
  const { current, legacy } = summary.byLayout;
  io.out(
    `salschema convert: ${summary.files} ts_xml files, ${summary.topics} topics, ` +
      `${summary.schemas} schemas written to ${outDir} (current layout ${current}, legacy ${legacy})`,
  );
  if (report) for (const line of formatConvertReport(summary)) io.out(line);
  for (const e of summary.errors) io.err(formatSalSchemaError(e));
  if (summary.errors.length > 0) io.err(`salschema convert: ${summary.errors.length} error(s)`);
  const lost = summary.report.reduce((n, r) => n + r.unexplained, 0);
  if (lost !== 0)
    io.err(
      `salschema convert: ${lost} topic(s) found in the XML but neither converted nor skipped with a reason (a salschema bug: please report it)`,
    );
  return worstExit(summary.errors.length > 0 ? EXIT.badInput : EXIT.ok, lost !== 0 ? EXIT.failed : EXIT.ok);
}

/** Runs `salschema convert`; returns the exit code. */
export function runConvert(opts: ConvertOptions, io: CliOutput = stdio): number {
  return reportConvert(convertFolder(opts.xml, opts.out), opts.out, io, opts.report);
}

function addConvertCommand(salschema: Command): void {
  salschema
    .command('convert')
    .description('convert every ts_xml file under a folder into one <topic>.avsc per topic (offline)')
    .requiredOption('--xml <folder>', 'folder searched recursively for ts_xml files (both layouts)')
    .requiredOption('--out <folder>', 'folder to write <topic>.avsc files into (created if missing)')
    .option('--report', 'per subsystem: topics found in the XML, converted, and each one skipped with its reason')
    .action((opts: ConvertOptions) => {
      process.exitCode = runConvert(opts);
    });
}

/** Options of `salschema register` and `salschema check`. */
export interface RegistryCommandOptions {
  xml?: string;
  schemas?: string;
  registry?: string;
  compatibility?: Compatibility;
  topicPrefix?: string;
  topics?: string;
  retries?: string;
}

/** Registry URL from the flag or SCHEMA_REGISTRY_URL; undefined when neither is set. */
function registryUrl(opts: RegistryCommandOptions): string | undefined {
  return opts.registry ?? (process.env.SCHEMA_REGISTRY_URL || undefined);
}

function loadForRegistry(cmd: string, opts: RegistryCommandOptions, io: CliOutput): LoadedSchemas | undefined {
  if (!opts.xml === !opts.schemas) {
    io.err(`salschema ${cmd}: give exactly one of --xml <ts_xml folder> or --schemas <folder of .avsc files>`);
    return undefined;
  }
  const loaded = filterTopics(opts.xml ? schemasFromXml(opts.xml) : schemasFromAvscFolder(opts.schemas as string), opts.topics);
  for (const e of loaded.errors) io.err(e);
  return loaded;
}

function makeRegistry(cmd: string, opts: RegistryCommandOptions, io: CliOutput): Registry | undefined {
  const url = registryUrl(opts);
  if (!url) {
    io.err(`salschema ${cmd}: no schema registry: pass --registry <url> or set SCHEMA_REGISTRY_URL`);
    return undefined;
  }
  const attempts = opts.retries === undefined ? 10 : Number(opts.retries);
  if (!Number.isInteger(attempts) || attempts < 1) {
    io.err(`salschema ${cmd}: --retries must be a positive integer, got ${opts.retries}`);
    return undefined;
  }
  return createRegistry(url, { logger: createLogger({ name: 'salschema', level: 'warn' }), retry: { attempts } });
}

/** Runs `salschema register`; returns the exit code (2 usage, 4 registry unreachable, 3 schemas that did not convert, 1 any schema failed). */
export async function runRegister(opts: RegistryCommandOptions, io: CliOutput = stdio, registry?: Registry): Promise<number> {
  const loaded = loadForRegistry('register', opts, io);
  const reg = registry ?? makeRegistry('register', opts, io);
  if (!loaded || !reg) return EXIT.usage;
  const results = await registerSchemas(reg, loaded.schemas, { compatibility: opts.compatibility, prefix: opts.topicPrefix });
  const count = (s: string) => results.filter((r) => r.status === s).length;
  for (const r of results) if (r.status === 'failed') io.err(`${r.subject}: ${r.error}`);
  io.out(
    `salschema register: ${results.length} schemas → ${reg.url}` +
      `${opts.compatibility ? ` (compatibility ${opts.compatibility})` : ''}: ${count('new-subject')} new subjects, ` +
      `${count('new-version')} new versions, ${count('unchanged')} unchanged, ${count('failed')} failed`,
  );
  if (loaded.errors.length) io.err(`salschema register: ${loaded.errors.length} schema(s) could not be made; fix the errors above`);
  return worstExit(
    results.some((r) => r.unreachable) ? EXIT.unreachable : EXIT.ok,
    loaded.errors.length > 0 ? EXIT.badInput : EXIT.ok,
    count('failed') > 0 || results.length === 0 ? EXIT.failed : EXIT.ok,
  );
}

/** Runs `salschema check`; returns the exit code (2 usage, 4 registry unreachable, 3 schemas that did not convert, 1 incompatible or not checked). */
export async function runCheck(opts: RegistryCommandOptions, io: CliOutput = stdio, registry?: Registry): Promise<number> {
  const loaded = loadForRegistry('check', opts, io);
  const reg = registry ?? makeRegistry('check', opts, io);
  if (!loaded || !reg) return EXIT.usage;
  const results = await checkSchemas(reg, loaded.schemas, { compatibility: opts.compatibility, prefix: opts.topicPrefix });
  const count = (s: string) => results.filter((r) => r.status === s).length;
  for (const r of results) {
    if (r.status === 'incompatible') io.out(`INCOMPATIBLE ${r.subject} (${r.level}): ${r.reasons.join('; ')}`);
    if (r.status === 'failed') io.err(`${r.subject}: could not check: ${r.reasons.join('; ')}`);
  }
  io.out(
    `salschema check: ${results.length} schemas vs ${reg.url}: ${count('unchanged')} unchanged, ${count('compatible')} changed and compatible, ` +
      `${count('new')} new, ${count('incompatible')} incompatible, ${count('failed')} not checked`,
  );
  if (loaded.errors.length) io.err(`salschema check: ${loaded.errors.length} schema(s) could not be made; fix the errors above`);
  return worstExit(
    results.some((r) => r.unreachable) ? EXIT.unreachable : EXIT.ok,
    loaded.errors.length > 0 ? EXIT.badInput : EXIT.ok,
    count('incompatible') + count('failed') > 0 ? EXIT.failed : EXIT.ok,
  );
}

function addRegistryCommandOptions(cmd: Command): Command {
  return cmd
    .option('--xml <folder>', 'ts_xml folder to convert (both layouts, searched recursively)')
    .option('--schemas <folder>', 'or: folder of .avsc files written by `salschema convert`')
    .option('--registry <url>', 'schema registry: Confluent-compatible API URL or server root (env SCHEMA_REGISTRY_URL)')
    .option('--topic-prefix <prefix>', 'prefix of the Kafka topics, so subjects are <prefix>lsst.sal.<topic>-value', '')
    .option('--topics <regex>', 'only the SAL topics whose name matches')
    .option('--retries <n>', 'attempts per registry call while it is unreachable (backoff 0.25 s → 10 s)', '10');
}

function addRegisterCommand(salschema: Command): void {
  addRegistryCommandOptions(
    salschema.command('register').description('register one Avro schema per SAL topic in the schema registry (subject <topic>-value)'),
  )
    .addOption(
      new Option('--compatibility <level>', 'compatibility level set on every subject before registering').choices([
        ...COMPATIBILITY_LEVELS,
      ]),
    )
    .action(async (opts: RegistryCommandOptions) => {
      process.exitCode = await runRegister(opts);
    });
}

function addCheckCommand(salschema: Command): void {
  addRegistryCommandOptions(
    salschema
      .command('check')
      .description('report whether the schemas of a (changed) ts_xml are compatible with the registry; exit 1 with the reasons if not'),
  )
    .addOption(
      new Option('--compatibility <level>', 'check under this level instead of the level set in the registry').choices([
        ...COMPATIBILITY_LEVELS,
      ]),
    )
    .action(async (opts: RegistryCommandOptions) => {
      process.exitCode = await runCheck(opts);
    });
}

/** Options of `salschema generate` (as commander gives them: text). */
export interface GenerateCommandOptions {
  out?: string;
  seed?: string;
  commands?: string;
  events?: string;
  telemetry?: string;
}

/** Parses a whole-number flag; undefined when absent; an error message when not a whole number. */
function wholeNumber(flag: string, text: string | undefined): number | undefined | string {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) return `--${flag} must be a whole number (0 or more), got "${text}"`;
  return Number(text);
}

/** Runs `salschema generate`; returns the exit code (2 for bad flags, 1 when the folder cannot be written). */
export function runGenerate(opts: GenerateCommandOptions, io: CliOutput = stdio): number {
  const parsed: GenerateOptions = {};
  for (const flag of ['seed', 'commands', 'events', 'telemetry'] as const) {
    const v = wholeNumber(flag, opts[flag]);
    if (typeof v === 'string') {
      io.err(`salschema generate: ${v}`);
      return EXIT.usage;
    }
    if (v !== undefined) parsed[flag] = v;
  }
  const out = opts.out ?? DEFAULT_GENERATED_DIR;
  let result;
  try {
    result = writeGeneratedTsXml(out, parsed);
  } catch (err) {
    io.err(`salschema generate: ${(err as Error).message}`);
    return /^(seed|commands|events|telemetry) must|nothing to generate/.test((err as Error).message) ? 2 : 1;
  }
  const c = result.counts;
  io.out(
    `salschema generate: ${c.topics} topics (${c.command} commands, ${c.event} events, ${c.telemetry} telemetry) ` +
      `in ${c.subsystems} subsystems, ${c.fields} fields → ${result.xmlDir} (${result.written ? 'written' : 'unchanged'})`,
  );
  const plan = planTopics(loadTopicMetadata(result.xmlDir).topics);
  const rate = planRate(plan);
  const mbps = planBytesPerSecond(plan, 2) / 1e6;
  const hz = `${SEED_RATES_HZ.command} / ${SEED_RATES_HZ.event} / ${SEED_RATES_HZ.telemetry} Hz`;
  io.out(`at the seed rates (${hz}): ${rate.toLocaleString('en-US')} msg/s, ${mbps.toFixed(1)} MB/s of SAL text`);
  if (rate !== SEED_TOTAL_RATE) {
    const f = seedScheduleFactor(plan.map((p) => p.meta));
    io.out(`seed schedule (${SEED_TOTAL_RATE.toLocaleString('en-US')} msg/s): rate factor ${f.toPrecision(4)}`);
  }
  return 0;
}

function addGenerateCommand(salschema: Command): void {
  const d = SEED_TOPIC_COUNTS;
  salschema
    .command('generate')
    .description(
      'write a SAL interface set shaped like the seed experiment as ts_xml (deterministic; drawn from figures measured on real ts_xml)',
    )
    .option('--out <folder>', `folder to write into (its sal_interfaces/ is what --xml takes; default ${DEFAULT_GENERATED_DIR})`)
    .option('--seed <n>', `seed of the generator (default ${DEFAULT_SEED})`)
    .option('--commands <n>', `command topics (default ${d.command})`)
    .option('--events <n>', `event topics (default ${d.event})`)
    .option('--telemetry <n>', `telemetry topics (default ${d.telemetry})`)
    .action((opts: GenerateCommandOptions) => {
      process.exitCode = runGenerate(opts);
    });
}

/** Adds the `salschema` command group to the `efd` program. */
export function registerSalschemaCommand(program: Command): Command {
  const salschema = program
    .command('salschema')
    .description(
      'SAL schemas: convert ts_xml to Avro, register them, check compatibility with the registry, generate a seed-shaped ts_xml',
    );
  addConvertCommand(salschema);
  addRegisterCommand(salschema);
  addCheckCommand(salschema);
  addGenerateCommand(salschema);
  addImportCommand(salschema);
  return salschema;
}

/** Options of `salschema import` (replication's import mode). */
export interface ImportOptions {
  from?: string;
  to?: string;
  prefix?: string;
  topicsRegex: string;
  targetFlavor?: string;
  watch?: string;
  metricsPort?: string;
  json?: boolean;
}

function importSettings(o: ImportOptions): ImportSchemasOptions & { watch?: number; metricsPort?: number } {
  const from = o.from ?? (process.env.SOURCE_SCHEMA_REGISTRY_URL || undefined);
  const to = o.to ?? (process.env.SCHEMA_REGISTRY_URL || undefined);
  if (!from) throw new UsageError('salschema import: no source registry: pass --from <url> or set SOURCE_SCHEMA_REGISTRY_URL');
  if (!to) throw new UsageError('salschema import: no aggregator registry: pass --to <url> or set SCHEMA_REGISTRY_URL');
  if (!o.prefix || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.prefix))
    throw new UsageError(`salschema import: --prefix must be the flow's prefix (a-z, 0-9, "-"), got ${o.prefix ?? 'none'}`);
  const flavor = o.targetFlavor ?? registryFlavor();
  if (flavor !== 'apicurio' && flavor !== 'confluent')
    throw new UsageError(`salschema import: --target-flavor must be apicurio or confluent, got ${flavor}`);
  const int = (flag: string, v: string | undefined, min: number) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`salschema import: ${flag} must be an integer ≥ ${min}, got ${v}`);
    return n;
  };
  try {
    new RegExp(o.topicsRegex);
  } catch (err) {
    throw new UsageError(`salschema import: --topics-regex: ${(err as Error).message}`);
  }
  return {
    source: from,
    target: to,
    prefix: o.prefix,
    topicsRegex: o.topicsRegex,
    targetFlavor: flavor as RegistryFlavor,
    watch: int('--watch', o.watch, 1),
    metricsPort: int('--metrics-port', o.metricsPort, 0),
  };
}

/**
 * Runs `salschema import`: once (exit 0 all imported or already there, 1 any version refused, 4 a
 * registry unreachable, 2 usage), or every `--watch` seconds until SIGTERM (the replication stack's
 * Deployment: schemas migrate continuously), reporting each pass that imported or refused anything.
 */
export async function runImport(opts: ImportOptions, io: CliOutput = stdio): Promise<number> {
  const o = importSettings(opts);
  if (o.watch === undefined) {
    const report = await importSchemas(o);
    if (opts.json) io.out(JSON.stringify(report, null, 2));
    else for (const line of formatImportReport(report)) (line.startsWith('refused') ? io.err : io.out)(line);
    return report.versions.some((v) => v.outcome === 'refused') ? EXIT.failed : EXIT.ok;
  }
  const logger = createLogger({ name: 'salschema-import', level: 'info' });
  const shutdown = createShutdown({ logger });
  const remove = shutdown.installSignalHandlers();
  let lastOk = true;
  const server =
    o.metricsPort === undefined
      ? undefined
      : await startMetricsServer({ registry: createMetricsRegistry(), port: o.metricsPort, health: () => !shutdown.signal.aborted });
  let last = '';
  while (!shutdown.signal.aborted) {
    try {
      const report = await importSchemas(o);
      const lines = formatImportReport(report);
      const refused = lines.slice(0, -1).join('\n');
      // Every pass that imported something or whose refusals changed; a quiet pass logs nothing.
      if (report.versions.some((v) => v.outcome === 'imported') || refused !== last || !lastOk) for (const line of lines) io.out(line);
      last = refused;
      lastOk = true;
    } catch (err) {
      lastOk = false;
      io.err(`salschema import: ${(err as Error).message} (exit code ${exitCodeOf(err)} once; retried in ${o.watch} s)`);
    }
    await sleep(o.watch * 1000, shutdown.signal).catch(() => undefined);
  }
  remove();
  await server?.close();
  return EXIT.ok;
}

function addImportCommand(salschema: Command): void {
  salschema
    .command('import')
    .description(
      "replication's import mode: re-register the source registry's subjects of the replicated topics at the aggregator's registry as <prefix>.<subject>, keeping the ids the records carry (idempotent; refusals reported with subject and reason)",
    )
    .option('--from <url>', "the source registry's Confluent API URL (env SOURCE_SCHEMA_REGISTRY_URL)")
    .option('--to <url>', "the aggregator registry's Confluent API URL (env SCHEMA_REGISTRY_URL)")
    .option('--prefix <prefix>', "the flow's prefix: <topic>-value becomes <prefix>.<topic>-value")
    .option('--topics-regex <regex>', 'whole-name regex of the replicated topics', 'lsst[.]sal[.].*')
    .addOption(
      new Option('--target-flavor <flavor>', 'the aggregator registry (default EFD_REGISTRY_FLAVOR or apicurio)').choices([
        'apicurio',
        'confluent',
      ]),
    )
    .option('--watch <seconds>', 'import again every N seconds until SIGTERM (continuous migration)')
    .option('--metrics-port <port>', '/healthz and /metrics on this port (with --watch)')
    .option('--json', 'print the report as JSON (one pass)')
    .action(async (opts: ImportOptions) => {
      process.exitCode = await runImport(opts);
    });
}
