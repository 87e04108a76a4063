/**
 * When the spikes of each layer come relative to the readout's decision (`eval --timing`).
 *
 * With the first-spike readout the class is decided by the first output spike, and by causality only the
 * spikes before it can have shaped it: a hidden spike after the decision carries no information to it.
 * So "spikes before the decision" is the part of a network's activity that the readout can use, and
 * "neurons with two or more spikes before the decision" is how much of the multi-spike code it can use.
 * With the multi-spike readout every spike of the window counts, so the window is [0, t_max].
 * @module
 */
import type { Split } from "../data/dataset.ts";
import type { Engine, LayerSpikes, LossConfig } from "../engine/engine.ts";
import { eventLoopTurn } from "../util/event_loop.ts";
import { EVAL_BATCH } from "./split_eval.ts";

/** Time bins of the spike-time histograms over [0, t_max]. */
export const TIMING_BINS = 60;

/** Timing figures of one non-input layer, per sample (means over the split). */
export interface LayerTiming {
  /** Spikes of the layer. */
  readonly spikes: number;
  /** Spikes strictly before the decision. */
  readonly spikes_before_decision: number;
  /** spikes_before_decision / spikes; NaN when the layer never fires. */
  readonly fraction_before_decision: number;
  /** Neurons with at least one spike before the decision. */
  readonly neurons_before_decision: number;
  /** Neurons with two or more spikes before the decision: the multi-spike code the readout can use. */
  readonly neurons_multi_before_decision: number;
  /** Neurons of the layer. */
  readonly neurons: number;
  /** Neurons silent on every sample of the split: capacity the layer does not use at all. */
  readonly neurons_never_fired: number;
  /** Neurons without a spike before the decision on any sample: they never shape a decision. */
  readonly neurons_never_before_decision: number;
}

/** Outcome of `spikeTiming`. */
export interface SpikeTiming {
  /** What ends the window that counts: the first output spike, or t_max for the multi-spike readout. */
  readonly decision: "first output spike" | "end of window";
  readonly samples: number;
  /** One per non-input layer (the last is the output layer). */
  readonly layers: LayerTiming[];
  /** Width of the histogram bins, t_max / TIMING_BINS. */
  readonly bin_width: number;
  /** (layers, TIMING_BINS) spikes per sample whose time falls in each bin. */
  readonly spike_histogram: number[][];
  /** (TIMING_BINS) fraction of samples decided in each bin (samples without an output spike are left out). */
  readonly decision_histogram: number[];
}

/**
 * Cumulative fractions of a histogram, e.g. [1, 3] -> [0.25, 1] (all zeros stay zeros).
 * @param h counts or means per bin
 */
export function cumulative(h: readonly number[]): number[] {
  const total = h.reduce((a, b) => a + b, 0) || 1;
  let run = 0;
  return h.map((c) => (run += c) / total);
}

/** Running sums of `spikeTiming`, kept apart so that they can be tested on hand-made spikes. */
export class TimingTally {
  samples = 0;
  readonly spikes: number[];
  readonly before: number[];
  readonly active: number[];
  readonly multi: number[];
  readonly histogram: number[][];
  readonly decisions = new Array<number>(TIMING_BINS).fill(0);
  /** Per layer, per neuron: samples in which it fired at all, and samples in which it fired before the decision. */
  readonly #firedIn: Int32Array[];
  readonly #earlyIn: Int32Array[];
  readonly #binWidth: number;
  /** Non-input layers. */
  readonly layers: number;

  /**
   * @param sizes neurons of each non-input layer, e.g. [800, 10]
   * @param tMax end of the time window
   */
  constructor(readonly sizes: readonly number[], readonly tMax: number) {
    const layers = sizes.length;
    this.layers = layers;
    this.spikes = new Array(layers).fill(0);
    this.before = new Array(layers).fill(0);
    this.active = new Array(layers).fill(0);
    this.multi = new Array(layers).fill(0);
    this.histogram = Array.from({ length: layers }, () => new Array<number>(TIMING_BINS).fill(0));
    this.#firedIn = sizes.map((n) => new Int32Array(n));
    this.#earlyIn = sizes.map((n) => new Int32Array(n));
    this.#binWidth = tMax / TIMING_BINS;
  }

