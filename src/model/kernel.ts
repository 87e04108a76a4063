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
    return v0 * Math.exp(-this.a * t) + i0 * this.kernel(t);
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
    if (vEnd < theta) {
      // Below threshold at the end: only an interior maximum can cross.
      if (!(risingAtStart && fallingAtEnd)) return -1;
      const tp = Math.min(Math.max(this.extremumTime(v0, i0), 0), d);
      if (this.potential(v0, i0, tp) < theta) return -1;
      hi = tp;
    } else if (risingAtStart && fallingAtEnd) {
      hi = Math.min(Math.max(this.extremumTime(v0, i0), 0), d); // maximum inside, V(tp) >= V(d) >= theta
    } else if (!risingAtStart && !fallingAtEnd) {
      lo = Math.min(Math.max(this.extremumTime(v0, i0), 0), d); // minimum inside, crossing after it
    }
    return this.solveCrossing(v0, i0, lo, hi);
  }

  /** Root of V(t) = theta in [lo, hi], where V(lo) < theta <= V(hi) and V increases. */
  solveCrossing(v0: number, i0: number, lo: number, hi: number): number {
    const theta = this.theta;
    const a = this.a;
    let t = hi;
    // Newton from the upper end, falling back on bisection whenever a step leaves the bracket.
    for (let iter = 0; iter < 200; iter++) {
      const em = Math.exp(-a * t);
      const it = i0 * Math.exp(-this.b * t);
      const v = v0 * em + i0 * this.kernel(t);
      const f = v - theta;
      if (f >= 0) hi = t;
      else lo = t;
      const slope = a * (it - v);
      let next = slope > 0 ? t - f / slope : NaN;
      if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
      if (Math.abs(next - t) <= 1e-15 * Math.max(t, 1e-300) || hi - lo <= 4e-16 * hi) {
        return f === 0 ? t : next;
      }
      t = next;
    }
    return t;
  }
}
