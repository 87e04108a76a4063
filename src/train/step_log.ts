/**
 * The within-epoch record of a training run, `steps.csv`: one row per `every` optimizer steps with the
 * training loss, accuracy and hidden activity over those steps. Epoch means (metrics.csv) hide what happens
 * inside an epoch: a loss that jumps in one step reads the same as one that drifts over hundreds.
 * @module
 */
import { addStats, emptyStats, type LayerStats, type StepMetrics } from "../engine/engine.ts";
import { layerSummaries } from "./split_eval.ts";

/** One row of steps.csv. */
export type StepRow = Record<string, number>;

/**
 * Gathers step metrics into rows of `every` steps. Rows never straddle two epochs: the last steps of an epoch
 * make a shorter row. Loss and accuracy are means over the row's samples; `lr` is the rate of its last step.
 * @example
 * ```ts
 * const log = new StepLog(100, [784, 800, 10]);
 * log.add(1, 0, 0.003, metrics); // after each step, in order
 * log.endEpoch(); // flushes the epoch's last, shorter row
 * toCsv(log.rows);
 * ```
 */
export class StepLog {
  /** The rows so far, oldest first. */
  readonly rows: StepRow[] = [];
  readonly #every: number;
  readonly #sizes: readonly number[];
  #window: StepWindow;

  /**
   * @param every steps per row, >= 1
   * @param sizes layer sizes including the input, e.g. `[784, 800, 10]`
   * @param rows rows kept from an earlier part of the run (a resumed one), oldest first
   */
  constructor(every: number, sizes: readonly number[], rows: readonly StepRow[] = []) {
    if (!(Number.isInteger(every) && every >= 1)) {
      throw new RangeError(`every must be an integer >= 1, got ${every}`);
    }
    this.#every = every;
    this.#sizes = sizes;
    this.#window = freshWindow(this.#sizes.length - 1);
    this.rows.push(...rows);
  }

  /**
   * Counts one step.
   * @param epoch 1-based epoch
   * @param step 0-based step within the epoch
   * @param lr the rate this step used
   * @param m the step's metrics
   */
  add(epoch: number, step: number, lr: number, m: StepMetrics): void {
    if (this.#window.steps > 0 && this.#window.epoch !== epoch) this.#flush();
    const w = this.#window;
    if (w.steps === 0) {
      w.epoch = epoch;
      w.firstStep = step;
    }
    w.steps++;
    w.lastStep = step;
    w.lr = lr;
    w.loss += m.loss;
    w.correct += m.correct;
    w.seen += m.size;
    addStats(w.stats, m.stats);
    if (w.steps >= this.#every) this.#flush();
  }

  /** Writes the epoch's last, shorter row (if any steps are pending). */
  endEpoch(): void {
    if (this.#window.steps > 0) this.#flush();
  }

  #flush(): void {
    const w = this.#window;
    const row: StepRow = {
      epoch: w.epoch,
      first_step: w.firstStep + 1,
      last_step: w.lastStep + 1,
      samples: w.seen,
      lr: w.lr,
      train_loss: w.loss / w.seen,
      train_acc: w.correct / w.seen,
    };
    // The same per-layer figures as metrics.csv, over this row's training samples.
    const fields = ["spikes_per_neuron", "silent_fraction", "cap_hits", "grazing"] as const;
    layerSummaries(w.stats, this.#sizes, w.seen).forEach((layer, l) => {
      for (const f of fields) row[`${f}_l${l + 1}`] = layer[f];
    });
    this.rows.push(row);
    this.#window = freshWindow(this.#sizes.length - 1);
  }
}

/**
 * The rows of an earlier steps.csv that a run resumed after `epochs` finished epochs keeps: those of the
 * finished epochs (an interrupted epoch is run again, and logs itself again).
 * @param rows parsed steps.csv rows (strings)
 * @param epochs finished epochs, e.g. the checkpoint's
 */
export function keptStepRows(rows: readonly Record<string, string>[], epochs: number): StepRow[] {
  return rows
    .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])) as StepRow)
    .filter((r) => r.epoch <= epochs);
}

/** The steps gathered for the next row. */
interface StepWindow {
  epoch: number;
  firstStep: number;
  lastStep: number;
  steps: number;
  lr: number;
  loss: number;
  correct: number;
  seen: number;
  stats: LayerStats[];
}

function freshWindow(layers: number): StepWindow {
  return {
    epoch: 0,
    firstStep: 0,
    lastStep: 0,
    steps: 0,
    lr: 0,
    loss: 0,
    correct: 0,
    seen: 0,
    stats: emptyStats(layers),
  };
}
