/**
 * Neuron parameters (MODEL.md section 1) and their validation.
 *
 * Times are in arbitrary units (think ms); every time constant and window shares that unit.
 * @module
 */

/** Parameters shared by every neuron of a network. */
export interface NeuronParams {
  /** Membrane time constant, e.g. 5. Finite, > 0. */
  readonly tau_m: number;
  /** Synaptic current time constant, e.g. 5. Finite, > 0; may equal `tau_m`. */
  readonly tau_s: number;
  /** Firing threshold, e.g. 1. Finite, > 0. */
  readonly theta: number;
  /** End of the time window; nothing after it exists, e.g. 30. */
  readonly t_max: number;
  /** Spikes per neuron per sample at most, e.g. 8; 1 is the single-spike (TTFS) restriction. */
  readonly max_spikes: number;
  /**
   * Smallest slope dV/dt accepted at a crossing (MODEL.md section 3, grazing crossings); a smaller one
   * is clamped to it and counted. Defaults to `0.1 * theta / tau_m`: a crossing that slow is a spike that a
   * tiny weight change can delete, and its exact 1/rho gradient destabilises training (README, "Model").
   * Exactness tests set it to a tiny value.
   */
  readonly rho_min?: number;
}

/**
 * Defaults the README recommends (chosen by measurement on Yin-Yang and MNIST); a dataset's training defaults
 * may set other time constants (src/train/defaults.ts: MNIST has tau_m = tau_s = 10).
 */
export const DEFAULT_NEURON: NeuronParams = Object.freeze({
  tau_m: 5,
  tau_s: 5,
  theta: 1,
  t_max: 30,
  max_spikes: 8,
});

/** Returns `rho_min` of `p`, applying its default. */
export function rhoMin(p: NeuronParams): number {
  return p.rho_min ?? 0.1 * p.theta / p.tau_m;
}

/**
 * Checks that `p` describes a legal neuron; throws a `RangeError` naming the first bad field.
 * @param p parameters to check
 * @returns `p`, typed
 */
export function validateNeuronParams(p: NeuronParams): NeuronParams {
  const positive = ["tau_m", "tau_s", "theta", "t_max"] as const;
  for (const k of positive) {
    const v = p[k];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new RangeError(`neuron.${k} must be a finite number > 0, got ${JSON.stringify(v)}`);
    }
  }
  if (!Number.isInteger(p.max_spikes) || p.max_spikes < 1) {
    throw new RangeError(`neuron.max_spikes must be an integer >= 1, got ${JSON.stringify(p.max_spikes)}`);
  }
  if (p.max_spikes > 1024) {
    throw new RangeError(`neuron.max_spikes must be at most 1024, got ${p.max_spikes}`);
  }
  if (p.rho_min !== undefined && (!Number.isFinite(p.rho_min) || p.rho_min <= 0)) {
    throw new RangeError(`neuron.rho_min must be a finite number > 0, got ${JSON.stringify(p.rho_min)}`);
  }
  return p;
}
