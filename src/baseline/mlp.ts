/**
 * A conventional artificial network of the same shape as a spiking one (e.g. 784-800-10: ReLU hidden layers,
 * softmax cross-entropy), trained with the same Adam and on the same images, as the reference the paper's
 * claim ("as high accuracy as non-convolutional ANNs") is measured against. Not part of the spiking engine:
 * plain f64 loops on the CPU, fast enough for MNIST-sized data because input pixels are mostly zero.
 *
 * @example
 * ```ts
 * const net = new Mlp([784, 800, 10], new Rng(0));
 * const loss = net.lossAndGradient(x, labels); // x: (batch, 784) intensities in [0, 1]
 * adamStep(net.params, net.grads, state, { lr: 1e-3, ...ADAM_DEFAULTS });
 * ```
 * @module
 */
import type { Rng } from "../util/rng.ts";
import { targetLogit } from "../engine/loss.ts";

/**
 * Dropout of hidden units while training (inverted: a kept unit is scaled by 1 / (1 - rate), so that the
 * network is used without it, unscaled, at test time). `rng` draws which units drop, one draw per unit and
 * sample, hidden layers in order.
 */
export interface Dropout {
  /** Probability that a hidden unit is dropped, in [0, 1). */
  readonly rate: number;
  readonly rng: Rng;
}

/**
 * What a kept hidden unit's output is multiplied by under `dropout`: 1 / (1 - rate), 1 without dropout. The
 * forward pass scales by it and the backward pass by the same factor, so both take it from here.
 */
function keepScale(dropout: Dropout | undefined): number {
  return dropout && dropout.rate > 0 ? 1 / (1 - dropout.rate) : 1;
}

/** A fully connected ReLU network with a softmax output, its parameters and their gradients. */
export class Mlp {
  /** Layer widths, input first, e.g. [784, 800, 10]. */
  readonly sizes: readonly number[];
  /**
   * Per layer l: weights (sizes[l] x sizes[l+1], row-major: input i's outgoing weights are contiguous) at
   * 2l and biases (sizes[l+1]) at 2l+1; the layout `adamStep` takes.
   */
  readonly params: Float64Array[];
  /** Gradients of the mean loss of the last `lossAndGradient` batch, laid out as `params`. */
  readonly grads: Float64Array[];

