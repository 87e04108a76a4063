/**
 * Evaluation of a whole dataset split in batches (forward + loss, no gradients), shared by training
 * (validation and test after every epoch) and `eval`; and the per-layer spike statistics of the reports.
 * @module
 */
import { eventLoopTurn } from "../util/event_loop.ts";
import type { Split } from "../data/dataset.ts";
import { addStats, emptyStats, type Engine, type LayerStats, type LossConfig } from "../engine/engine.ts";

/** Samples per evaluation batch: big enough for the engines' parallelism, small enough for memory. */
export const EVAL_BATCH = 256;

/** Outcome of `evaluateSplit`. */
export interface SplitResult {
  readonly size: number;
  /** Mean loss per sample; NaN for an empty split. */
  readonly loss: number;
  readonly correct: number;
  /** correct / size; NaN for an empty split. */
  readonly accuracy: number;
  /** Samples whose winning readout value two or more outputs share (EvalResult.ties). */
  readonly ties: number;
  /** (size) predicted class, -1 when every output stayed silent. */
  readonly predictions: Int32Array;
  /** (size) first output spike time, NaN when every output stayed silent. */
  readonly decisionTime: Float64Array;
  /** Counters per non-input layer, summed over the split. */
  readonly stats: LayerStats[];
  readonly seconds: number;
}

/** Options of `evaluateSplit`. */
export interface SplitEvalOptions {
  /** Samples per engine call (default EVAL_BATCH). */
  readonly batchSize?: number;
  /** Checked between batches: throws `signal.reason` when aborted. */
  readonly signal?: AbortSignal;
  /** Called after every batch with the samples done so far and how many of them were classified right. */
  readonly onBatch?: (done: number, correct: number) => void;
}

/**
 * Runs every sample of `split` through `engine` in order.
 * @param engine the network to evaluate
 * @param split samples and labels
 * @param tIn input encoding window, e.g. 5
 * @param loss the readout and loss
 * @param options batch size, abort signal, progress callback
 * @returns loss, accuracy, per-sample predictions and decision times, layer statistics
 */
export async function evaluateSplit(
  engine: Engine,
  split: Split,
  tIn: number,
  loss: LossConfig,
  options: SplitEvalOptions = {},
): Promise<SplitResult> {
  const t0 = performance.now();
  const batch = options.batchSize ?? EVAL_BATCH;
  const predictions = new Int32Array(split.size);
  const decisionTime = new Float64Array(split.size);
  const stats = emptyStats(engine.spec.sizes.length - 1);
  let lossSum = 0;
  let correct = 0;
  let ties = 0;
  for (let from = 0; from < split.size; from += batch) {
    await eventLoopTurn();
    options.signal?.throwIfAborted();
    const to = Math.min(split.size, from + batch);
    const indices = Array.from({ length: to - from }, (_, k) => from + k);
    const labels = split.labels.slice(from, to);
    // Images as raw intensities: the engine encodes them (the WebGPU engine on the GPU).
    const input = split.batch(indices, tIn);
    const r = await engine.evaluate(input, labels, loss);
    lossSum += r.loss;
    correct += r.correct;
    ties += r.ties;
    predictions.set(r.predictions, from);
    decisionTime.set(r.decisionTime, from);
    addStats(stats, r.stats);
    options.onBatch?.(to, correct);
  }
  return {
    size: split.size,
    loss: split.size > 0 ? lossSum / split.size : NaN,
    correct,
    accuracy: split.size > 0 ? correct / split.size : NaN,
    ties,
    predictions,
    decisionTime,
    stats,
    seconds: (performance.now() - t0) / 1000,
  };
}

/** Per-layer spike statistics in report form (MODEL.md section 5); layer 1 is the first hidden layer. */
export interface LayerSummary {
  /** Mean spikes per neuron per sample. */
  readonly spikes_per_neuron: number;
  /** Fraction of (neuron, sample) pairs without a spike. */
  readonly silent_fraction: number;
  /** Mean number of neurons per sample that reached max_spikes. */
  readonly cap_hits: number;
  /** Mean number of grazing crossings (slope clamped to rho_min) per sample. */
  readonly grazing: number;
  /** Spikes lost to full buffers (GPU engine), in total. */
  readonly overflow: number;
}

/**
 * Turns counters summed over `samples` samples into per-neuron, per-sample figures.
 * @param stats counters per non-input layer
 * @param sizes layer sizes including the input
 * @param samples samples the counters cover
 */
export function layerSummaries(
  stats: readonly LayerStats[],
  sizes: readonly number[],
  samples: number,
): LayerSummary[] {
  return stats.map((s, l) => {
    const pairs = Math.max(1, samples * sizes[l + 1]);
    const n = Math.max(1, samples);
    return {
      spikes_per_neuron: s.spikes / pairs,
      silent_fraction: s.silent / pairs,
      cap_hits: s.capped / n,
      grazing: s.grazing / n,
      overflow: s.overflow,
    };
  });
}
