/**
 * Argument checks shared by both engines (same rules, same messages): a bad shape,
 * event or label is a RangeError before any work (or anything reaches the GPU).
 * @module
 */
import { type EngineInput, type ImageBatch, isImageBatch, type SpikeInput } from "./engine.ts";

/** Throws a RangeError unless `weights` has one (sizes[l], sizes[l+1]) array per layer. */
export function checkShapes(sizes: readonly number[], weights: readonly Float64Array[]): void {
  if (weights.length !== sizes.length - 1) {
    throw new RangeError(`Expected ${sizes.length - 1} weight layers, got ${weights.length}`);
  }
  for (let l = 0; l < weights.length; l++) {
    if (weights[l].length !== sizes[l] * sizes[l + 1]) {
      throw new RangeError(
        `Weights of layer ${l} have ${weights[l].length} entries, expected ${sizes[l]}x${sizes[l + 1]}`,
      );
    }
  }
}

/** Throws a RangeError naming the first invalid event of `input`. */
export function checkInput(input: SpikeInput, nIn: number): void {
  if (input.offsets.length !== input.size + 1 || input.offsets[input.size] !== input.time.length) {
    throw new RangeError("SpikeInput offsets do not match its size and events");
  }
  for (let e = 0; e < input.neuron.length; e++) {
    const j = input.neuron[e];
    const t = input.time[e];
    if (!(j >= 0 && j < nIn) || !(t >= 0) || !Number.isFinite(t)) {
      throw new RangeError(`Input event ${e} is invalid: neuron ${j}, time ${t} (network has ${nIn} inputs)`);
    }
  }
}

/**
 * Throws a RangeError naming what is wrong with a batch of images: its size, pixel count or type, window, or
 * the first float intensity outside [0, 1].
 */
export function checkImageBatch(batch: ImageBatch, nIn: number): void {
  const { size, pixels, t_in: tIn } = batch;
  if (!(Number.isInteger(size) && size >= 0)) throw new RangeError(`ImageBatch size ${size} is not a count`);
  if (!(pixels instanceof Uint8Array || pixels instanceof Float32Array)) {
    throw new RangeError("ImageBatch pixels must be a Uint8Array or a Float32Array");
  }
  if (pixels.length !== size * nIn) {
    throw new RangeError(`ImageBatch has ${pixels.length} pixels, expected ${size}x${nIn}`);
  }
  if (!(Number.isFinite(tIn) && tIn > 0)) throw new RangeError(`ImageBatch t_in must be > 0, got ${tIn}`);
  if (pixels instanceof Float32Array) {
    for (let k = 0; k < pixels.length; k++) {
      const x = pixels[k];
      if (!(x >= 0 && x <= 1)) {
        throw new RangeError(
          `Intensity ${x} of pixel ${k % nIn} of sample ${Math.floor(k / nIn)} is outside [0, 1]`,
        );
      }
    }
  }
}

/** Throws a RangeError naming the first invalid part of a batch of either form. */
export function checkEngineInput(input: EngineInput, nIn: number): void {
  if (isImageBatch(input)) checkImageBatch(input, nIn);
  else checkInput(input, nIn);
}

/** Throws a RangeError unless there is a valid class label for every sample. */
export function checkLabels(labels: Int32Array, size: number, classes: number): void {
  if (labels.length < size) throw new RangeError(`Expected ${size} labels, got ${labels.length}`);
  for (let s = 0; s < size; s++) {
    if (!(labels[s] >= 0 && labels[s] < classes)) {
      throw new RangeError(`Label ${labels[s]} of sample ${s} is not a class of ${classes}`);
    }
  }
}
