/**
 * Shared pieces of the input encodings (MODEL.md section 4): argument checks, the CSR batch builder, and the
 * latency code of images, which `ImageSplit` and the CPU engine use and shaders/encode_input.wgsl mirrors.
 * @module
 */
import type { ImageBatch, SpikeInput } from "../engine/engine.ts";

/**
 * Checks an encoding window.
 * @param tIn the window, e.g. 5; must be finite and > 0
 * @throws RangeError otherwise (a caller bug: configurations are validated before they get here)
 */
export function checkTIn(tIn: number): void {
  if (!(Number.isFinite(tIn) && tIn > 0)) throw new RangeError(`Encoding window tIn must be > 0, got ${tIn}`);
}

/**
 * Checks that every index names a sample of a split of `size` samples.
 * @throws RangeError for an index that is not an integer in 0 .. size-1
 */
export function checkIndices(indices: ArrayLike<number>, size: number): void {
  for (let s = 0; s < indices.length; s++) {
    const i = indices[s];
    if (!(Number.isInteger(i) && i >= 0 && i < size)) {
      throw new RangeError(`Sample index ${i} (position ${s}) is outside 0..${size - 1}`);
    }
  }
}

/**
 * Allocates a batch whose sample s holds `counts(indices[s])` events.
 * @returns the batch with `offsets` filled and `neuron`/`time` ready to fill in sample order
 */
export function allocateBatch(indices: ArrayLike<number>, counts: (index: number) => number): SpikeInput {
  const n = indices.length;
  const offsets = new Int32Array(n + 1); // (n + 1)
  for (let s = 0; s < n; s++) offsets[s + 1] = offsets[s] + counts(indices[s]);
  const events = offsets[n];
  return { size: n, offsets, neuron: new Int32Array(events), time: new Float64Array(events) };
}

/**
 * Spike time of each byte intensity v (x = v / 255) in window `tIn`: tIn (1 - v / 255) (MODEL.md section 4).
 * The WebGPU engine uploads this table (as f32), so it gives the times the host encoding gives.
 * @param tIn the window, e.g. 5
 * @returns (256) times; entry 0 is unused (v = 0 sends no spike)
 */
export function byteSpikeTimes(tIn: number): Float64Array {
  const times = new Float64Array(256);
  for (let v = 0; v < 256; v++) times[v] = tIn * (1 - v / 255);
  return times;
}

/**
 * Encodes images with the latency code of MODEL.md section 4: pixel p with intensity x > 0 becomes one spike
 * of input neuron p at t = t_in (1 - x) (x = v / 255 for bytes); x = 0 sends no spike. Events of a sample are
 * in pixel order. Assumes a valid batch (`checkImageBatch` of src/engine/checks.ts).
 * @param batch (size, nIn) intensities and the window
 * @param nIn pixels per image, e.g. 784
 * @returns the batch as spike trains (CSR over samples)
 */
export function encodeImages(batch: ImageBatch, nIn: number): SpikeInput {
  const { size, pixels, t_in: tIn } = batch;
  const offsets = new Int32Array(size + 1); // (size + 1)
  for (let s = 0, p = 0; s < size; s++) {
    let k = 0;
    for (const end = p + nIn; p < end; p++) if (pixels[p] !== 0) k++;
    offsets[s + 1] = offsets[s] + k;
  }
  const neuron = new Int32Array(offsets[size]);
  const time = new Float64Array(offsets[size]);
  const bytes = pixels instanceof Uint8Array ? byteSpikeTimes(tIn) : null;
  let e = 0;
  for (let s = 0, p = 0; s < size; s++) {
    for (let j = 0; j < nIn; j++, p++) {
      const x = pixels[p];
      if (x === 0) continue;
      neuron[e] = j;
      time[e] = bytes ? bytes[x] : tIn * (1 - x);
      e++;
    }
  }
  return { size, offsets, neuron, time };
}
