/**
 * Exact event-driven forward pass of one layer for one sample (MODEL.md section 2), recording what the
 * backward pass needs (spike times, clamped slopes rho_k, Vmax of silent output neurons).
 * @module
 */
import type { NeuronMath } from "../../model/kernel.ts";
import type { LayerStats } from "../engine.ts";
import { EventList } from "./events.ts";

/** Everything one layer did in one sample; reused across samples. */
export class LayerTrace {
  /** Input events of the layer, ascending. */
  readonly events: EventList;
  /** (nOut) spikes per neuron. */
  readonly count: Int32Array;
  /** (nOut, capacity) spike times, ascending per neuron. */
  readonly time: Float64Array;
  /** (nOut, capacity) slope dV/dt just before each spike, clamped below by rho_min. */
  readonly rho: Float64Array;
  /** (nOut) max of V over [0, t_max] while the neuron is silent (tracked for the output layer only). */
  readonly vmax: Float64Array;
  /** (nOut) time of that maximum. */
  readonly tvmax: Float64Array;
  /**
   * (nOut) dV/dt just before the maximum when it lies at an input event (a kink made by inhibitory input:
   * moving that event moves the maximum, dVmax/ds = this slope); 0 at a smooth peak or at t_max.
   */
  readonly vmaxSlope: Float64Array;
  /** Crossings clamped to rho_min in this sample. */
  grazing = 0;
  readonly #v: Float64Array;
  readonly #i: Float64Array;
  /** (nOut) zeros: the "weights" added after the last interval. */
  readonly #zeros: Float64Array;

  constructor(readonly nIn: number, readonly nOut: number, readonly capacity: number) {
    this.events = new EventList(Math.max(16, nIn));
    this.count = new Int32Array(nOut);
    this.time = new Float64Array(nOut * capacity);
    this.rho = new Float64Array(nOut * capacity);
    this.vmax = new Float64Array(nOut);
    this.tvmax = new Float64Array(nOut);
    this.vmaxSlope = new Float64Array(nOut);
    this.#v = new Float64Array(nOut);
    this.#i = new Float64Array(nOut);
    this.#zeros = new Float64Array(nOut);
  }

  /**
   * Runs the layer over `this.events` with weights `w` (nIn, nOut).
   * @param trackVmax whether to record the maximum potential of silent neurons (output layer)
   */
  run(math: NeuronMath, w: Float64Array, trackVmax: boolean): void {
    const { nOut, capacity: cap, events, count } = this;
    const V = this.#v.fill(0);
    const I = this.#i.fill(0);
    count.fill(0);
    this.grazing = 0;
    const { vmax, tvmax, vmaxSlope } = this;
    if (trackVmax) {
      vmax.fill(0);
      tvmax.fill(0);
      vmaxSlope.fill(0);
    }
    const theta = math.theta;
    const tMax = math.tMax;
    const a = math.a;
    const b = math.b;
    const n = events.n;
    const evTime = events.time;
    const evSrc = events.src;
    let tPrev = 0;
    for (let e = 0; e <= n; e++) {
      const atEvent = e < n;
      const tEv = atEvent ? evTime[e] : tMax;
      const d = tEv - tPrev;
      // The event's weights are added in the same pass as the decay up to it; after t_max nothing is added
      // (a zero row: I is not read again).
      const add = atEvent ? w : this.#zeros;
      const row = atEvent ? evSrc[e] * nOut : 0;
      if (d > 0) {
        // Decays over the interval are the same for every neuron: computed once (MODEL.md section 2).
        const dm = Math.exp(-a * d);
        const ds = Math.exp(-b * d);
        const k = math.kernelWithDecay(d, dm);
        for (let i = 0; i < nOut; i++) {
          const ci = count[i];
          if (ci >= cap) continue; // fell silent after its last allowed spike
          const v = V[i];
          const c = I[i];
          const vEnd = v * dm + c * k;
          const iEnd = c * ds;
          if (trackVmax && ci === 0) {
            // Maximum of V of a still-silent neuron: at the end of the interval (written out here, the
            // hot case) or at an interior peak (`#interiorMax`). At an input event it may be a kink.
            if (vEnd > vmax[i]) {
              vmax[i] = vEnd;
              tvmax[i] = tEv;
              const slope = a * (iEnd - vEnd);
              vmaxSlope[i] = atEvent && slope > 0 ? slope : 0;
            }
            if (c > v && iEnd < vEnd && !peakBelow(v, c, vmax[i])) {
              this.#interiorMax(math, i, tPrev, tEv, v, c);
            }
          }
          // A crossing needs V(d) >= theta, or an interior maximum (rising at start, falling at end) that
          // reaches theta; that maximum equals I there, which is below I0 = c (see `peakBelow`).
          if (vEnd >= theta || (c > v && iEnd < vEnd && !peakBelow(v, c, theta))) {
            this.#spikes(math, i, tPrev, d, v, c, vEnd, iEnd);
            I[i] += add[row + i];
          } else {
            V[i] = vEnd;
            I[i] = iEnd + add[row + i];
          }
        }
      } else if (atEvent) {
        for (let i = 0; i < nOut; i++) I[i] += w[row + i];
      }
      tPrev = tEv;
    }
  }

