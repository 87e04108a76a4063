/**
 * Exact gradients of one layer for one sample through every spike (MODEL.md section 3).
 *
 * 1. Adjoint recursion per neuron, backwards over its spikes with one running accumulator:
 *      a_k = g_k + sum_{k''>k} a_k'' theta/(tau_m rho_k'') e^{-(t_k'' - t_k)/tau_m},   e_k = -a_k / rho_k
 * 2. A backward sweep over the layer's input events (descending time) carries per neuron
 *      G_i(s) = sum_{k: t_k > s} e_k K(t_k - s),   R_i(s) = sum_{k: t_k > s} e_k e^{-(t_k - s)/tau_m}
 *    which move back by D with the decays shared by all neurons:
 *      G(s - D) = G(s) e^{-D/tau_s} + R(s) K(D),   R(s - D) = R(s) e^{-D/tau_m}
 *    and give  dL/dw_ji += G_i(s)  and  dL/ds = -sum_i w_ji H_i(s)  with  H = K'-weighted sum = a R - b G
 *    (K'(x) = a e^{-a x} - b K(x)). Cost O(events x active neurons), like the forward pass.
 * The maximum of V of a silent output neuron (MODEL.md section 4) enters as one more item with weight
 * dL/dVmax at its time: dVmax/dw_ji = sum_m K(t_vmax - s_jm), dVmax/ds = -w_ji K'(t_vmax - s). When the
 * maximum is a kink made by an inhibitory event at t_vmax itself, that event's time moves the maximum:
 * dVmax/ds = dV/dt just before it (the first such event in sweep order takes it when events tie).
 * @module
 */
import type { NeuronMath } from "../../model/kernel.ts";
import type { LayerTrace } from "./forward.ts";

/** Scratch buffers of the backward pass of one layer, reused across samples. */
export class LayerBackward {
  /** (nOut, capacity) item times: spikes, or the Vmax pseudo-item of a silent neuron. */
  readonly #itemT: Float64Array;
  /** (nOut, capacity) item weights e_k. */
  readonly #itemE: Float64Array;
  readonly #next: Int32Array;
  readonly #active: Int32Array;
  /** (nOut, 2) G and R of the neuron at place q of the sweep order, side by side. */
  readonly #gr: Float64Array;
  /** (nOut) per place q: the neuron's next item not yet passed by the sweep, and its time. */
  readonly #nextP: Int32Array;
  readonly #nextT: Float64Array;
  readonly #scratch: Int32Array;
  /** (nOut) time of each active neuron's last item. */
  readonly #last: Float64Array;
  /** Neurons whose Vmax sits on a kink at an input event, latest first. */
  readonly #kinks: Int32Array;
  /** (events) dL/ds of each input event of the last run, in the trace's event order. */
  gIn: Float64Array;

  constructor(readonly nIn: number, readonly nOut: number, readonly capacity: number) {
    this.#itemT = new Float64Array(nOut * capacity);
    this.#itemE = new Float64Array(nOut * capacity);
    this.#next = new Int32Array(nOut);
    this.#active = new Int32Array(nOut);
    this.#gr = new Float64Array(2 * nOut);
    this.#nextP = new Int32Array(nOut);
    this.#nextT = new Float64Array(nOut);
    this.#scratch = new Int32Array(nOut);
    this.#last = new Float64Array(nOut);
    this.#kinks = new Int32Array(nOut);
    this.gIn = new Float64Array(Math.max(16, nIn));
  }

