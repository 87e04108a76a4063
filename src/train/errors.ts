/**
 * Errors of training, evaluation and sweeps that a user caused or can act on (diverged run, bad output
 * directory, checkpoint from another configuration, interrupted run). Each is one line and carries its
 * exit code; anything else thrown from `src/train/` is a bug and keeps its stack.
 * @module
 */

/** A training problem the user must act on: one line, exit code 2. */
export class TrainingError extends Error {
  /** Process exit code for this error. */
  readonly exitCode: number = 2;
  constructor(message: string) {
    super(message);
    this.name = "TrainingError";
  }
}

/**
 * Training stopped because its `AbortSignal` fired (Ctrl-C): nothing of the unfinished epoch was written,
 * the checkpoint of the last finished epoch is intact. Exit code 130, as for SIGINT.
 */
export class TrainingInterrupted extends TrainingError {
  override readonly exitCode: number = 130;
  /** Epochs finished and checkpointed before the interruption. */
  readonly epochsDone: number;
  constructor(message: string, epochsDone: number) {
    super(message);
    this.name = "TrainingInterrupted";
    this.epochsDone = epochsDone;
  }
}
