/**
 * Shared pieces of the exactness tests: random networks and inputs, SpikeInput builders, closed-form
 * spike times for the two special time-constant ratios, and error measures.
 * @module
 */
import type { ForwardResult, Network, SpikeInput } from "../src/engine/engine.ts";
import type { NeuronParams } from "../src/model/params.ts";
import { Rng } from "../src/util/rng.ts";

/** One input event: input neuron and time. */
export interface Event {
  readonly neuron: number;
  readonly time: number;
}

/** Builds a CSR `SpikeInput` from per-sample event lists (kept in the given order). */
export function makeInput(samples: readonly (readonly Event[])[]): SpikeInput {
  const offsets = new Int32Array(samples.length + 1);
  let n = 0;
  samples.forEach((s, k) => {
    n += s.length;
    offsets[k + 1] = n;
  });
  const neuron = new Int32Array(n);
  const time = new Float64Array(n);
  let e = 0;
  for (const s of samples) {
    for (const ev of s) {
      neuron[e] = ev.neuron;
      time[e] = ev.time;
      e++;
    }
  }
  return { size: samples.length, offsets, neuron, time };
}

/** The events of sample `s` of `input`. */
export function sampleEvents(input: SpikeInput, s: number): Event[] {
  const out: Event[] = [];
  for (let e = input.offsets[s]; e < input.offsets[s + 1]; e++) {
    out.push({ neuron: input.neuron[e], time: input.time[e] });
  }
  return out;
}

/** Sample `s` of `input` as a batch of one. */
export function sliceInput(input: SpikeInput, s: number): SpikeInput {
  return makeInput([sampleEvents(input, s)]);
}

/** A copy of `input` with event `e` moved to time `t`. */
export function withEventTime(input: SpikeInput, e: number, t: number): SpikeInput {
  const time = new Float64Array(input.time);
  time[e] = t;
  return { ...input, time };
}

/**
 * Random input spike trains: every input neuron fires with probability `pFire`, 1 to `maxPerNeuron` times,
 * uniformly in [0, tIn].
 */
export function randomEvents(
  rng: Rng,
  nIn: number,
  opts: { tIn: number; pFire?: number; maxPerNeuron?: number },
): Event[] {
  const events: Event[] = [];
  for (let j = 0; j < nIn; j++) {
    if (rng.next() >= (opts.pFire ?? 0.9)) continue;
    const m = 1 + rng.int(opts.maxPerNeuron ?? 2);
    for (let k = 0; k < m; k++) events.push({ neuron: j, time: rng.uniform(0, opts.tIn) });
  }
  return rng.shuffle(events);
}

/** Peak of the PSP kernel of `neuron` (independent of src/model/kernel.ts). */
export function kernelPeak(neuron: NeuronParams): number {
  const { tau_m: m, tau_s: s } = neuron;
  if (m === s) return Math.exp(-1);
  const tp = Math.log(m / s) * m * s / (m - s);
  return s / (s - m) * (Math.exp(-tp / s) - Math.exp(-tp / m));
}

/**
 * Random weights that make neurons fire a few times: each layer's weights are
 * theta / (peak * fanIn) * (drive + spread * N(0, 1)), so the free potential peaks around `drive` theta per
 * presynaptic spike and per unit of fan-in; mixed signs on purpose (spread > drive).
 */
export function randomNetwork(
  rng: Rng,
  neuron: NeuronParams,
  sizes: readonly number[],
  opts: { drive?: number[]; spread?: number } = {},
): Network {
  const peak = kernelPeak(neuron);
  const weights = sizes.slice(1).map((nOut, l) => {
    const nIn = sizes[l];
    const drive = opts.drive?.[l] ?? 3;
    const spread = opts.spread ?? 2;
    const w = new Float64Array(nIn * nOut);
    for (let i = 0; i < w.length; i++) w[i] = neuron.theta / (peak * nIn) * (drive + spread * rng.normal());
    return w;
  });
  return { neuron, sizes: [...sizes], weights };
}

/** Spike times of neuron `i` of layer `l`, sample `s`, from a forward result. */
export function spikeTimes(fwd: ForwardResult, l: number, s: number, i: number): number[] {
  const layer = fwd.layers[l];
  const slot = s * layer.neurons + i;
  const c = layer.count[slot];
  return Array.from(layer.time.subarray(slot * layer.capacity, slot * layer.capacity + c));
}

/** Whether two forward results have the same spike count for every neuron of every layer and sample. */
export function sameCounts(x: ForwardResult, y: ForwardResult): boolean {
  return x.layers.every((l, k) => l.count.every((c, i) => c === y.layers[k].count[i]));
}

