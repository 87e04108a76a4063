/**
 * The neuron's closed-form dynamics (MODEL.md sections 1-3) in double precision: PSP kernel, its
 * derivative, the free evolution between two events, the extremum of V and the exact threshold crossing.
 * The WGSL shaders use the same names and formulas (`shaders/common.wgsl`).
 *
 * Notation: a = 1/tau_m, b = 1/tau_s. Between events, from (V0, I0):
 *   I(d) = I0 e^{-b d}
 *   V(d) = V0 e^{-a d} + I0 K(d)
 * with K(d) = a/(a-b) (e^{-b d} - e^{-a d}) = a e^{-a d} expm1((a-b) d)/(a-b), which has the limit
 * K(d) = a d e^{-a d} when tau_m == tau_s, and K'(d) = a e^{-a d} - b K(d) (no cancellation).
 * @module
 */
import { type NeuronParams, rhoMin } from "./params.ts";

/** expm1(x)/x, equal to 1 at x = 0. */
export function expm1OverX(x: number): number {
  return x === 0 ? 1 : Math.expm1(x) / x;
}

/** log1p(x)/x, equal to 1 at x = 0. */
export function log1pOverX(x: number): number {
  return x === 0 ? 1 : Math.log1p(x) / x;
}

/** Decays over one interval of length `d`, shared by every neuron of a layer (MODEL.md section 2). */
export interface IntervalDecay {
  /** e^{-d/tau_m} */
  dm: number;
  /** e^{-d/tau_s} */
  ds: number;
  /** K(d) */
  k: number;
}

/** Precomputed constants of one neuron model; every formula of MODEL.md lives here. */
export class NeuronMath {
  /** 1/tau_m */
  readonly a: number;
  /** 1/tau_s */
  readonly b: number;
  readonly theta: number;
  readonly tMax: number;
  readonly maxSpikes: number;
  /** Smallest accepted slope at a crossing; smaller ones are clamped and counted as grazing. */
  readonly rhoMin: number;

  constructor(readonly params: NeuronParams) {
    this.a = 1 / params.tau_m;
    this.b = 1 / params.tau_s;
    this.theta = params.theta;
    this.tMax = params.t_max;
    this.maxSpikes = params.max_spikes;
    this.rhoMin = rhoMin(params);
  }

  /** PSP kernel K(d) for d >= 0 (MODEL.md section 1); 0 for d <= 0. */
  kernel(d: number): number {
    if (d <= 0) return 0;
    const x = (this.a - this.b) * d;
    if (Math.abs(x) < 1) return this.a * d * Math.exp(-this.a * d) * expm1OverX(x);
    return this.a / (this.a - this.b) * (Math.exp(-this.b * d) - Math.exp(-this.a * d));
  }

  /**
   * K(d) given `em` = Math.exp(-a * d) already at hand: bit-for-bit `kernel(d)`, one exponential fewer
   * (none at all when tau_m == tau_s, the default).
   */
  kernelWithDecay(d: number, em: number): number {
    if (d <= 0) return 0;
    const x = (this.a - this.b) * d;
    if (Math.abs(x) < 1) return this.a * d * em * expm1OverX(x);
    return this.a / (this.a - this.b) * (Math.exp(-this.b * d) - em);
  }

  /** K'(d) = a e^{-a d} - b K(d) for d > 0; 0 for d <= 0 (causality: an input at t_k has no effect). */
  kernelDerivative(d: number): number {
    if (d <= 0) return 0;
    return this.a * Math.exp(-this.a * d) - this.b * this.kernel(d);
  }

  /** Decays over an interval of length `d` >= 0. */
  decay(d: number, out: IntervalDecay = { dm: 1, ds: 1, k: 0 }): IntervalDecay {
    out.dm = Math.exp(-this.a * d);
    out.ds = Math.exp(-this.b * d);
    out.k = this.kernel(d);
    return out;
  }

  /** V at offset `t` from (v0, i0). */
  potential(v0: number, i0: number, t: number): number {
    const em = Math.exp(-this.a * t);
    return v0 * em + i0 * this.kernelWithDecay(t, em);
  }

