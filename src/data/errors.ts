/**
 * The user-facing error of the data layer (kept in its own module so that the parsers can throw it
 * without importing the loader).
 * @module
 */

/**
 * A dataset that is missing, unreadable or malformed, or a bad data option: one line that names the file
 * and the problem (and, for a missing dataset, how to get it); exit code 2.
 */
export class DatasetError extends Error {
  /** Process exit code for this error. */
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "DatasetError";
  }
}
