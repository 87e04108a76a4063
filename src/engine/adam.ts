/**
 * Adam (Kingma & Ba 2015) with bias correction and optional decoupled weight decay (AdamW), on flat
 * arrays; the WebGPU engine's `adam.wgsl` applies the same update.
 * @module
 */
import type { AdamConfig, AdamState } from "./engine.ts";

/** Adam defaults other than the learning rate. */
export const ADAM_DEFAULTS = Object.freeze({ beta1: 0.9, beta2: 0.999, eps: 1e-8 });

/** Zero moments for layers of the given sizes (nIn * nOut each). */
export function newAdamState(weights: readonly Float64Array[]): AdamState {
  return {
    step: 0,
    m: weights.map((w) => new Float64Array(w.length)),
    v: weights.map((w) => new Float64Array(w.length)),
  };
}

/** One Adam step of every layer: `state.step` advances by one; `grads` is the gradient of the mean loss. */
export function adamStep(
  weights: Float64Array[],
  grads: readonly Float64Array[],
  state: AdamState,
  cfg: AdamConfig,
): void {
  state.step++;
  const { lr, beta1, beta2, eps } = cfg;
  // The decay shrinks the weight before the gradient step, as PyTorch's AdamW does.
  const keep = 1 - lr * (cfg.weight_decay ?? 0);
  const c1 = 1 - Math.pow(beta1, state.step);
  const c2 = 1 - Math.pow(beta2, state.step);
  for (let l = 0; l < weights.length; l++) {
    const w = weights[l];
    const g = grads[l];
    const m = state.m[l];
    const v = state.v[l];
    for (let i = 0; i < w.length; i++) {
      const gi = g[i];
      m[i] = beta1 * m[i] + (1 - beta1) * gi;
      v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
      w[i] = keep * w[i] - lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps);
    }
  }
}
