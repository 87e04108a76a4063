/**
 * Errors for people: a mistake of the user (bad flag, bad value, unreadable or malformed file) is one
 * line on stderr and exit code 2. Every other error is a bug and keeps its stack.
 * @module
 */

/** A mistake in the command line or in a file the user gave: one line, exit code 2. */
export class UsageError extends Error {
  /** Process exit code for this error. */
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * An error that names its own exit code: `UsageError`, `DatasetError`, `ModelFileError`, `TrainingError`,
 * `ReportError`.
 */
export type UserError = Error & { readonly exitCode: number };

/**
 * Tells user errors (which carry a non-zero numeric `exitCode`) from bugs.
 * @param e anything thrown
 * @returns whether `e` should be shown as one line instead of crashing with a stack
 */
export function isUserError(e: unknown): e is UserError {
  if (!(e instanceof Error)) return false;
  const code = (e as { exitCode?: unknown }).exitCode;
  return typeof code === "number" && Number.isInteger(code) && code > 0;
}

/**
 * The one line printed for a user error.
 * @param message what went wrong, e.g. "model file m.json: \"version\" must be 1"
 * @returns `multispike: error: <message>` with line breaks folded into spaces
 */
export function errorLine(message: string): string {
  const text = message.replace(/^error:\s*/, "").replace(/\s*\n\s*/g, " ").trim();
  return `multispike: error: ${text}`;
}

/**
 * The reason of a failed file operation without Deno's "(os error N): syscall 'path'" tail, for messages
 * that name the file already.
 * @param e the error thrown by a `Deno` file function
 * @returns e.g. "No such file or directory"
 */
export function ioReason(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.replace(/\s*\(os error \d+\).*$/s, "");
}