  /**
   * Accumulates dL/dW into `dW` (nIn, nOut) and writes dL/ds of every input event into `this.gIn`.
   * @param gTime (nOut, capacity) dL/dt_k of every spike of the layer
   * @param gVmax (nOut) dL/dVmax of silent neurons, or null
   * @param withInputGrads false when nobody reads dL/ds (first layer, no input gradients requested): skips
   *   that part of the sweep and leaves `this.gIn` unspecified
   * @param itemScale factor on every item e_k: 1 / (1 - rate) when the layer's inputs are under dropout and
   *   ran with weights w / (1 - rate) while `w` is given unscaled. Then G and R carry the factor, so dW is
   *   dL/dw of the unscaled weights and w H is dL/ds of the scaled ones (dropout.ts)
   */
  run(
    math: NeuronMath,
    trace: LayerTrace,
    w: Float64Array,
    gTime: Float64Array,
    gVmax: Float64Array | null,
    dW: Float64Array,
    withInputGrads = true,
    itemScale = 1,
  ): void {
    const { nOut, capacity: cap } = this;
    const { count, time, rho, events } = trace;
    const a = math.a;
    const b = math.b;
    const thetaA = math.theta * a;
    const itemT = this.#itemT;
    const itemE = this.#itemE;
    const next = this.#next;
    const active = this.#active;
    const kinks = this.#kinks;
    let nActive = 0;
    let nKinks = 0;
    for (let i = 0; i < nOut; i++) {
      const c = count[i];
      let any = false;
      // Adjoint recursion, backwards over the neuron's own spikes.
      let acc = 0;
      for (let k = c - 1; k >= 0; k--) {
        const slot = i * cap + k;
        const ak = gTime[slot] + acc;
        itemT[slot] = time[slot];
        itemE[slot] = -ak / rho[slot] * itemScale;
        if (ak !== 0) any = true;
        if (k > 0) acc = (acc + ak * thetaA / rho[slot]) * Math.exp(-a * (time[slot] - time[slot - 1]));
      }
      next[i] = c - 1;
      if (c === 0 && gVmax !== null && gVmax[i] !== 0) {
        itemT[i * cap] = trace.tvmax[i];
        itemE[i * cap] = gVmax[i] * itemScale;
        next[i] = 0;
        any = true;
        if (trace.vmaxSlope[i] > 0) kinks[nKinks++] = i;
      }
      if (any) active[nActive++] = i;
    }
    const n = events.n;
    if (this.gIn.length < n) this.gIn = new Float64Array(Math.max(n, 2 * this.gIn.length));
    const gIn = this.gIn;
    if (nActive === 0) {
      gIn.fill(0, 0, n);
      return;
    }
    // Per-neuron sweep state lives in arrays indexed by the neuron's place q in the sweep order, read in
    // sequence: G, R, the next item not yet passed and its time (-Infinity when none is left).
    const GR = this.#gr;
    const nextT = this.#nextT;
    const nextP = this.#nextP;
    // A neuron's G and R stay 0 until the sweep passes below its last item: order the active neurons by
    // that time, latest first (ties: lower index first), and sweep only the prefix that has started.
    const last = this.#last;
    for (let q = 0; q < nActive; q++) last[active[q]] = itemT[active[q] * cap + next[active[q]]];
    sortByKeyDescending(active, nActive, last, this.#scratch);
    for (let q = 0; q < nActive; q++) {
      const i = active[q];
      GR[2 * q] = 0;
      GR[2 * q + 1] = 0;
      nextP[q] = next[i];
      nextT[q] = last[i];
    }
    let started = 0;
    const tv = trace.tvmax;
    kinks.subarray(0, nKinks).sort((x, y) => tv[y] - tv[x] || x - y);
    let kink = 0;
    const evTime = events.time;
    const evSrc = events.src;
    let sPrev = math.tMax;
    for (let e = n - 1; e >= 0; e--) {
      const s = evTime[e];
      const D = sPrev - s;
      let dm = 1;
      let ds = 1;
      let kD = 0;
      if (D > 0) {
        dm = Math.exp(-a * D);
        ds = Math.exp(-b * D);
        kD = math.kernelWithDecay(D, dm);
      }
      while (started < nActive && last[active[started]] > s) started++;
      const row = evSrc[e] * nOut;
      let h = 0;
      for (let q = 0; q < started; q++) {
        const i = active[q];
        const g0 = GR[2 * q];
        const r0 = GR[2 * q + 1];
        let g = g0 * ds + r0 * kD;
        let r = r0 * dm;
        if (nextT[q] > s) {
          // Items later than s that the sweep has just passed.
          const base = i * cap;
          let p = nextP[q];
          do {
            const x = itemT[base + p] - s;
            const ek = itemE[base + p];
            const em = Math.exp(-a * x);
            g += ek * math.kernelWithDecay(x, em);
            r += ek * em;
            p--;
          } while (p >= 0 && itemT[base + p] > s);
          nextP[q] = p;
          nextT[q] = p >= 0 ? itemT[base + p] : -Infinity;
        }
        GR[2 * q] = g;
        GR[2 * q + 1] = r;
        dW[row + i] += g;
        if (withInputGrads) h += w[row + i] * (a * r - b * g);
      }
      if (!withInputGrads) {
        sPrev = s;
        continue;
      }
      // Kink maxima exactly at this event: it takes dVmax/ds if it is inhibitory for that neuron.
      while (kink < nKinks && tv[kinks[kink]] > s) kink++;
      for (let q = kink; q < nKinks && tv[kinks[q]] === s; q++) {
        const i = kinks[q];
        if (w[row + i] < 0 && trace.vmaxSlope[i] > 0) {
          h -= gVmax![i] * trace.vmaxSlope[i];
          kinks[q] = kinks[kink];
          kinks[kink++] = i;
        }
      }
      gIn[e] = -h;
      sPrev = s;
    }
  }
}

/**
 * Sorts `idx[0..n)` by `key[idx]` descending, ties by index ascending (a stable merge sort of an ascending
 * list), without a comparator callback: the same order as
 * `idx.subarray(0, n).sort((x, y) => key[y] - key[x] || x - y)` for ascending input, several times faster.
 * @param scratch at least n entries
 */
export function sortByKeyDescending(
  idx: Int32Array,
  n: number,
  key: Float64Array,
  scratch: Int32Array,
): void {
  let from = idx;
  let to = scratch;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let x = lo;
      let y = mid;
      let o = lo;
      while (x < mid && y < hi) {
        // Take from the right run only when strictly later: equal keys keep their (ascending) order.
        if (key[from[y]] > key[from[x]]) to[o++] = from[y++];
        else to[o++] = from[x++];
      }
      while (x < mid) to[o++] = from[x++];
      while (y < hi) to[o++] = from[y++];
    }
    const t = from;
    from = to;
    to = t;
  }
  if (from !== idx) idx.set(from.subarray(0, n));
}
