/**
 * `efd registry list|show|compat|upload|delete` — schema registry subjects (apps/lib/registry.ts).
 *
 *   efd registry list [--prefix p]
 *   efd registry show <subject> [--version n]              default the latest
 *   efd registry compat <subject> <schema.avsc>            against the subject's latest version; exit 1 if incompatible
 *   efd registry upload <subject> <schema.avsc> [--compatibility L] [--yes]
 *   efd registry delete <subject> [--version n] [--permanent] [--yes]
 *
 * `upload` tests the schema first: an incompatible one is refused (exit 1, nothing registered). To
 * register it anyway, lower the subject's level with --compatibility (e.g. NONE): that changes the
 * subject, so it asks for confirmation unless --yes.
 *
 * JSON (--json):
 *   list    [subject]
 *   show    { subject, version, id, versions: [n], compatibility, schema }
 *   compat  { subject, version (the one tested against), compatibility, compatible, messages }
 *   upload  { subject, id, version, registered (false: the schema was already that version) }
 *   delete  { subject, deleted: [version], permanent }
 * An unknown subject (or version) exits 3, naming it; a schema file that is missing or not JSON exits 3.
 */
import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import type { Schema as AvscSchema } from 'avsc';
import { BadInputError, EXIT } from '../../lib/exit-codes';
import { COMPATIBILITY_LEVELS, type Compatibility, type Registry } from '../../lib/registry';
import { CliOutput, stdio } from '../../lib/cli-output';
import { confirm, ConfirmIo } from './confirm';
import { positiveInt } from './topics';
import { notFound, print, registryOf, resolveTarget, Target, TargetFlags, targetOptions } from './target';

export interface SubjectVersion {
  subject: string;
  version: number;
  id: number;
  versions: number[];
  compatibility: Compatibility;
  schema: AvscSchema;
}

export interface CompatReport {
  subject: string;
  version: number;
  compatibility: Compatibility;
  compatible: boolean;
  messages: string[];
}

