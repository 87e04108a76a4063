/**
 * Shared pieces of the input encodings (MODEL.md section 4): argument checks and the CSR batch builder.
 * @module
 */
import type { SpikeInput } from "../engine/engine.ts";

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
