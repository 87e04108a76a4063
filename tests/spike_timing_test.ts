/**
 * The timing tally of `eval --timing` on hand-made spikes, where every figure can be counted by eye.
 */
import assert from "node:assert/strict";
import type { LayerSpikes } from "../src/engine/engine.ts";
import { cumulative, TIMING_BINS, TimingTally } from "../src/train/spike_timing.ts";

/** A layer of `neurons` x `cap` slots from per-sample, per-neuron spike lists. */
function layer(samples: number[][][], cap: number): LayerSpikes {
  const neurons = samples[0].length;
  const count = new Int32Array(samples.length * neurons);
  const time = new Float64Array(samples.length * neurons * cap).fill(-1);
  samples.forEach((ns, s) =>
    ns.forEach((ts, i) => {
      count[s * neurons + i] = ts.length;
      ts.forEach((t, k) => (time[(s * neurons + i) * cap + k] = t));
    })
  );
  return { neurons, capacity: cap, count, time };
}

Deno.test("timing tally: spikes before the decision, neurons firing once and twice before it", () => {
  // Two samples, a hidden layer of 3 neurons (cap 4) and an output layer of 2 (cap 2); t_max 30.
  const hidden = layer([
    [[1, 2, 9], [3], []], // decided at 2.5: spikes 1, 2 before; neuron 0 twice, neuron 1 not at all
    [[0.5], [4, 5, 6], [29.9]], // no output spike: the window is [0, 30): all 5 spikes count
  ], 4);
  const output = layer([[[2.5, 7], [8]], [[], []]], 2);
  const tally = new TimingTally(2, 30);
  tally.add([hidden, output], [2.5, NaN]);
  const r = tally.result("first output spike");
  assert.equal(r.samples, 2);
  assert.equal(r.layers[0].spikes, (4 + 5) / 2);
  assert.equal(r.layers[0].spikes_before_decision, (2 + 5) / 2);
  assert.equal(r.layers[0].fraction_before_decision, 7 / 9);
  assert.equal(r.layers[0].neurons_before_decision, (1 + 3) / 2);
  assert.equal(r.layers[0].neurons_multi_before_decision, (1 + 1) / 2);
  // The output's first spike is the decision itself: nothing of it comes strictly before.
  assert.equal(r.layers[1].spikes_before_decision, 0);
  assert.equal(r.layers[1].spikes, 3 / 2);
  // Bins of width 0.5: t = 2.5 opens bin 5; t = 29.9 is in the last bin; the undecided sample is left out.
  assert.equal(r.bin_width, 0.5);
  assert.equal(r.decision_histogram[5], 1 / 2);
  assert.equal(r.decision_histogram.reduce((a, b) => a + b, 0), 1 / 2);
  assert.equal(r.spike_histogram[0][TIMING_BINS - 1], 1 / 2);
  assert.equal(r.spike_histogram[0][2], 1 / 2, "t = 1 opens bin 2");
  assert.equal(r.spike_histogram[0].reduce((a, b) => a + b, 0), 9 / 2);
});

Deno.test("timing tally: a layer that never fires has no fraction", () => {
  const tally = new TimingTally(1, 10);
  tally.add([layer([[[], []]], 1)], [3]);
  assert.ok(Number.isNaN(tally.result("first output spike").layers[0].fraction_before_decision));
});

Deno.test("cumulative fractions of a histogram", () => {
  assert.deepEqual(cumulative([1, 3]), [0.25, 1]);
  assert.deepEqual(cumulative([0, 0]), [0, 0]);
});