/** A schema file's text, checked to be JSON (the registry judges the Avro). */
export function readSchemaFile(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new BadInputError(`schema file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  try {
    JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`schema file ${file}: not JSON (${(err as Error).message}); expected an Avro schema (.avsc)`);
  }
  return text;
}

const subjectHint = '`efd registry list` shows the subjects';

export async function showSubject(r: Registry, t: Target, subject: string, version?: number): Promise<SubjectVersion> {
  const versions = await r.versions(subject);
  if (!versions) throw notFound(`subject ${subject}`, t, subjectHint);
  const v = await r.version(subject, version ?? 'latest');
  if (!v) throw notFound(`version ${version} of subject ${subject}`, t, `its versions: ${versions.join(', ')}`);
  return { subject, version: v.version, id: v.id, versions, compatibility: await r.compatibility(subject), schema: v.schema };
}

export async function compatReport(r: Registry, t: Target, subject: string, schema: string): Promise<CompatReport> {
  const latest = await r.latest(subject);
  if (!latest) throw notFound(`subject ${subject}`, t, `${subjectHint}; a new subject accepts any schema (efd registry upload)`);
  const [res, compatibility] = await Promise.all([r.testCompatibility(subject, schema), r.compatibility(subject)]);
  return { subject, version: latest.version, compatibility, compatible: res.compatible, messages: res.messages };
}

function formatCompat(c: CompatReport): string[] {
  const lines = [
    `${c.compatible ? 'compatible' : 'NOT compatible'} with ${c.subject} version ${c.version} (compatibility ${c.compatibility})`,
  ];
  for (const m of c.messages) lines.push(`  ${m}`);
  return lines;
}

export function registerRegistryCommand(program: Command, io: CliOutput = stdio, ask?: ConfirmIo): Command {
  const group = program.command('registry').description('schema registry subjects: list, show, compat, upload, delete');
  targetOptions(group.command('list'), { registry: true })
    .description('the subjects, sorted')
    .option('--prefix <prefix>', 'only subjects starting with it')
    .action(async (flags: TargetFlags & { prefix?: string }) => {
      const t = await resolveTarget(flags, 'registry');
      const subjects = (await registryOf(t).listSubjects()).filter((s) => !flags.prefix || s.startsWith(flags.prefix)).sort();
      print(io, flags, subjects, () => (subjects.length ? subjects : ['no subjects']));
    });
  targetOptions(group.command('show'), { registry: true })
    .description("a subject's version (default the latest): id, versions, compatibility level and the schema")
    .argument('<subject>')
    .option('--version <n>', 'this version')
    .action(async (subject: string, flags: TargetFlags & { version?: string }) => {
      const version = flags.version === undefined ? undefined : positiveInt('--version', flags.version, 1);
      const t = await resolveTarget(flags, 'registry');
      const s = await showSubject(registryOf(t), t, subject, version);
      print(io, flags, s, () => [
        `${s.subject} version ${s.version} (of ${s.versions.join(', ')}), schema id ${s.id}, compatibility ${s.compatibility}`,
        ...JSON.stringify(s.schema, null, 2).split('\n'),
      ]);
    });
  targetOptions(group.command('compat'), { registry: true })
    .description("would the schema be accepted as the subject's next version? (the registry's compatibility test; exit 1 if not)")
    .argument('<subject>')
    .argument('<schema-file>', 'Avro schema (.avsc)')
    .action(async (subject: string, file: string, flags: TargetFlags) => {
      const schema = readSchemaFile(file);
      const t = await resolveTarget(flags, 'registry');
      const c = await compatReport(registryOf(t), t, subject, schema);
      print(io, flags, c, () => formatCompat(c));
      if (!c.compatible) process.exitCode = EXIT.failed;
    });
  targetOptions(group.command('upload'), { registry: true })
    .description('register the schema as the next version of the subject (refused when incompatible)')
    .argument('<subject>')
    .argument('<schema-file>', 'Avro schema (.avsc)')
    .addOption(
      new Option('--compatibility <level>', "set the subject's level first (asks unless --yes)").choices([...COMPATIBILITY_LEVELS]),
    )
    .option('--yes', 'do not ask for confirmation')
    .action(async (subject: string, file: string, flags: TargetFlags & { compatibility?: Compatibility }) => {
      const schema = readSchemaFile(file);
      const t = await resolveTarget(flags, 'registry');
      const r = registryOf(t);
      const existing = await r.lookup(subject, schema);
      if (existing === undefined && flags.compatibility) {
        const now = await r.compatibility(subject);
        if (now !== flags.compatibility)
          await confirm(`set compatibility of subject ${subject} on ${r.url} from ${now} to ${flags.compatibility}`, {
            yes: flags.yes,
            io: ask,
          });
      }
      if (existing === undefined && !flags.compatibility && (await r.versions(subject))) {
        const c = await compatReport(r, t, subject, schema);
        if (!c.compatible) {
          for (const line of formatCompat(c)) io.err(line);
          throw Object.assign(
            new Error(
              `schema ${file} is not compatible with subject ${subject} (compatibility ${c.compatibility}): nothing registered; ` +
                'make the change compatible, or lower the level with --compatibility if the break is intended',
            ),
            { exitCode: EXIT.failed },
          );
        }
      }
      const id = existing ?? (await r.register(subject, schema, flags.compatibility ? { compatibility: flags.compatibility } : {}));
      const latest = (await r.versions(subject)) ?? [];
      const mine = await findVersion(r, subject, id, latest);
      const out = { subject, id, version: mine, registered: existing === undefined };
      print(io, flags, out, () => [
        `${out.registered ? 'registered' : 'already registered:'} ${subject} version ${out.version}, schema id ${id} (${t.source})`,
      ]);
    });
  targetOptions(group.command('delete'), { registry: true })
    .description('delete a subject (every version) or one version; --permanent removes it for good (asks unless --yes)')
    .argument('<subject>')
    .option('--version <n>', 'only this version')
    .option('--permanent', 'hard delete (after the soft delete): the versions cannot be restored')
    .option('--yes', 'do not ask for confirmation')
    .action(async (subject: string, flags: TargetFlags & { version?: string; permanent?: boolean }) => {
      const version = flags.version === undefined ? undefined : positiveInt('--version', flags.version, 1);
      const t = await resolveTarget(flags, 'registry');
      const r = registryOf(t);
      const versions = await r.versions(subject);
      if (!versions) throw notFound(`subject ${subject}`, t, subjectHint);
      if (version !== undefined && !versions.includes(version))
        throw notFound(`version ${version} of subject ${subject}`, t, `its versions: ${versions.join(', ')}`);
      const what =
        version === undefined ? `subject ${subject} (versions ${versions.join(', ')})` : `version ${version} of subject ${subject}`;
      await confirm(`${flags.permanent ? 'permanently ' : ''}delete ${what} on ${r.url}`, { yes: flags.yes, io: ask });
      // the registry may also answer versions deleted before (soft): report the ones that were live
      const deleted = (await r.deleteSubject(subject, { version, permanent: flags.permanent })).filter((v) => versions.includes(v));
      const out = { subject, deleted, permanent: Boolean(flags.permanent) };
      print(io, flags, out, () => [
        `deleted ${subject} version(s) ${deleted.join(', ')}${out.permanent ? ' permanently' : ''} (${t.source})`,
      ]);
    });
  return group;
}

/** The version of `subject` whose schema id is `id` (newest first: an upload is usually the latest). */
async function findVersion(r: Registry, subject: string, id: number, versions: number[]): Promise<number> {
  for (const v of [...versions].reverse()) if ((await r.version(subject, v))?.id === id) return v;
  throw new Error(`schema id ${id} is not a version of subject ${subject} after registering it`);
}
