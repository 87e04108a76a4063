/**
 * A split of an image dataset kept as bytes and encoded on demand (MODEL.md section 4): pixel p with
 * intensity x = v/255 becomes one spike of input neuron p at t = tIn (1 - x); black pixels (v = 0) send
 * no spike.
 * @module
 */
import type { SpikeInput } from "../engine/engine.ts";
import { allocateBatch, checkIndices, checkTIn } from "./encode.ts";
import type { Split } from "./split.ts";

/** Samples of an image dataset; `encode` is the latency code of MODEL.md section 4. */
export class ImageSplit implements Split {
  readonly size: number;
  readonly labels: Int32Array;
  readonly meanEvents: number;
  /** Pixels per image, e.g. 784. */
  readonly inputSize: number;
  /** (size, inputSize) intensities 0..255. */
  readonly pixels: Uint8Array;
  /** (size) non-zero pixels of each image = its events; sizes a batch exactly before filling it. */
  readonly #events: Int32Array;
  /** (256) spike time of each intensity for the last tIn seen (tIn rarely changes). */
  #times = new Float64Array(256);
  #timesFor = NaN;

  /**
   * @param pixels (size, inputSize) intensities, e.g. a view into an IDX file
   * @param labels (size) class of each image
   * @param inputSize pixels per image, e.g. 784
   */
  constructor(pixels: Uint8Array, labels: Int32Array, inputSize: number) {
    const size = labels.length;
    if (pixels.length !== size * inputSize) {
      throw new RangeError(`ImageSplit needs ${size} x ${inputSize} pixels, got ${pixels.length}`);
    }
    this.size = size;
    this.labels = labels;
    this.pixels = pixels;
    this.inputSize = inputSize;
    this.#events = new Int32Array(size);
    let total = 0;
    for (let i = 0, p = 0; i < size; i++) {
      let k = 0;
      for (const end = p + inputSize; p < end; p++) if (pixels[p] !== 0) k++;
      this.#events[i] = k;
      total += k;
    }
    this.meanEvents = size > 0 ? total / size : 0;
  }

  /**
   * Encodes the images at `indices` as one batch of input spikes, events of a sample in pixel order.
   * @param indices samples, any order, repeats allowed
   * @param tIn encoding window, e.g. 5: a white pixel spikes at 0, the faintest at just under tIn
   * @returns the batch (CSR over samples)
   */
  encode(indices: ArrayLike<number>, tIn: number): SpikeInput {
    checkTIn(tIn);
    checkIndices(indices, this.size);
    const times = this.#timeTable(tIn);
    const events = this.#events;
    const batch = allocateBatch(indices, (i) => events[i]);
    const { neuron, time } = batch;
    const px = this.pixels;
    const d = this.inputSize;
    let e = 0;
    for (let s = 0; s < indices.length; s++) {
      const base = indices[s] * d;
      for (let p = 0; p < d; p++) {
        const v = px[base + p];
        if (v !== 0) {
          neuron[e] = p;
          time[e] = times[v];
          e++;
        }
      }
    }
    return batch;
  }

  #timeTable(tIn: number): Float64Array {
    if (tIn !== this.#timesFor) {
      for (let v = 0; v < 256; v++) this.#times[v] = tIn * (1 - v / 255);
      this.#timesFor = tIn;
    }
    return this.#times;
  }
}
