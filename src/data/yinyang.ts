/**
 * The Yin-Yang data set (L. Kriener, J. Göltz, M. A. Petrovici, "The Yin-Yang dataset", 2021,
 * arXiv:2102.08211), generated here with the class rule and rejection sampling of the reference code
 * (github.com/lkriener/yin_yang_data_set, dataset.py), from our own seeded Rng (so the points differ
 * from the reference's numpy stream, the distribution does not).
 *
 * Points (x, y) are uniform in the square [0, 2 r_big]^2 restricted to the big circle; each sample
 * first draws a goal class uniformly, then draws points until one falls in that class, which balances
 * the classes although the dots cover far less area. Inputs (x, y, 1-x, 1-y): the mirrored pair lets
 * neurons without a bias see "small" values as early spikes too.
 * @module
 */
import type { SpikeInput } from "../engine/engine.ts";
import type { Rng } from "../util/rng.ts";
import { allocateBatch, checkIndices, checkTIn } from "./encode.ts";
import type { Split } from "./split.ts";

/** Radius of the big circle, as in the reference. */
export const R_BIG = 0.5;
/** Radius of the two dots, as in the reference. */
export const R_SMALL = 0.1;
/**
 * Class names in label order, as in the reference code; label 1 is the region its `which_class`
 * calls `is_yin` (its upper-left half in the usual plot), label 2 the two dots.
 */
export const YINYANG_CLASSES = ["yin", "yang", "dot"] as const;
/** Input neurons: x, y, 1-x, 1-y, bias. */
export const YINYANG_INPUTS = 5;
/** Index of the bias input, which spikes at t = 0 in every sample. */
export const YINYANG_BIAS = 4;

/**
 * The class of a point (the reference's `which_class`); points outside the big circle are not
 * classified by it and never generated.
 * @param x in [0, 2 R_BIG]
 * @param y in [0, 2 R_BIG]
 * @returns 0, 1 or 2 (dot)
 */
export function yinYangClass(x: number, y: number): number {
  const dRight = Math.hypot(x - 1.5 * R_BIG, y - R_BIG);
  const dLeft = Math.hypot(x - 0.5 * R_BIG, y - R_BIG);
  if (dRight < R_SMALL || dLeft < R_SMALL) return 2;
  const isYin = dRight <= R_SMALL || (dLeft > R_SMALL && dLeft <= 0.5 * R_BIG) ||
    (y > R_BIG && dRight > 0.5 * R_BIG);
  return isYin ? 1 : 0;
}

/** Generated Yin-Yang samples. */
export interface YinYangPoints {
  /** (size, 2) x and y of each sample, in [0, 1]. */
  readonly xy: Float64Array;
  /** (size) class of each sample. */
  readonly labels: Int32Array;
}

/**
 * Draws `size` samples with the reference's class-balancing rejection sampling.
 * @param size number of samples, e.g. 5000
 * @param rng the stream to draw from (consumed)
 * @returns points and labels
 */
export function generateYinYang(size: number, rng: Rng): YinYangPoints {
  const xy = new Float64Array(2 * size);
  const labels = new Int32Array(size);
  for (let s = 0; s < size; s++) {
    const goal = rng.int(3);
    for (;;) {
      const x = rng.next() * 2 * R_BIG;
      const y = rng.next() * 2 * R_BIG;
      if (Math.hypot(x - R_BIG, y - R_BIG) > R_BIG) continue;
      if (yinYangClass(x, y) !== goal) continue;
      xy[2 * s] = x;
      xy[2 * s + 1] = y;
      labels[s] = goal;
      break;
    }
  }
  return { xy, labels };
}

/**
 * Samples of the Yin-Yang data set. Each sample is 5 spikes: inputs 0..3 carry v = x, y, 1-x, 1-y
 * (coordinates are already in [0, 1] since 2 R_BIG = 1) at t = tIn (1 - v), so v = 0 spikes at tIn
 * instead of staying silent (every input always carries information); input 4 is a bias spike at t = 0.
 */
export class YinYangSplit implements Split {
  readonly size: number;
  readonly labels: Int32Array;
  readonly meanEvents = YINYANG_INPUTS;
  /** (size, 2) coordinates of each sample. */
  readonly xy: Float64Array;

  constructor(points: YinYangPoints) {
    this.xy = points.xy;
    this.labels = points.labels;
    this.size = points.labels.length;
  }

  /**
   * Encodes the samples at `indices`; events of a sample in input order 0..4.
   * @param indices samples, any order, repeats allowed
   * @param tIn encoding window, e.g. 2
   * @returns the batch (CSR over samples), 5 events per sample
   */
  encode(indices: ArrayLike<number>, tIn: number): SpikeInput {
    checkTIn(tIn);
    checkIndices(indices, this.size);
    const batch = allocateBatch(indices, () => YINYANG_INPUTS);
    const { neuron, time } = batch;
    for (let s = 0; s < indices.length; s++) {
      const x = this.xy[2 * indices[s]];
      const y = this.xy[2 * indices[s] + 1];
      const e = YINYANG_INPUTS * s;
      const values = [x, y, 1 - x, 1 - y];
      for (let k = 0; k < 4; k++) {
        neuron[e + k] = k;
        time[e + k] = tIn * (1 - values[k]);
      }
      neuron[e + YINYANG_BIAS] = YINYANG_BIAS;
      time[e + YINYANG_BIAS] = 0;
    }
    return batch;
  }

  /** The spike trains of `encode`: Yin-Yang's code is not the image code engines can run themselves. */
  batch(indices: ArrayLike<number>, tIn: number): SpikeInput {
    return this.encode(indices, tIn);
  }
}
