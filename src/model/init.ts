/**
 * Weight initialisation that makes neurons fire (MODEL.md section 4: silent neurons get no timing
 * gradient, so a network that starts silent cannot learn).
 *
 * Each layer's weights are drawn from N(mu, sigma^2) with mu and sigma scaled by the number of input
 * events a neuron expects and by the peak of the PSP kernel, so that the mean free potential peaks at about
 * `drive` x theta whatever the fan-in, the time constants or the encoding.
 * @module
 */
import type { NetworkSpec } from "../engine/engine.ts";
import { Rng } from "../util/rng.ts";
import { NeuronMath } from "./kernel.ts";

/** Options of `initWeights`. */
export interface InitOptions {
  readonly seed: number;
  /** Mean number of input spikes per sample of the first layer, e.g. 150 for MNIST. */
  readonly meanInputEvents: number;
  /** Expected spikes per hidden neuron per sample, used to scale deeper layers, e.g. 2. */
  readonly hiddenRate?: number;
  /** Mean peak potential in units of theta if all inputs arrived at once, e.g. 2. */
  readonly drive?: number;
  /** Standard deviation relative to the mean contribution, e.g. 1. */
  readonly spread?: number;
}

/** Peak of the PSP kernel K, at s* = ln(a/b)/(a - b) (tau when tau_m == tau_s). */
export function kernelPeak(math: NeuronMath): number {
  const { a, b } = math;
  const s = a === b ? 1 / a : Math.log(a / b) / (a - b);
  return math.kernel(s);
}

/** Draws the weights of every layer of `spec`; (sizes[l], sizes[l+1]) each. */
export function initWeights(spec: NetworkSpec, opts: InitOptions): Float64Array[] {
  const rng = new Rng(opts.seed);
  const math = new NeuronMath(spec.neuron);
  const peak = kernelPeak(math);
  const drive = opts.drive ?? 2;
  const spread = opts.spread ?? 1;
  const rate = Math.min(opts.hiddenRate ?? 2, spec.neuron.max_spikes);
  const weights: Float64Array[] = [];
  for (let l = 0; l + 1 < spec.sizes.length; l++) {
    const nIn = spec.sizes[l];
    const nOut = spec.sizes[l + 1];
    const events = Math.max(1, l === 0 ? opts.meanInputEvents : nIn * rate);
    const mu = drive * spec.neuron.theta / (events * peak);
    const sigma = spread * spec.neuron.theta / (Math.sqrt(events) * peak);
    const w = new Float64Array(nIn * nOut);
    for (let i = 0; i < w.length; i++) w[i] = mu + sigma * rng.normal();
    weights.push(w);
  }
  return weights;
}
