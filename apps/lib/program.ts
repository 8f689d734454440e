/**
 * Running an `efd` commander program: the operator CLI (apps/cli/main.ts) and each app image's entry
 * (apps/<app>/main.ts, bundled by apps/images.ts) parse their arguments the same way, so
 * `node /app/efd.js <app> …` in an image behaves as `npx efd <app> …` in the repository.
 */
import { Command, CommanderError } from 'commander';
import { EXIT, exitCodeOf } from './exit-codes';

/** A function that adds an app's subcommands to a program. */
export type RegisterCommand = (program: Command) => unknown;

/** The `efd` program with these subcommands. */
export function efdProgram(...register: RegisterCommand[]): Command {
  // positional: a command's options belong to it, not to a subcommand after it (`influxdb-sink repair --brokers …`)
  const program = new Command('efd').showHelpAfterError().enablePositionalOptions().exitOverride();
  for (const add of register) add(program);
  return program;
}

/**
 * Parses `argv` (the arguments after the script) and runs the command; the exit code (./exit-codes.ts):
 * 0 for --help, 2 for usage errors, else what the command set, or the code of the error it threw
 * (after `efd: <message>` on stderr).
 */
export async function runProgram(program: Command, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    process.stderr.write(`efd: ${(err as Error).message}\n`);
    return exitCodeOf(err);
  }
}

/** An app image's entry: runs the process arguments through an `efd` program with these subcommands. */
export function appMain(...register: RegisterCommand[]): void {
  runProgram(efdProgram(...register), process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
