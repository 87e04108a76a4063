/**
 * The running mean of `train --average-last` (src/train/weight_average.ts): its window, its sum, and what a
 * resumed run may carry on with.
 */
import assert from "node:assert/strict";
import {
  addEpochWeights,
  averagedWeights,
  averageWindowStart,
  resumedAverage,
  type WeightAverage,
} from "../src/train/weight_average.ts";
import { TrainingError } from "../src/train/errors.ts";

const weightsOf = (x: number) => [Float64Array.of(x, 2 * x), Float64Array.of(-x)];

Deno.test("the window is the last k epochs, or all of them when the run is shorter", () => {
  assert.equal(averageWindowStart(20, 5), 16);
  assert.equal(averageWindowStart(20, 1), 20);
  assert.equal(averageWindowStart(3, 5), 1);
});

Deno.test("epochs before the window are left out; the mean is that of the window's weights", () => {
  let avg: WeightAverage | null = null;
  for (let epoch = 1; epoch <= 5; epoch++) {
    avg = addEpochWeights(avg, weightsOf(epoch), epoch, 5, 3);
    assert.equal(avg === null, epoch < 3, `epoch ${epoch}`);
  }
  assert.deepEqual([avg!.from, avg!.count], [3, 3]);
  // (3 + 4 + 5) / 3 = 4 in every weight, scaled as weightsOf scales it.
  assert.deepEqual(averagedWeights(avg!), weightsOf(4));
  // The sum is the caller's to keep: the weights passed in are not touched.
  const w = weightsOf(7);
  addEpochWeights(null, w, 5, 5, 1);
  assert.deepEqual(w, weightsOf(7));
  assert.equal(addEpochWeights(null, weightsOf(1), 5, 5, 0), null, "k = 0 is off");
});

Deno.test("a resumed run carries on with the saved sum only where it covers the window so far", () => {
  const saved: WeightAverage = { from: 16, count: 2, sum: weightsOf(33) };
  assert.equal(resumedAverage(saved, 17, 20, 5), saved);
  // Off, or a window that has not begun: nothing to carry.
  assert.equal(resumedAverage(saved, 17, 20, 0), null);
  assert.equal(resumedAverage(saved, 17, 40, 5), null, "a longer run's window begins at 36");
  assert.equal(resumedAverage(undefined, 10, 20, 5), null);
  // A window that reaches back before what was summed, or one the checkpoint never began.
  assert.throws(() => resumedAverage(saved, 17, 20, 8), TrainingError);
  assert.throws(
    () => resumedAverage(null, 17, 20, 5),
    /--average-last 5 of 20 epochs needs the weights of epochs 16-17, which the checkpoint did not keep \(it averaged no epochs\)/,
  );
});
