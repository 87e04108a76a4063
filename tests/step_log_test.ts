/** steps.csv rows from hand-made step metrics: windows, short rows at an epoch's end, per-layer figures. */
import assert from "node:assert/strict";
import type { StepMetrics } from "../src/engine/engine.ts";
import { keptStepRows, StepLog } from "../src/train/step_log.ts";

/** A step of `size` samples with summed loss `loss`, `correct` right, and the given hidden/output spikes. */
function step(size: number, loss: number, correct: number, hidden: number, silent: number): StepMetrics {
  return {
    loss,
    correct,
    size,
    stats: [
      { spikes: hidden, silent, capped: 1, grazing: 2, overflow: 0 },
      { spikes: 2 * size, silent: 0, capped: 0, grazing: 0, overflow: 0 },
    ],
  };
}

Deno.test("StepLog: rows of `every` steps, a short row at the end of an epoch, means over samples", () => {
  // 4 inputs, 3 hidden, 2 outputs.
  const log = new StepLog(2, [4, 3, 2]);
  log.add(1, 0, 0.01, step(4, 2.0, 3, 6, 2));
  log.add(1, 1, 0.02, step(2, 1.0, 2, 3, 0));
  assert.equal(log.rows.length, 1, "a full window makes a row at once");
  log.add(1, 2, 0.03, step(4, 4.0, 1, 0, 12));
  log.endEpoch();
  log.endEpoch(); // nothing pending: no empty row
  log.add(2, 0, 0.04, step(4, 0.4, 4, 12, 0));
  log.endEpoch();
  assert.deepEqual(log.rows.map((r) => [r.epoch, r.first_step, r.last_step, r.samples, r.lr]), [
    [1, 1, 2, 6, 0.02],
    [1, 3, 3, 4, 0.03],
    [2, 1, 1, 4, 0.04],
  ]);
  const [a, b, c] = log.rows;
  // Losses are summed over a step's samples, so the row's loss is (2 + 1) / 6 samples.
  assert.equal(a.train_loss, 3 / 6);
  assert.equal(a.train_acc, 5 / 6);
  // Hidden layer: 9 spikes over 6 samples x 3 neurons; 2 silent pairs; cap hits and grazing per sample.
  assert.equal(a.spikes_per_neuron_l1, 9 / 18);
  assert.equal(a.silent_fraction_l1, 2 / 18);
  assert.equal(a.cap_hits_l1, 2 / 6);
  assert.equal(a.grazing_l1, 4 / 6);
  assert.equal(a.spikes_per_neuron_l2, 1);
  assert.equal(b.train_loss, 1);
  assert.equal(b.silent_fraction_l1, 1);
  assert.equal(b.spikes_per_neuron_l1, 0);
  assert.equal(c.train_acc, 1);
  assert.equal(c.spikes_per_neuron_l1, 1);
});

Deno.test("StepLog: a new epoch closes the last one's row even without endEpoch", () => {
  const log = new StepLog(10, [4, 3, 2]);
  log.add(1, 0, 0.01, step(4, 2.0, 3, 6, 2));
  log.add(2, 0, 0.01, step(4, 1.0, 3, 6, 2));
  log.endEpoch();
  assert.deepEqual(log.rows.map((r) => [r.epoch, r.train_loss]), [[1, 0.5], [2, 0.25]]);
});

Deno.test("StepLog: a resumed run keeps the rows of its finished epochs and goes on after them", () => {
  const parsed = [
    { epoch: "1", first_step: "1", train_loss: "0.5" },
    { epoch: "2", first_step: "1", train_loss: "0.25" },
    { epoch: "3", first_step: "1", train_loss: "NaN" },
  ];
  const kept = keptStepRows(parsed, 2);
  assert.deepEqual(kept, [{ epoch: 1, first_step: 1, train_loss: 0.5 }, {
    epoch: 2,
    first_step: 1,
    train_loss: 0.25,
  }]);
  const log = new StepLog(1, [4, 3, 2], kept);
  log.add(3, 0, 0.01, step(4, 2.0, 3, 6, 2));
  assert.deepEqual(log.rows.map((r) => r.epoch), [1, 2, 3]);
  assert.throws(() => new StepLog(0, [4, 3, 2]), RangeError);
});
