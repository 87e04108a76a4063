/**
 * Packs the input events of a chunk of samples into the dense layout every layer reads from the layer
 * below: per (sample, input neuron) a count and up to `capacity` times. The first layer then looks exactly
 * like any other; `origin` remembers which `SpikeInput` event sits in each slot, for the input gradients.
 * @module
 */
import type { SpikeInput } from "../engine.ts";

/** Events of one input neuron in one sample at most, over the samples of `input` (events after t_max dropped). */
export function eventsPerInputNeuron(input: SpikeInput, nIn: number, tMax: number): number {
  const seen = new Int32Array(nIn);
  let most = 0;
  for (let s = 0; s < input.size; s++) {
    const lo = input.offsets[s];
    const hi = input.offsets[s + 1];
    for (let e = lo; e < hi; e++) {
      if (input.time[e] > tMax) continue;
      const c = ++seen[input.neuron[e]];
      if (c > most) most = c;
    }
    for (let e = lo; e < hi; e++) seen[input.neuron[e]] = 0;
  }
  return most;
}

/** Host-side staging of one chunk, reused across chunks. */
export class InputPacker {
  /** (samples, nIn) events per input neuron. */
  readonly count: Uint32Array<ArrayBuffer>;
  /** (samples, nIn, capacity) event times, in input order per neuron. */
  readonly time: Float32Array<ArrayBuffer>;
  /** (samples, nIn, capacity) index of the `SpikeInput` event in each slot; -1 where none. */
  readonly origin: Int32Array<ArrayBuffer>;

  constructor(readonly samples: number, readonly nIn: number, readonly capacity: number) {
    this.count = new Uint32Array(samples * nIn);
    this.time = new Float32Array(samples * nIn * capacity);
    this.origin = new Int32Array(samples * nIn * capacity);
  }

  /**
   * Packs samples `from .. to-1` (at most `this.samples` of them), dropping events after `tMax`.
   * @returns the number of samples packed
   */
  pack(input: SpikeInput, from: number, to: number, tMax: number): number {
    const { nIn, capacity: cap, count, time, origin } = this;
    const m = to - from;
    count.fill(0, 0, m * nIn);
    origin.fill(-1, 0, m * nIn * cap);
    for (let s = 0; s < m; s++) {
      const lo = input.offsets[from + s];
      const hi = input.offsets[from + s + 1];
      for (let e = lo; e < hi; e++) {
        const t = input.time[e];
        if (t > tMax) continue; // nothing after t_max exists
        const row = s * nIn + input.neuron[e];
        const k = count[row]++;
        if (k >= cap) throw new Error(`input packing overflow: capacity ${cap} too small`);
        time[row * cap + k] = t;
        origin[row * cap + k] = e;
      }
    }
    return m;
  }
}
