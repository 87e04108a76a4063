/**
 * Training-time augmentation of image batches: every image moved by a random whole number of pixels
 * (dx, dy), each uniform in [-maxShift, maxShift], the uncovered border black (no spike). The classic
 * remedy for an MLP that fits MNIST's training images better than it generalises; it changes only which
 * pixels spike, so the engines and the exact gradients are untouched.
 * @module
 */
import type { ImageBatch } from "../engine/engine.ts";
import type { Rng } from "../util/rng.ts";

/**
 * The side of the square images of `inputSize` pixels.
 * @param inputSize pixels per image, e.g. 784
 * @returns e.g. 28
 * @throws RangeError when `inputSize` is not a square
 */
export function squareSide(inputSize: number): number {
  const side = Math.round(Math.sqrt(inputSize));
  if (side * side !== inputSize) throw new RangeError(`images of ${inputSize} pixels are not square`);
  return side;
}

/** Pixels per image of `batch` after checking it holds `batch.size` images of side x side; `caller` names the error. */
function checkSquareBatch(batch: ImageBatch, side: number, caller: string): number {
  const d = side * side;
  if (batch.pixels.length !== batch.size * d) {
    throw new RangeError(`${caller} needs ${batch.size} images of ${side} x ${side} pixels`);
  }
  return d;
}

/**
 * A copy of `batch` with every image shifted by its own random offset.
 * @param batch images, (size, side * side) intensities
 * @param side image width and height, e.g. 28
 * @param maxShift largest shift in pixels along each axis, e.g. 2 (0 returns the pixels unchanged)
 * @param rng source of the offsets: two draws per image, dx then dy
 * @returns the shifted batch (same size, kind of pixels and window)
 * @example
 * ```ts
 * const moved = shiftImages(data.train.batch([0, 1], 5), 28, 2, new Rng(1));
 * ```
 */
export function shiftImages(batch: ImageBatch, side: number, maxShift: number, rng: Rng): ImageBatch {
  const d = checkSquareBatch(batch, side, "shiftImages");
  if (!Number.isInteger(maxShift) || maxShift < 0) {
    throw new RangeError(`maxShift must be an integer >= 0, got ${maxShift}`);
  }
  const src = batch.pixels;
  const out = src instanceof Uint8Array ? new Uint8Array(src.length) : new Float32Array(src.length);
  for (let s = 0; s < batch.size; s++) {
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    const base = s * d;
    // Destination rows and columns whose source lies inside the image; the rest stays 0.
    const y0 = Math.max(0, dy), y1 = Math.min(side, side + dy);
    const x0 = Math.max(0, dx), x1 = Math.min(side, side + dx);
    for (let y = y0; y < y1; y++) {
      const from = base + (y - dy) * side - dx;
      out.set(src.subarray(from + x0, from + x1), base + y * side + x0);
    }
  }
  return { size: batch.size, pixels: out, t_in: batch.t_in };
}

/**
 * A copy of `batch` in which every image is mirrored left to right with probability 1/2: for classes whose
 * mirror images look alike, which digits are not (on Fashion-MNIST it did not help: README, "Results").
 * @param batch images, (size, side * side) intensities
 * @param side image width and height, e.g. 28
 * @param rng source of the coin flips: one draw per image
 * @returns the flipped batch (same size, kind of pixels and window)
 * @example
 * ```ts
 * const mirrored = flipImages(data.train.batch([0, 1], 5), 28, new Rng(1));
 * ```
 */
export function flipImages(batch: ImageBatch, side: number, rng: Rng): ImageBatch {
  const d = checkSquareBatch(batch, side, "flipImages");
  const src = batch.pixels;
  const out = src.slice();
  for (let s = 0; s < batch.size; s++) {
    if (rng.int(2) === 0) continue;
    for (let row = s * d; row < (s + 1) * d; row += side) {
      for (let x = 0; x < side; x++) out[row + x] = src[row + side - 1 - x];
    }
  }
  return { size: batch.size, pixels: out, t_in: batch.t_in };
}