  /**
   * He-normal weights (std sqrt(2 / fan-in), suited to ReLU) and zero biases.
   * @param sizes layer widths, input first, at least two
   * @param rng the initialisation's random stream
   */
  constructor(sizes: readonly number[], rng: Rng) {
    if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
      throw new RangeError(`Mlp needs at least two positive integer layer sizes, got [${sizes.join(", ")}]`);
    }
    this.sizes = [...sizes];
    this.params = [];
    this.grads = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const w = new Float64Array(sizes[l] * sizes[l + 1]);
      const std = Math.sqrt(2 / sizes[l]);
      for (let i = 0; i < w.length; i++) w[i] = std * rng.normal();
      this.params.push(w, new Float64Array(sizes[l + 1]));
      this.grads.push(new Float64Array(w.length), new Float64Array(sizes[l + 1]));
    }
  }

  /**
   * Activations of every layer for a batch: [input, hidden..., logits], each (batch x width).
   * @param x (batch x sizes[0]) inputs
   * @param batch samples in x
   * @param dropout hidden units dropped (training only); none by default
   */
  forward(x: Float64Array, batch: number, dropout?: Dropout): Float64Array[] {
    if (x.length !== batch * this.sizes[0]) {
      throw new RangeError(
        `Mlp.forward: ${batch} samples need ${batch * this.sizes[0]} inputs, got ${x.length}`,
      );
    }
    const acts = [x];
    const last = this.sizes.length - 2;
    for (let l = 0; l <= last; l++) {
      const nIn = this.sizes[l];
      const nOut = this.sizes[l + 1];
      const w = this.params[2 * l];
      const b = this.params[2 * l + 1];
      const a = acts[l];
      const z = new Float64Array(batch * nOut);
      for (let s = 0; s < batch; s++) {
        const zo = s * nOut;
        z.set(b, zo);
        for (let i = 0; i < nIn; i++) {
          const ai = a[s * nIn + i];
          // Skipping zeros is the speed-up: most pixels and, after ReLU, many hidden units are 0.
          if (ai === 0) continue;
          const wo = i * nOut;
          for (let o = 0; o < nOut; o++) z[zo + o] += ai * w[wo + o];
        }
      }
      if (l < last) {
        for (let k = 0; k < z.length; k++) if (z[k] < 0) z[k] = 0;
        if (dropout && dropout.rate > 0) {
          const keep = keepScale(dropout);
          for (let k = 0; k < z.length; k++) z[k] = dropout.rng.next() < dropout.rate ? 0 : z[k] * keep;
        }
      }
      acts.push(z);
    }
    return acts;
  }

  /**
   * Class scores: the index of the largest logit per sample.
   * @param x (batch x sizes[0]) inputs
   * @param batch samples in x
   */
  predict(x: Float64Array, batch: number): Int32Array {
    const logits = this.forward(x, batch).at(-1)!;
    const k = this.sizes.at(-1)!;
    const out = new Int32Array(batch);
    for (let s = 0; s < batch; s++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (logits[s * k + c] > logits[s * k + best]) best = c;
      out[s] = best;
    }
    return out;
  }

  /**
   * Mean softmax cross-entropy of a batch; fills `grads` with its gradient (exact backpropagation, through
   * the dropout mask drawn for this batch when `dropout` is given). With `labelSmoothing` e the target of a
   * sample of class y is (1 - e) on y plus e / classes on every class (Szegedy et al. 2016), so the
   * gradient at the logits is softmax minus that target.
   * @param x (batch x sizes[0]) inputs
   * @param labels (batch) classes
   * @param dropout hidden units dropped for this batch; none by default
   * @param labelSmoothing e in [0, 1); 0 (the default) is the plain one-hot target
   * @returns the mean loss and the samples the batch got right
   */
  lossAndGradient(
    x: Float64Array,
    labels: ArrayLike<number>,
    dropout?: Dropout,
    labelSmoothing = 0,
  ): { loss: number; correct: number } {
    const batch = labels.length;
    if (dropout && !(dropout.rate >= 0 && dropout.rate < 1)) {
      throw new RangeError(`Mlp: dropout rate must be in [0, 1), got ${dropout.rate}`);
    }
    if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
      throw new RangeError(`Mlp: label smoothing must be in [0, 1), got ${labelSmoothing}`);
    }
    const acts = this.forward(x, batch, dropout);
    // A kept hidden unit's output is its ReLU times this, so its gradient is too; a dropped one's is 0 and
    // is skipped as a zero below.
    const keep = keepScale(dropout);
    const k = this.sizes.at(-1)!;
    const spread = labelSmoothing / k;
    // delta: d(mean loss)/d(pre-activation) of the current layer, starting with softmax - target.
    let delta = new Float64Array(batch * k);
    const logits = acts.at(-1)!;
    let loss = 0;
    let correct = 0;
    for (let s = 0; s < batch; s++) {
      const o = s * k;
      let max = -Infinity;
      let argmax = 0;
      for (let c = 0; c < k; c++) {
        if (logits[o + c] > max) {
          max = logits[o + c];
          argmax = c;
        }
      }
      // delta holds exp(logit - max) until the sum is known, then softmax / batch.
      let sum = 0;
      for (let c = 0; c < k; c++) {
        delta[o + c] = Math.exp(logits[o + c] - max);
        sum += delta[o + c];
      }
      const y = labels[s];
      if (!(y >= 0 && y < k)) {
        throw new RangeError(`Mlp: label ${y} of sample ${s} is not a class 0..${k - 1}`);
      }
      // -sum_c target_c log softmax_c = log(sum) + max - sum_c target_c logit_c, as the spiking engines'
      // sampleLoss takes it; with no smoothing the arithmetic is the plain loss's.
      loss += Math.log(sum) + max - targetLogit(logits, o, k, y, labelSmoothing);
      if (argmax === y) correct++;
      for (let c = 0; c < k; c++) delta[o + c] = delta[o + c] / (sum * batch) - spread / batch;
      delta[o + y] -= (1 - labelSmoothing) / batch;
    }
    for (let l = this.sizes.length - 2; l >= 0; l--) {
      const nIn = this.sizes[l];
      const nOut = this.sizes[l + 1];
      const w = this.params[2 * l];
      const gw = this.grads[2 * l].fill(0);
      const gb = this.grads[2 * l + 1].fill(0);
      const a = acts[l];
      const below = l > 0 ? new Float64Array(batch * nIn) : undefined;
      for (let s = 0; s < batch; s++) {
        const d = s * nOut;
        for (let o = 0; o < nOut; o++) gb[o] += delta[d + o];
        for (let i = 0; i < nIn; i++) {
          const ai = a[s * nIn + i];
          // A zero input adds nothing to the weight gradient, and a zero ReLU output passes no gradient down.
          if (ai === 0) continue;
          const wo = i * nOut;
          let back = 0;
          for (let o = 0; o < nOut; o++) {
            gw[wo + o] += ai * delta[d + o];
            back += w[wo + o] * delta[d + o];
          }
          if (below) below[s * nIn + i] = back * keep;
        }
      }
      if (below) delta = below;
    }
    return { loss: loss / batch, correct };
  }
}