  /**
   * Offset of the extremum of V from (v0, i0), where dV/dt = a (I - V) = 0. Only meaningful when
   * dV/dt changes sign inside the interval (callers check the signs at both ends first).
   * From V'(t) = 0: e^{(b-a) t} = b I0 / (a (I0 - V0) + b V0); written with log1p(x)/x so that it
   * stays exact as tau_s -> tau_m, where it tends to tau (I0 - V0)/I0.
   */
  extremumTime(v0: number, i0: number): number {
    const delta = this.b - this.a;
    const den = this.a * (i0 - v0) + this.b * v0;
    const x = delta * (i0 - v0) / den;
    return log1pOverX(x) * (i0 - v0) / den;
  }

  /**
   * First threshold crossing of V in the interval [0, d] from (v0 < theta, i0), or -1 if V stays
   * below theta (MODEL.md section 2). V has at most one extremum, so the crossing is bracketed in a
   * monotone piece and solved by safeguarded Newton to ~1e-15 relative.
   * @param vEnd V(d), which the caller has already computed with the shared decays
   * @param iEnd I(d)
   */
  firstCrossing(v0: number, i0: number, d: number, vEnd: number, iEnd: number): number {
    const theta = this.theta;
    const risingAtStart = i0 > v0;
    const fallingAtEnd = iEnd < vEnd;
    let lo = 0;
    let hi = d;
    let vLo = v0;
    let vHi = vEnd;
    if (vEnd < theta) {
      // Below threshold at the end: only an interior maximum can cross.
      if (!(risingAtStart && fallingAtEnd)) return -1;
      hi = Math.min(Math.max(this.extremumTime(v0, i0), 0), d);
      vHi = this.potential(v0, i0, hi);
      if (vHi < theta) return -1;
    } else if (risingAtStart && fallingAtEnd) {
      hi = Math.min(Math.max(this.extremumTime(v0, i0), 0), d); // maximum inside, V(tp) >= V(d) >= theta
      vHi = this.potential(v0, i0, hi);
    } else if (!risingAtStart && !fallingAtEnd) {
      lo = Math.min(Math.max(this.extremumTime(v0, i0), 0), d); // minimum inside, crossing after it
      vLo = this.potential(v0, i0, lo);
    }
    return this.solveCrossing(v0, i0, lo, hi, vLo, vHi);
  }

  /**
   * K(t) from e^{-a t} and e^{-b t} already at hand: the direct difference where it is well conditioned,
   * the expm1 form near tau_m == tau_s (saves exponentials in the crossing solver).
   */
  kernelFrom(t: number, em: number, es: number): number {
    const x = (this.a - this.b) * t;
    if (Math.abs(x) < 0.5) return this.a * t * em * expm1OverX(x);
    return this.a / (this.a - this.b) * (es - em);
  }

  /**
   * Root of V(t) = theta in [lo, hi], where V(lo) = vLo < theta <= V(hi) = vHi and V increases.
   * Starts from the secant (intervals between events are short, so V is nearly linear there), then
   * safeguarded Newton: a step that leaves the bracket is replaced by bisection. Newton converges
   * quadratically, so once a step is below 1e-9 tau the error after it is ~1e-18 tau.
   */
  solveCrossing(v0: number, i0: number, lo: number, hi: number, vLo: number, vHi: number): number {
    const theta = this.theta;
    const a = this.a;
    const b = this.b;
    const small = 1e-9 * Math.min(1 / a, 1 / b);
    let t = vHi > vLo ? lo + (hi - lo) * (theta - vLo) / (vHi - vLo) : hi;
    if (!(t > lo && t <= hi)) t = hi;
    for (let iter = 0; iter < 200; iter++) {
      const em = Math.exp(-a * t);
      // With tau_m == tau_s the two exponentials are the same number (same product -a t).
      const es = a === b ? em : Math.exp(-b * t);
      const v = v0 * em + i0 * this.kernelFrom(t, em, es);
      const f = v - theta;
      if (f === 0) return t;
      if (f > 0) hi = t;
      else lo = t;
      const slope = a * (i0 * es - v);
      let next = slope > 0 ? t - f / slope : NaN;
      if (!(next >= lo && next <= hi)) next = 0.5 * (lo + hi);
      if (Math.abs(next - t) <= small || hi - lo <= 4e-16 * hi) return next;
      t = next;
    }
    return t;
  }
}
