/**
 * An independent, deliberately simple reference for MODEL.md section 1: a fine-step RK4 integration of
 *
 *   tau_m dV/dt = -V + I,   tau_s dI/dt = -I,   I += w at every input spike,
 *   V reaches theta from below -> spike, V = 0 (I untouched), at most max_spikes, nothing after t_max.
 *
 * It uses neither `src/model/kernel.ts` nor the engine: no PSP kernel, no closed form, no special case for
 * tau_m == tau_s. Steps end exactly at input times (inputs are applied at their exact times), so the only
 * errors are RK4's (global O(h^4)) and the cubic Hermite interpolation used to find a threshold crossing
 * inside a step (O(h^4) as well). The crossing is then re-integrated with one RK4 step of the exact length
 * to get the current at the spike, and the neuron restarts from V = 0 there.
 *
 * Besides spike times it reports how fragile the run is: the smallest slope at a crossing, the closest
 * approach of a non-crossing local maximum of V to theta, and the closest spike to t_max. A test compares
 * spike counts only where these margins are comfortable.
 * @module
 */
import type { NeuronParams } from "../src/model/params.ts";

/** One input of a neuron: a presynaptic spike of weight `weight` at `time`. */
export interface RefInput {
  readonly time: number;
  readonly weight: number;
}

/** How close a simulation came to creating or deleting a spike. */
export interface RefMargins {
  /** Smallest dV/dt at a crossing (Infinity if none). */
  minRho: number;
  /** Smallest theta - V at a local maximum of V that did not cross, incl. V(t_max) when still rising (Infinity if none). */
  minGap: number;
  /** Smallest t_max - t_spike over all spikes (Infinity if none). */
  minEdge: number;
}

/** Spikes of one neuron. */
export interface RefNeuronResult {
  /** Spike times, ascending. */
  readonly times: number[];
  /** Max of V over [0, t_max] before the first spike (the whole window for a silent neuron). */
  readonly vmax: number;
  readonly margins: RefMargins;
}

/** Spikes of a whole network for one sample. */
export interface RefNetworkResult {
  /** layers[l][i]: spike times of neuron i of non-input layer l, ascending. */
  readonly layers: number[][][];
  /** vmax[l][i]: max of V of neuron i of layer l before its first spike. */
  readonly vmax: number[][];
  /** Worst margins over every neuron. */
  readonly margins: RefMargins;
}

/** A network as the reference sees it: the engine's layout, W[i * nOut + j] is input i -> neuron j. */
export interface RefNetwork {
  readonly neuron: NeuronParams;
  readonly sizes: readonly number[];
  readonly weights: readonly Float64Array[];
}

/** One RK4 step of length `h` of the linear ODE, from (v, i). Returns [V, I]. */
function rk4(v: number, i: number, h: number, a: number, b: number): [number, number] {
  // f(V, I) = (a (I - V), -b I)
  const k1v = a * (i - v);
  const k1i = -b * i;
  const v2 = v + 0.5 * h * k1v;
  const i2 = i + 0.5 * h * k1i;
  const k2v = a * (i2 - v2);
  const k2i = -b * i2;
  const v3 = v + 0.5 * h * k2v;
  const i3 = i + 0.5 * h * k2i;
  const k3v = a * (i3 - v3);
  const k3i = -b * i3;
  const v4 = v + h * k3v;
  const i4 = i + h * k3i;
  const k4v = a * (i4 - v4);
  const k4i = -b * i4;
  return [v + h / 6 * (k1v + 2 * k2v + 2 * k3v + k4v), i + h / 6 * (k1i + 2 * k2i + 2 * k3i + k4i)];
}

/** Cubic Hermite interpolant on [0, h] through (0, v0, d0) and (h, v1, d1). */
class Hermite {
  // p(s) = c0 + c1 s + c2 s^2 + c3 s^3
  readonly c0: number;
  readonly c1: number;
  readonly c2: number;
  readonly c3: number;
  constructor(v0: number, d0: number, v1: number, d1: number, readonly h: number) {
    const dv = v1 - v0;
    this.c0 = v0;
    this.c1 = d0;
    this.c2 = (3 * dv / h - 2 * d0 - d1) / h;
    this.c3 = (d0 + d1 - 2 * dv / h) / (h * h);
  }
  at(s: number): number {
    return this.c0 + s * (this.c1 + s * (this.c2 + s * this.c3));
  }
  /** Roots of p'(s) strictly inside (0, h), ascending. */
  extrema(): number[] {
    const A = 3 * this.c3;
    const B = 2 * this.c2;
    const C = this.c1;
    const out: number[] = [];
    if (Math.abs(A) < 1e-300) {
      if (B !== 0) out.push(-C / B);
    } else {
      const disc = B * B - 4 * A * C;
      if (disc >= 0) {
        const q = -0.5 * (B + Math.sign(B || 1) * Math.sqrt(disc));
        out.push(q / A);
        if (q !== 0) out.push(C / q);
      }
    }
    return out.filter((s) => s > 0 && s < this.h).sort((x, y) => x - y);
  }
}

/**
 * Simulates one neuron driven by `inputs` (any order) with steps of at most `h`.
 * @param neuron the neuron model (rho_min is ignored: the reference reports raw slopes)
 * @param inputs presynaptic spikes; those after t_max are ignored
 * @param h largest step, e.g. min(tau_m, tau_s) / 200
 */
