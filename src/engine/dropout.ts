/**
 * Dropout of hidden neurons in a training step (Srivastava et al. 2014), the same masks in both engines.
 *
 * A dropped neuron still fires, but its spikes reach no neuron of the next layer and get no gradient from
 * it; the spikes of the kept neurons arrive with weight w / (1 - rate) (inverted dropout), so that the
 * expected input of the next layer is what the full network gives it at evaluation, where nothing is
 * dropped. The gradient is exact for the masked network: dL/dw = dL/dw' / (1 - rate) for w' = w / (1 - rate).
 *
 * Whether neuron i of hidden layer h is dropped in sample s (its index in the batch) of a step is a hash of
 * (step seed, h, s, i): no random stream to carry between threads or up to the GPU, and
 * `shaders/common.wgsl` (`dropped`) computes the same bits. The hash is PCG's output permutation
 * (Jarzynski & Olano, "Hash Functions for GPU Rendering", JCGT 2020), chained over the four keys.
 * @module
 */

/** Dropout of one training step. */
export interface DropoutConfig {
  /** Probability that a hidden neuron is dropped in a sample, in [0, 1); 0 = off. */
  readonly rate: number;
  /** Seed of this step's masks, a u32: the trainer derives a new one for every step (`stepSeed`). */
  readonly seed: number;
}

/** PCG hash of a u32 (Jarzynski & Olano 2020), in u32 arithmetic: the same bits as `pcg_hash` in WGSL. */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/**
 * The seed of hidden layer `h`'s masks in a step: what the WebGPU engine sends in the layer's parameters,
 * so that a shader hashes only (sample, neuron).
 */
export function layerMaskSeed(seed: number, h: number): number {
  return pcgHash((seed + h) >>> 0);
}

/** Hashes below this u32 drop a neuron: floor(rate 2^32), so that a hash drops with probability `rate`. */
export function dropThreshold(rate: number): number {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  return Math.floor(rate * 4294967296);
}

/** Whether neuron `i` is dropped in sample `s`, given its layer's mask seed (`layerMaskSeed`). */
export function isDropped(layerSeed: number, s: number, i: number, threshold: number): boolean {
  return pcgHash((pcgHash((layerSeed + s) >>> 0) + i) >>> 0) < threshold;
}

/** The factor on the weights out of a hidden layer under dropout: 1 / (1 - rate). */
export function keptScale(rate: number): number {
  return 1 / (1 - rate);
}

/** The mask seed of optimizer step `step` (0-based over the run) of a run whose dropout stream is `seed`. */
export function stepSeed(seed: number, step: number): number {
  return pcgHash((seed ^ pcgHash(step >>> 0)) >>> 0);
}

/** Throws a RangeError unless `d` is a valid dropout (or absent). */
export function checkDropout(d: DropoutConfig | undefined): void {
  if (!d) return;
  dropThreshold(d.rate);
  if (!(Number.isInteger(d.seed) && d.seed >= 0 && d.seed <= 0xffffffff)) {
    throw new RangeError(`dropout seed must be a u32, got ${d.seed}`);
  }
}