  #bin(t: number): number {
    return Math.min(TIMING_BINS - 1, Math.max(0, Math.floor(t / this.#binWidth)));
  }

  /**
   * Adds a batch.
   * @param layers spikes of every non-input layer for the batch
   * @param decision (batch) time that ends each sample's window; NaN (no output spike, or the multi-spike
   *   readout) counts as t_max and stays out of the decision histogram
   */
  add(layers: readonly LayerSpikes[], decision: ArrayLike<number>): void {
    const batch = decision.length;
    for (let s = 0; s < batch; s++) {
      const td = Number.isNaN(decision[s]) ? this.tMax : decision[s];
      if (!Number.isNaN(decision[s])) this.decisions[this.#bin(td)]++;
      layers.forEach((L, l) => {
        const cap = L.capacity;
        const hist = this.histogram[l];
        const fired = this.#firedIn[l];
        const early = this.#earlyIn[l];
        for (let i = 0; i < L.neurons; i++) {
          const n = L.count[s * L.neurons + i];
          const base = (s * L.neurons + i) * cap;
          let before = 0;
          for (let k = 0; k < n; k++) {
            const t = L.time[base + k];
            hist[this.#bin(t)]++;
            if (t < td) before++;
          }
          this.spikes[l] += n;
          this.before[l] += before;
          if (n >= 1) fired[i]++;
          if (before >= 1) {
            this.active[l]++;
            early[i]++;
          }
          if (before >= 2) this.multi[l]++;
        }
      });
    }
    this.samples += batch;
  }

  /** The figures so far, as means per sample. */
  result(decision: SpikeTiming["decision"]): SpikeTiming {
    const n = Math.max(1, this.samples);
    return {
      decision,
      samples: this.samples,
      layers: this.spikes.map((spikes, l) => ({
        spikes: spikes / n,
        spikes_before_decision: this.before[l] / n,
        fraction_before_decision: spikes > 0 ? this.before[l] / spikes : NaN,
        neurons_before_decision: this.active[l] / n,
        neurons_multi_before_decision: this.multi[l] / n,
        neurons: this.sizes[l],
        neurons_never_fired: countZeros(this.#firedIn[l]),
        neurons_never_before_decision: countZeros(this.#earlyIn[l]),
      })),
      bin_width: this.#binWidth,
      spike_histogram: this.histogram.map((h) => h.map((c) => c / n)),
      decision_histogram: this.decisions.map((c) => c / n),
    };
  }
}

/** Entries equal to 0. */
function countZeros(xs: Int32Array): number {
  let zeros = 0;
  for (const x of xs) if (x === 0) zeros++;
  return zeros;
}

/**
 * Runs every sample of `split` forward and measures when each layer's spikes come relative to the decision.
 * @param engine the network
 * @param split samples (labels unused)
 * @param tIn input encoding window
 * @param loss the readout: first-spike decides at the first output spike, multi-spike at t_max
 * @param decisionTime (split.size) first output spike per sample, as `evaluateSplit` returns it
 * @param onBatch progress: samples done so far
 */
export async function spikeTiming(
  engine: Engine,
  split: Split,
  tIn: number,
  loss: LossConfig,
  decisionTime: Float64Array,
  onBatch?: (done: number) => void,
): Promise<SpikeTiming> {
  const tMax = engine.spec.neuron.t_max;
  const tally = new TimingTally(engine.spec.sizes.slice(1), tMax);
  const firstSpike = loss.kind === "first-spike";
  for (let from = 0; from < split.size; from += EVAL_BATCH) {
    await eventLoopTurn();
    const to = Math.min(split.size, from + EVAL_BATCH);
    const indices = Array.from({ length: to - from }, (_, k) => from + k);
    const fwd = await engine.forward(split.batch(indices, tIn));
    tally.add(
      fwd.layers,
      firstSpike ? decisionTime.subarray(from, to) : new Float64Array(to - from).fill(NaN),
    );
    onBatch?.(to);
  }
  return tally.result(firstSpike ? "first output spike" : "end of window");
}
