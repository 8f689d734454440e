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
