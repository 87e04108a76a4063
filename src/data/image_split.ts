/**
 * A split of an image dataset kept as bytes and encoded on demand (MODEL.md section 4): pixel p with
 * intensity x = v/255 becomes one spike of input neuron p at t = tIn (1 - x); black pixels (v = 0) send
 * no spike (`encodeImages` of encode.ts).
 * @module
 */
import type { ImageBatch, SpikeInput } from "../engine/engine.ts";
import { checkIndices, checkTIn, encodeImages } from "./encode.ts";
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
    let lit = 0;
    for (let p = 0; p < pixels.length; p++) if (pixels[p] !== 0) lit++;
    this.meanEvents = size > 0 ? lit / size : 0;
  }

  /**
   * Encodes the images at `indices` as one batch of input spikes, events of a sample in pixel order.
   * @param indices samples, any order, repeats allowed
   * @param tIn encoding window, e.g. 5: a white pixel spikes at 0, the faintest at just under tIn
   * @returns the batch (CSR over samples)
   */
  encode(indices: ArrayLike<number>, tIn: number): SpikeInput {
    return encodeImages(this.batch(indices, tIn), this.inputSize);
  }

  /**
   * The images at `indices` as raw intensities, for the engines to encode (the same spikes as `encode`).
   * @param indices samples, any order, repeats allowed
   * @param tIn encoding window, e.g. 5
   * @returns (indices.length, inputSize) bytes and the window
   */
  batch(indices: ArrayLike<number>, tIn: number): ImageBatch {
    checkTIn(tIn);
    checkIndices(indices, this.size);
    const d = this.inputSize;
    const pixels = new Uint8Array(indices.length * d);
    for (let s = 0; s < indices.length; s++) {
      pixels.set(this.pixels.subarray(indices[s] * d, (indices[s] + 1) * d), s * d);
    }
    return { size: indices.length, pixels, t_in: tIn };
  }
}