  /** Finds every crossing of neuron `i` in [t0, t0 + d] (several are possible: MODEL.md section 2). */
  #spikes(
    math: NeuronMath,
    i: number,
    t0: number,
    d: number,
    v: number,
    c: number,
    vEnd: number,
    iEnd: number,
  ) {
    const cap = this.capacity;
    const theta = math.theta;
    for (;;) {
      const tc = math.firstCrossing(v, c, d, vEnd, iEnd);
      if (tc < 0) {
        this.#v[i] = vEnd;
        this.#i[i] = iEnd;
        return;
      }
      const iAt = c * Math.exp(-math.b * tc);
      // At the crossing V = theta, so dV/dt = a (I - theta) (MODEL.md section 3).
      let slope = math.a * (iAt - theta);
      if (slope < math.rhoMin) {
        slope = math.rhoMin;
        this.grazing++;
      }
      const slot = i * cap + this.count[i];
      this.time[slot] = t0 + tc;
      this.rho[slot] = slope;
      if (++this.count[i] >= cap) return;
      // Reset to 0 (I untouched) and keep searching in the rest of the interval.
      t0 += tc;
      d -= tc;
      v = 0;
      c = iAt;
      const es = Math.exp(-math.b * d);
      // With tau_m == tau_s, e^{-a d} is the same number as e^{-b d}.
      vEnd = c * math.kernelWithDecay(d, math.a === math.b ? es : Math.exp(-math.a * d));
      iEnd = c * es;
    }
  }

  /**
   * Keeps the maximum of V of a still-silent neuron at an interior peak of the interval [t0, t1], from
   * (v, c) at t0; the caller has checked that V rises at t0, falls at t1 and may beat the current maximum.
   */
  #interiorMax(math: NeuronMath, i: number, t0: number, t1: number, v: number, c: number) {
    const tp = Math.min(Math.max(math.extremumTime(v, c), 0), t1 - t0);
    const vp = math.potential(v, c, tp);
    if (vp > this.vmax[i]) {
      this.vmax[i] = vp;
      this.tvmax[i] = t0 + tp;
      this.vmaxSlope[i] = 0;
    }
  }

  /** Adds this sample's counters to `stats`. */
  addStats(stats: LayerStats): void {
    const cap = this.capacity;
    for (let i = 0; i < this.nOut; i++) {
      const c = this.count[i];
      stats.spikes += c;
      if (c === 0) stats.silent++;
      if (c >= cap) stats.capped++;
    }
    stats.grazing += this.grazing;
  }
}

/**
 * Whether the interior maximum of V from (v, c) surely stays below `level`, which saves the extremum and
 * potential (a log and an exp) for most neurons. At the maximum dV/dt = a (I - V) = 0, so V = I there,
 * and I = c e^{-b t} < c. The margin covers rounding of the computed potential (a few ulps of |v| + |c|),
 * so the skipped computation would have found V below `level` too: results are unchanged.
 */
function peakBelow(v: number, c: number, level: number): boolean {
  return c + 1e-12 * (Math.abs(v) + Math.abs(c)) < level;
}
