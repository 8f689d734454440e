/** Where a command writes its report: stdout/stderr lines, injectable for tests. */
export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** The process's stdout and stderr, a line at a time. */
export const stdio: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * A reader that closes the pipe early (`efd topics list | head`) is not an error: on EPIPE the process ends
 * quietly with the exit code it has so far (0 unless the command failed), instead of an unhandled 'error'.
 */
export function endQuietlyOnClosedPipe(stream: NodeJS.EventEmitter, exit: (code: number) => void = (c) => process.exit(c)): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}
