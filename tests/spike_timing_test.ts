/**
 * The timing tally of `eval --timing` on hand-made spikes, where every figure can be counted by eye.
 */
import assert from "node:assert/strict";
import type { Split } from "../src/data/dataset.ts";
import { CpuEngine } from "../src/engine/cpu/cpu_engine.ts";
import type { LayerSpikes, LossConfig } from "../src/engine/engine.ts";
import { evaluateSplit } from "../src/train/split_eval.ts";
import { cumulative, spikeTiming, TIMING_BINS, TimingTally } from "../src/train/spike_timing.ts";
import { Rng } from "../src/util/rng.ts";
import { makeInput, randomEvents, randomNetwork, sampleEvents, spikeTimes } from "./helpers.ts";

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
  const tally = new TimingTally([3, 2], 30);
  tally.add([hidden, output], [2.5, NaN]);
  const r = tally.result("first output spike");
  assert.equal(r.samples, 2);
  assert.equal(r.layers[0].spikes, (4 + 5) / 2);
  assert.equal(r.layers[0].spikes_before_decision, (2 + 5) / 2);
  assert.equal(r.layers[0].fraction_before_decision, 7 / 9);
  assert.equal(r.layers[0].neurons_before_decision, (1 + 3) / 2);
  assert.equal(r.layers[0].neurons_multi_before_decision, (1 + 1) / 2);
  // Every hidden neuron fires before a decision in one sample or the other (neuron 1 and 2 in the
  // undecided sample, whose window is all of [0, 30)).
  assert.equal(r.layers[0].neurons, 3);
  assert.equal(r.layers[0].neurons_never_fired, 0);
  assert.equal(r.layers[0].neurons_never_before_decision, 0);
  // Output neuron 1 fires (t = 8) but never strictly before a decision; neuron 0 neither.
  assert.equal(r.layers[1].neurons_never_fired, 0);
  assert.equal(r.layers[1].neurons_never_before_decision, 2);
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
  const tally = new TimingTally([2], 10);
  tally.add([layer([[[], []]], 1)], [3]);
  const r = tally.result("first output spike").layers[0];
  assert.ok(Number.isNaN(r.fraction_before_decision));
  assert.equal(r.neurons_never_fired, 2);
  assert.equal(r.neurons_never_before_decision, 2);
});

Deno.test("timing tally: neurons silent on every sample, and neurons that only fire after the decision", () => {
  // Three samples, 4 neurons: neuron 0 fires early in sample 1 only, neuron 1 only after the decisions,
  // neuron 2 never, neuron 3 early in every sample.
  const hidden = layer([
    [[1], [], [], [0.5]],
    [[], [6], [], [0.5]],
    [[], [7, 8], [], [0.5]],
  ], 2);
  const tally = new TimingTally([4], 10);
  tally.add([hidden], [2, 3, 5]);
  tally.add([layer([[[], [], [], [0.5]]], 2)], [4]); // a second batch: per-neuron counts carry over
  const r = tally.result("first output spike").layers[0];
  assert.equal(r.neurons, 4);
  assert.equal(r.neurons_never_fired, 1, "neuron 2");
  assert.equal(r.neurons_never_before_decision, 2, "neurons 1 and 2");
});

Deno.test("cumulative fractions of a histogram", () => {
  assert.deepEqual(cumulative([1, 3]), [0.25, 1]);
  assert.deepEqual(cumulative([0, 0]), [0, 0]);
});

Deno.test("spikeTiming on the CPU engine: first-spike counts up to the first output spike, multi-spike the window", async () => {
  const rng = new Rng(5);
  const neuron = { tau_m: 3, tau_s: 3, theta: 1, t_max: 20, max_spikes: 4 };
  const network = randomNetwork(rng, neuron, [6, 8, 3]);
  const samples = Array.from({ length: 7 }, () => randomEvents(rng, 6, { tIn: 4 }));
  const input = makeInput(samples);
  // A split that hands out slices of the fixed input; labels do not matter to the timing.
  const split: Split = {
    size: samples.length,
    labels: new Int32Array(samples.length),
    meanEvents: 0,
    encode: (indices) => makeInput(Array.from(indices, (s) => sampleEvents(input, s))),
    batch: (indices) => makeInput(Array.from(indices, (s) => sampleEvents(input, s))),
  };
  const engine = new CpuEngine(network, { workers: 1 });
  try {
    const first: LossConfig = { kind: "first-spike", tau0: 1, vmax_weight: 1 };
    const ev = await evaluateSplit(engine, split, 4, first);
    const fwd = await engine.forward(input);
    const t = await spikeTiming(engine, split, 4, first, ev.decisionTime);
    assert.equal(t.decision, "first output spike");
    // Counted directly from the forward pass: hidden spikes strictly before each sample's first output spike.
    let before = 0;
    let all = 0;
    for (let s = 0; s < samples.length; s++) {
      const td = Number.isNaN(ev.decisionTime[s]) ? neuron.t_max : ev.decisionTime[s];
      for (let i = 0; i < 8; i++) {
        for (const x of spikeTimes(fwd, 0, s, i)) {
          all++;
          if (x < td) before++;
        }
      }
    }
    assert.ok(
      all > 0 && before > 0 && before < all,
      `a case with spikes on both sides (${before} of ${all})`,
    );
    assert.ok(Math.abs(t.layers[0].spikes_before_decision - before / samples.length) < 1e-12);
    assert.ok(Math.abs(t.layers[0].spikes - all / samples.length) < 1e-12);
    assert.equal(t.layers[1].spikes_before_decision, 0);
    const multi = await spikeTiming(engine, split, 4, { ...first, kind: "multi-spike" }, ev.decisionTime);
    assert.equal(multi.decision, "end of window");
    assert.equal(multi.layers[0].fraction_before_decision, 1);
    assert.equal(multi.decision_histogram.reduce((a, b) => a + b, 0), 0);
  } finally {
    engine.dispose();
  }
});
