// The plain face: commands from `-c` or from standard input, run in order through the same ShellSession as
// the terminal UI. Output goes to stdout; each error goes to stderr labelled with the command's number and
// the command as the session saw it, the caret lined up under it. No pager, no colour.
import { escapeControls } from '../present/visible.js';
import { createInterface } from 'node:readline';
import type { ExecResult, ShellSession } from './session-api.js';
import { alignCaret } from './display.js';
import { splitCommands } from './split-commands.js';

export interface LineModeIO {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

export interface LineModeOptions {
  /** Run every command even after one failed (the exit code is still 1). */
  keepGoing?: boolean;
}

type Outcome = 'ok' | 'failed' | 'exit';

/** A source of replies for questions (`[yes/no]`); null when there is none (`-c`). */
type AnswerSource = (() => Promise<string | null>) | null;

class LineRunner {
  private number = 0;
  failures = 0;

  constructor(
    private readonly session: ShellSession,
    private readonly io: LineModeIO,
    private readonly answers: AnswerSource,
    private readonly origin: string,
  ) {}

  async run(text: string): Promise<Outcome> {
    this.number++;
    const prompt = this.session.prompt();
    const result = await guard(() => this.session.execute(text));
    return this.settle(result, prompt + text);
  }

  private async settle(result: ExecResult, echo: string): Promise<Outcome> {
    if (result.output) this.io.stdout(withNewline(result.output));
    this.printNotices();
    if (result.error) {
      this.fail(echo, result.error);
      return 'failed';
    }
    if (result.question) {
      const reply = this.answers ? await this.answers() : null;
      if (reply === null) {
        const why = this.answers
          ? 'the input ended before an answer'
          : `there is no input to answer it from in ${this.origin} (run the commands on standard input, with the answer on the next line)`;
        this.fail(echo, `% The command asks "${result.question.prompt}" but ${why}.`);
        return 'failed';
      }
      this.io.stdout(`${result.question.prompt.trimEnd()} ${reply}\n`);
      const question = result.question;
      const next = await guard(() => question.answer(reply));
      return this.settle(next, `${question.prompt.trimEnd()} ${reply}`);
    }
    return result.exitShell ? 'exit' : 'ok';
  }

  private fail(echo: string, error: string): void {
    this.failures++;
    const label = `% command ${this.number}: `;
    // The echo is the script's own line, which may carry control characters: shown escaped like everything else.
    this.io.stderr(`${label}${escapeControls(echo)}\n${withNewline(alignCaret(error.replace(/\n$/, ''), label.length))}`);
  }

  /** The run stops on an error: the shared candidate goes back to what the run found (its changes out). */
  async abandon(): Promise<void> {
    for (const line of (await this.session.abandon?.()) ?? []) this.io.stderr(withNewline(line));
  }

  printNotices(): void {
    let notices: string[] = [];
    try {
      notices = this.session.takeNotices();
    } catch {
      // a broken notice source must not stop a script
    }
    for (const n of notices) this.io.stderr(withNewline(n));
  }
}

/** Runs `lbctl shell -c SCRIPT`: commands separated by `;` or newlines. Returns the exit code. */
export async function runCommandString(
  session: ShellSession,
  script: string,
  io: LineModeIO,
  options: LineModeOptions = {},
): Promise<number> {
  const runner = new LineRunner(session, io, null, '-c');
  runner.printNotices();
  try {
    for (const command of splitCommands(script)) {
      const outcome = await runner.run(command.text);
      if (outcome === 'exit') break;
      if (outcome === 'failed' && !options.keepGoing) {
        await runner.abandon();
        return 1;
      }
    }
    return runner.failures > 0 ? 1 : 0;
  } finally {
    await session.close();
  }
}

/** Runs commands read from a stream, one line at a time (a question takes the next line as its answer). */
export async function runStream(
  session: ShellSession,
  input: NodeJS.ReadableStream,
  io: LineModeIO,
  options: LineModeOptions = {},
): Promise<number> {
  const reader = createInterface({ input, crlfDelay: Infinity, terminal: false });
  const lines = reader[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string | null> => {
    const next = await lines.next();
    return next.done ? null : next.value;
  };
  const runner = new LineRunner(session, io, nextLine, 'standard input');
  runner.printNotices();
  try {
    for (let line = await nextLine(); line !== null; line = await nextLine()) {
      for (const command of splitCommands(line)) {
        const outcome = await runner.run(command.text);
        if (outcome === 'exit') return runner.failures > 0 ? 1 : 0;
        if (outcome === 'failed' && !options.keepGoing) {
          await runner.abandon();
          return 1;
        }
      }
    }
    return runner.failures > 0 ? 1 : 0;
  } finally {
    reader.close();
    await session.close();
  }
}

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : text + '\n';
}

async function guard(run: () => Promise<ExecResult>): Promise<ExecResult> {
  try {
    return await run();
  } catch (err) {
    return { output: '', error: `% Internal error: ${(err as Error).message}` };
  }
}
