/**
 * Confirmation of a destructive admin command (topics delete, topics config --set/--reset, registry delete,
 * registry upload that changes a subject's level): `--yes` confirms; otherwise the question is asked on the
 * terminal and only "y"/"yes" goes on; with no terminal to ask on (a script, CI) and no `--yes`, the command
 * refuses with the usage exit code and says to pass `--yes`.
 */
import * as readline from 'node:readline';
import { EXIT, UsageError } from '../../lib/exit-codes';

export interface ConfirmIo {
  /** Is there a terminal to ask on? (default: stdin and stderr are TTYs) */
  isTTY: boolean;
  /** Asks `question`, resolves the answer. */
  ask: (question: string) => Promise<string>;
}

/** The process's terminal: the question on stderr (stdout may be piped JSON), the answer from stdin. */
export function terminal(): ConfirmIo {
  return {
    isTTY: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    ask: (question) =>
      new Promise((resolve) => {
        const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
        rl.question(question, (answer) => {
          rl.close();
          resolve(answer);
        });
      }),
  };
}

/** The user did not confirm: nothing was changed. */
export class NotConfirmedError extends Error {
  readonly exitCode = EXIT.failed;
  constructor(what: string) {
    super(`${what}: not confirmed, nothing changed`);
    this.name = 'NotConfirmedError';
  }
}

/** Is this answer a yes? ("y" or "yes", any case, surrounding blanks ignored) */
export function isYes(answer: string): boolean {
  return /^\s*(y|yes)\s*$/i.test(answer);
}

/**
 * Resolves when `what` (e.g. "delete topic x on 127.0.0.1:9092") may go ahead: `yes`, or a yes on the
 * terminal. Throws {@link NotConfirmedError} (exit 1) on another answer, a UsageError (exit 2) without a terminal.
 */
export async function confirm(what: string, o: { yes?: boolean; io?: ConfirmIo } = {}): Promise<void> {
  if (o.yes) return;
  const io = o.io ?? terminal();
  if (!io.isTTY) throw new UsageError(`${what}: refusing without confirmation (no terminal to ask on); pass --yes to confirm`);
  if (!isYes(await io.ask(`${what}? [y/N] `))) throw new NotConfirmedError(what);
}
