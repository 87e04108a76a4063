/**
 * Ctrl-C during `train` and `sweep`: the first SIGINT asks the run to stop at a safe point (the trainer
 * sees an aborted `AbortSignal` and keeps its last checkpoint); a second one stops the process at once.
 * @module
 */

/** Exit code of a run stopped by SIGINT (128 + signal 2, as shells report it). */
export const EXIT_INTERRUPTED = 130;

/** Outcome of `runInterruptible`. */
export type Interruptible<T> =
  | { readonly interrupted: false; readonly value: T }
  // `error`: what the job threw on its way out (e.g. a `TrainingInterrupted`), if it threw.
  | { readonly interrupted: true; readonly error?: unknown };

/**
 * Runs `fn` with a signal that SIGINT aborts.
 * @param fn the long-running job; it should watch `signal` and return or throw once it is aborted
 * @returns the job's value, or `interrupted: true` when SIGINT aborted it (whatever the job then threw)
 */
export async function runInterruptible<T>(
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<Interruptible<T>> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) Deno.exit(EXIT_INTERRUPTED);
    controller.abort(new DOMException("interrupted by SIGINT", "AbortError"));
    Deno.stderr.writeSync(
      new TextEncoder().encode("\nmultispike: stopping after the current step (Ctrl-C again to quit now)\n"),
    );
  };
  Deno.addSignalListener("SIGINT", onSigint);
  try {
    const value = await fn(controller.signal);
    return controller.signal.aborted ? { interrupted: true } : { interrupted: false, value };
  } catch (e) {
    // Once aborted, the error is the job's way of stopping (an AbortError, or one raised by a step it cut
    // short); anything thrown before that is the job's own and keeps its meaning.
    if (controller.signal.aborted) return { interrupted: true, error: e };
    throw e;
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}

/**
 * The line printed after an interrupted `train`/`sweep`: what is kept and how to continue.
 * @param command the command line that ran, without the program name, e.g. ["train", "--out", "runs/a"]
 * @param out the run's output directory
 * @param epochsDone for `train`: epochs checkpointed before the interruption, when known
 */
export function interruptedLine(command: readonly string[], out: string, epochsDone?: number): string {
  const q = (args: readonly string[]) => `multispike ${args.map(shellQuote).join(" ")}`;
  if (command[0] === "sweep") {
    // A sweep resumes by running it again: finished points are skipped, unfinished ones resume.
    return `multispike: interrupted; finished runs and checkpoints are kept in ${out}; continue with: ${
      q(command)
    }`;
  }
  const resume = command.includes("--resume") ? command : [...command, "--resume"];
  if (epochsDone === 0) {
    return `multispike: interrupted during epoch 1, before any checkpoint; start again with: ${q(command)}`;
  }
  const kept = epochsDone === undefined ? "the last checkpoint" : `the checkpoint after epoch ${epochsDone}`;
  return `multispike: interrupted; ${kept} is kept in ${out}; continue with: ${q(resume)}`;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
