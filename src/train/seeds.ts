/**
 * The seeds of a run's random streams, derived from its one `--seed`: weight initialisation uses the seed
 * itself, shuffling and the image augmentations each get a stream of their own. Shared by `train` and
 * `scripts/ann_baseline.ts`, so that the reference ANN sees the same batches and shifts as the spiking run.
 * @module
 */

/** Seeds the shuffling stream apart from the weight initialisation, which uses `seed` itself. */
export function shuffleSeed(seed: number): number {
  return (Math.imul(seed, 0x9e3779b1) + 0x5bd1e995) >>> 0;
}

/**
 * Seeds the image shifts of one epoch (0-based). One stream per epoch, not one per run, so that a resumed
 * run draws the same shifts without a second generator state in the checkpoint.
 */
export function augmentSeed(seed: number, epoch: number): number {
  return (Math.imul(seed + 1, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35)) >>> 0;
}

/**
 * Seeds the mirroring of one epoch (0-based): a stream of its own, so that turning flips on leaves the shifts
 * drawn for a seed as they were.
 */
export function flipSeed(seed: number, epoch: number): number {
  return (augmentSeed(seed, epoch) ^ 0x27d4eb2f) >>> 0;
}

/**
 * Seeds the dropout masks of `train --dropout` (hashed with the step, src/engine/dropout.ts) and of
 * `scripts/ann_baseline.ts --dropout`: one stream for the run, apart from the rest.
 */
export function dropoutSeed(seed: number): number {
  return (shuffleSeed(seed) ^ 0x165667b1) >>> 0;
}
