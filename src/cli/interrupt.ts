/**
 * Ctrl-C during `train` and `sweep`: the first SIGINT asks the run to stop at a safe point (the trainer
 * sees an aborted `AbortSignal` and keeps its last checkpoint); a second one stops the process at once.
 * @module
 */

/** Exit code of a run stopped by SIGINT (128 + signal 2, as shells report it). */
export const EXIT_INTERRUPTED = 130;

/** Outcome of `runInterruptible`. */
export type Interruptible<T> = { readonly interrupted: false; readonly value: T } | {
  readonly interrupted: true;
};

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
    if (controller.signal.aborted) return { interrupted: true };
    throw e;
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
}

/**
 * The line printed after an interrupted `train`/`sweep`: where the checkpoint is and how to continue.
 * @param command the command line that ran, without the program name, e.g. ["train", "--out", "runs/a"]
 * @param out the run's output directory
 */
export function interruptedLine(command: readonly string[], out: string): string {
  const resume = command.includes("--resume") || command[0] === "sweep" ? command : [...command, "--resume"];
  const what = command[0] === "sweep" ? "finished runs are kept in" : "the last checkpoint is kept in";
  return `multispike: interrupted; ${what} ${out}; continue with: multispike ${
    resume.map(shellQuote).join(" ")
  }`;
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}
