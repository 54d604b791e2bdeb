// The shape every `lbctl SUBCOMMAND` module exports. main.ts routes to it; help text comes from it.
export interface CliIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  stdin: NodeJS.ReadableStream;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}

export interface CliCommand {
  name: string;
  /** One line for `lbctl --help`. */
  summary: string;
  /** Full usage text for `lbctl help NAME` and `lbctl NAME --help`. */
  usage: string;
  /** Returns the process exit code. */
  run(argv: string[], io: CliIO): Promise<number>;
}

/** An error meant for the operator: printed as `lbctl: message` without a stack trace. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}
