/**
 * Runs the command-line program and turns outcomes into exit codes: 0 done (also `--help`), 2 a user
 * error (one line on stderr), 130 interrupted. Bugs are rethrown and crash with their stack.
 * @module
 */
import { CommanderError, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { errorLine, isUserError } from "./errors.ts";

/** Exit code of a user error: a bad flag or value, an unreadable or malformed file. */
export const EXIT_USAGE = 2;

/**
 * Prepares `program` (and its subcommands) to report instead of exit: commander's messages are collected
 * rather than printed, so that they can be printed as one line.
 * @param program the root command
 */
export function configureForCli(program: CommandUnknownOpts): void {
  const visit = (cmd: CommandUnknownOpts) => {
    cmd.exitOverride();
    // Commander's own error text is printed by `runCli` as one line; help still goes to stdout/stderr.
    cmd.configureOutput({ outputError: () => {} });
    for (const sub of cmd.commands) visit(sub);
  };
  visit(program);
}

/**
 * Parses `args` and runs the chosen command.
 * @param program the root command, built with `configureForCli` applied
 * @param args arguments without the program name, e.g. `Deno.args`
 * @returns the exit code
 */
export async function runCli(
  program: CommandUnknownOpts,
  args: readonly string[],
): Promise<number> {
  try {
    await program.parseAsync([...args], { from: "user" });
    return Deno.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version were printed by commander; "(outputHelp)" is help shown for a missing command.
      if (e.exitCode === 0) return 0;
      if (e.code !== "commander.help") console.error(errorLine(e.message));
      return EXIT_USAGE;
    }
    if (isUserError(e)) {
      console.error(errorLine(e.message));
      return e.exitCode;
    }
    throw e;
  }
}
