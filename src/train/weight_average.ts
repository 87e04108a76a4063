/**
 * Weight averaging over the last epochs of a run (`--average-last K`): the arithmetic mean of the weights at
 * the end of each of the run's last K epochs, a form of stochastic weight averaging (Izmailov et al. 2018,
 * "Averaging Weights Leads to Wider Optima and Better Generalization"). Late in a decaying schedule the
 * end-of-epoch weights scatter around a minimum; their mean sits nearer its middle than any one of them.
 *
 * The running sum lives in the checkpoint, so that an interrupted run resumes to the same average.
 * @module
 */
import { TrainingError } from "./errors.ts";

/** The sum of the end-of-epoch weights of epochs `from`..`from + count - 1` (1-based). */
export interface WeightAverage {
  /** First epoch of the window, 1-based. */
  readonly from: number;
  /** Epochs summed so far. */
  count: number;
  /** Per layer, the sum of the weights. */
  readonly sum: Float64Array[];
}

/**
 * The first epoch (1-based) whose weights enter the average of the last `k` of `epochs` epochs.
 * @example averageWindowStart(20, 5) === 16
 */
export function averageWindowStart(epochs: number, k: number): number {
  return Math.max(1, epochs - k + 1);
}

/**
 * Adds the weights after epoch `epoch` (1-based) to `avg`, starting the sum at the window's first epoch.
 * @returns the average to carry on (null before the window begins or when averaging is off, k = 0)
 */
export function addEpochWeights(
  avg: WeightAverage | null,
  weights: readonly Float64Array[],
  epoch: number,
  epochs: number,
  k: number,
): WeightAverage | null {
  if (k <= 0 || epoch < averageWindowStart(epochs, k)) return null;
  const next = avg ?? { from: epoch, count: 0, sum: weights.map((w) => new Float64Array(w.length)) };
  next.sum.forEach((s, l) => {
    const w = weights[l];
    for (let i = 0; i < s.length; i++) s[i] += w[i];
  });
  next.count++;
  return next;
}

/** The mean weights of `avg`, per layer. */
export function averagedWeights(avg: WeightAverage): Float64Array[] {
  return avg.sum.map((s) => s.map((x) => x / avg.count));
}

/**
 * The average a resumed run carries on with, checked against the window that `epochs` and `k` now ask for.
 * @param saved the checkpoint's average (null or absent when it held none)
 * @param done epochs the checkpoint has finished
 * @throws TrainingError when the window now begins at an epoch the checkpoint did not keep (a larger
 *   --average-last, or a longer run whose window the saved sum does not match)
 */
export function resumedAverage(
  saved: WeightAverage | null | undefined,
  done: number,
  epochs: number,
  k: number,
): WeightAverage | null {
  if (k <= 0) return null;
  const from = averageWindowStart(epochs, k);
  // The window has not begun yet: whatever was summed belongs to another window.
  if (from > done) return null;
  if (saved && saved.from === from && saved.count === done - from + 1) return saved;
  const held = saved ? `epochs ${saved.from}-${saved.from + saved.count - 1}` : "no epochs";
  throw new TrainingError(
    `--average-last ${k} of ${epochs} epochs needs the weights of epochs ${from}-${done}, which the ` +
      `checkpoint did not keep (it averaged ${held}); resume with the run's own --average-last and --epochs`,
  );
}
