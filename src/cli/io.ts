/** What a command may touch besides its arguments: where it prints, the folder it runs in, the environment. */
export interface CliIo {
  out: (line: string) => void;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Asks a question in a terminal; absent when there is none (a pipe, CI), so commands fall back to their flags. */
  ask?: (question: string) => Promise<string>;
}

/** The outcome of a command: 0 done, 1 something must be fixed, 2 the command line itself was wrong. */
export type ExitCode = 0 | 1 | 2;

export interface CliCommand {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The full usage text, shown by `help <command>` and after a usage error. */
  usage: string;
  run(args: string[], io: CliIo): Promise<ExitCode>;
}

/** A mistake on the command line: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
