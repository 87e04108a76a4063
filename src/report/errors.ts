/**
 * The error of the reporting layer that a person can fix (fonts missing for PNG output).
 * @module
 */

/** A reporting failure caused by the environment, not by a bug: one line, exit code 2. */
export class ReportError extends Error {
  /** Process exit code for this error. */
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "ReportError";
  }
}