export function simulateNeuron(
  neuron: NeuronParams,
  inputs: readonly RefInput[],
  h: number,
): RefNeuronResult {
  const a = 1 / neuron.tau_m;
  const b = 1 / neuron.tau_s;
  const theta = neuron.theta;
  const tMax = neuron.t_max;
  const events = inputs.filter((e) => e.time <= tMax).sort((x, y) => x.time - y.time);
  const margins: RefMargins = { minRho: Infinity, minGap: Infinity, minEdge: Infinity };
  const times: number[] = [];
  let vmax = 0;
  let v = 0;
  let i = 0;
  let t = 0;
  let e = 0;
  // Whether V was last seen rising: a maximum is where it turns from rising to falling, inside a step
  // (an extremum of the cubic), at a step boundary, or at an input (a kink where dV/dt jumps down).
  let rising = false;
  const peak = (vp: number) => {
    if (times.length === 0) vmax = Math.max(vmax, vp);
    if (times.length < neuron.max_spikes) margins.minGap = Math.min(margins.minGap, theta - vp);
  };
  while (true) {
    // Apply every input at the current time.
    while (e < events.length && events[e].time <= t) i += events[e++].weight;
    if (t >= tMax) {
      if (rising) peak(v); // still rising at the end of the window
      break;
    }
    if (times.length >= neuron.max_spikes) break; // silent for the rest of the window
    const tNext = Math.min(t + h, e < events.length ? events[e].time : Infinity, tMax);
    const step = tNext - t;
    const [v1, i1] = rk4(v, i, step, a, b);
    const d0 = a * (i - v);
    const d1 = a * (i1 - v1);
    const p = new Hermite(v, d0, v1, d1, step);
    // First crossing in the step: walk the monotone pieces of the cubic in order.
    const cuts = [0, ...p.extrema(), step];
    let crossing = -1;
    for (let c = 0; c + 1 < cuts.length && crossing < 0; c++) {
      const lo0 = cuts[c];
      const hi0 = cuts[c + 1];
      if (p.at(lo0) < theta && p.at(hi0) >= theta) {
        let lo = lo0;
        let hi = hi0;
        for (;;) {
          const mid = 0.5 * (lo + hi);
          if (mid <= lo || mid >= hi) break; // bisected down to adjacent doubles
          if (p.at(mid) >= theta) hi = mid;
          else lo = mid;
        }
        crossing = hi;
      } else {
        const vLo = p.at(lo0);
        const vHi = p.at(hi0);
        if (vHi < vLo) {
          if (rising) peak(vLo); // turned from rising to falling at lo0: a maximum below theta
          rising = false;
        } else if (vHi > vLo) {
          rising = true;
        }
      }
    }
    if (crossing >= 0) {
      const [, ic] = rk4(v, i, crossing, a, b);
      const tc = t + crossing;
      if (times.length === 0) vmax = Math.max(vmax, theta);
      times.push(tc);
      const rho = a * (ic - theta);
      margins.minRho = Math.min(margins.minRho, rho);
      margins.minEdge = Math.min(margins.minEdge, tMax - tc);
      v = 0;
      i = ic;
      t = tc;
      rising = i > 0; // after the reset V = 0 and dV/dt = a I
      continue;
    }
    if (times.length === 0) vmax = Math.max(vmax, v1);
    v = v1;
    i = i1;
    t = tNext;
  }
  return { times, vmax, margins };
}

/**
 * Simulates a whole network for one sample, layer by layer.
 * @param input the sample's input spikes as (input neuron, time) pairs, any order
 * @param h largest step, e.g. min(tau_m, tau_s) / 200
 */
export function simulateNetwork(
  network: RefNetwork,
  input: readonly { neuron: number; time: number }[],
  h: number,
): RefNetworkResult {
  const margins: RefMargins = { minRho: Infinity, minGap: Infinity, minEdge: Infinity };
  const layers: number[][][] = [];
  const vmax: number[][] = [];
  // below[j]: spike times of presynaptic neuron j
  let below: number[][] = Array.from({ length: network.sizes[0] }, () => []);
  for (const ev of input) below[ev.neuron].push(ev.time);
  for (let l = 0; l + 1 < network.sizes.length; l++) {
    const nIn = network.sizes[l];
    const nOut = network.sizes[l + 1];
    const w = network.weights[l];
    const spikes: number[][] = [];
    const vm: number[] = [];
    for (let j = 0; j < nOut; j++) {
      const inputs: RefInput[] = [];
      for (let i = 0; i < nIn; i++) {
        for (const t of below[i]) inputs.push({ time: t, weight: w[i * nOut + j] });
      }
      const r = simulateNeuron(network.neuron, inputs, h);
      spikes.push(r.times);
      vm.push(r.vmax);
      margins.minRho = Math.min(margins.minRho, r.margins.minRho);
      margins.minGap = Math.min(margins.minGap, r.margins.minGap);
      margins.minEdge = Math.min(margins.minEdge, r.margins.minEdge);
    }
    layers.push(spikes);
    vmax.push(vm);
    below = spikes;
  }
  return { layers, vmax, margins };
}