/** Total grazing crossings over the layers of a forward result. */
export function grazingCount(fwd: ForwardResult): number {
  return fwd.stats.reduce((n, s) => n + s.grazing, 0);
}

/** Largest absolute value of an array (0 when empty). */
export function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/**
 * Principal branch W0 of the Lambert W function on [-1/e, inf), by Halley iteration (converges cubically;
 * a series around the branch point -1/e starts it there, log1p elsewhere).
 */
export function lambertW0(z: number): number {
  if (z < -1 / Math.E) throw new RangeError(`lambertW0 needs z >= -1/e, got ${z}`);
  if (z === 0) return 0;
  let w: number;
  if (z < -0.3) {
    const p = Math.sqrt(2 * (Math.E * z + 1));
    w = -1 + p - p * p / 3 + 11 / 72 * p * p * p;
  } else {
    w = Math.log1p(z);
  }
  for (let it = 0; it < 50; it++) {
    const ew = Math.exp(w);
    const f = w * ew - z;
    const next = w - f / (ew * (w + 1) - (w + 2) * f / (2 * w + 2));
    if (!Number.isFinite(next)) break;
    if (Math.abs(next - w) <= 1e-16 * Math.max(1, Math.abs(w))) return next;
    w = next;
  }
  return w;
}

/**
 * Exact spike times of one neuron driven by `inputs` (time, weight) when tau_m == 2 tau_s (a quadratic in
 * u = e^{-d/tau_m}) or tau_m == tau_s (Lambert W). Piecewise: between two inputs, from (V0, I0),
 *   tau_m = 2 tau_s:  V = (V0 + I0) u - I0 u^2,               crossing at the larger root u+ < 1
 *   tau_m = tau_s:    V = (V0 + I0 x) e^{-x}, x = d/tau,       crossing at x = -W0(-(theta/I0) e^{-V0/I0}) - V0/I0
 * After a crossing V = 0 and I = I0 e^{-d/tau_s}.
 */
export function closedFormSpikes(
  neuron: NeuronParams,
  inputs: readonly { time: number; weight: number }[],
): number[] {
  const { tau_m: tm, tau_s: ts, theta, t_max: tMax, max_spikes: cap } = neuron;
  const quadratic = Math.abs(tm - 2 * ts) <= 1e-15 * tm;
  const lambert = tm === ts;
  if (!quadratic && !lambert) throw new RangeError("closedFormSpikes needs tau_m = 2 tau_s or tau_m = tau_s");
  const sorted = inputs.filter((e) => e.time <= tMax).sort((x, y) => x.time - y.time);
  const out: number[] = [];
  let v = 0;
  let cur = 0;
  let t = 0;
  let e = 0;
  while (out.length < cap) {
    while (e < sorted.length && sorted[e].time <= t) cur += sorted[e++].weight;
    const tEnd = e < sorted.length ? sorted[e].time : tMax;
    const d = crossingOffset(v, cur);
    if (d !== null && t + d <= tEnd) {
      out.push(t + d);
      cur *= Math.exp(-d / ts);
      v = 0;
      t += d;
      continue;
    }
    // No crossing before the next input: advance exactly.
    const dd = tEnd - t;
    const u = Math.exp(-dd / tm);
    v = quadratic ? (v + cur) * u - cur * u * u : (v + cur * dd / tm) * u;
    cur *= Math.exp(-dd / ts);
    t = tEnd;
    if (t >= tMax) break;
  }
  return out;

  function crossingOffset(v0: number, i0: number): number | null {
    if (i0 <= 0) return null; // V0 < theta and a non-positive current: V never rises to theta
    if (quadratic) {
      // I0 u^2 - (V0 + I0) u + theta = 0
      const p = v0 + i0;
      const disc = p * p - 4 * i0 * theta;
      if (disc < 0) return null;
      if (i0 <= v0) return null; // falling at the start, and I decays faster than V: never rises
      // 1 - u+ written without cancellation: (2 I0 - p)^2 - disc = 4 I0 (theta - V0)
      const oneMinusU = 2 * (theta - v0) / (i0 - v0 + Math.sqrt(disc));
      return -tm * Math.log1p(-oneMinusU);
    }
    const y0 = v0 / i0;
    if (y0 >= 1) return null; // already past the maximum of y e^{-y}
    const q = theta / i0 * Math.exp(-y0);
    if (q > 1 / Math.E) return null;
    return tm * (-lambertW0(-q) - y0);
  }
}

/** Seeded Rng, re-exported for tests. */
export { Rng };
