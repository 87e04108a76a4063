/**
 * The CPU engine's speed-ups must not change a single bit: the comparator-free sort of the backward sweep,
 * the kernel from an exponential already at hand, and the backward pass that skips dL/ds of the first
 * layer when no input gradients are requested.
 */
import assert from "node:assert/strict";
import { sortByKeyDescending } from "../src/engine/cpu/backward.ts";
import { BatchRunner } from "../src/engine/cpu/batch_runner.ts";
import { DEFAULT_LOSS } from "../src/engine/loss.ts";
import { NeuronMath } from "../src/model/kernel.ts";
import type { NeuronParams } from "../src/model/params.ts";
import { makeInput, randomEvents, randomNetwork, Rng } from "./helpers.ts";

Deno.test("sortByKeyDescending gives the comparator sort's order, ties by index", () => {
  const rng = new Rng(7);
  for (const n of [0, 1, 2, 3, 7, 16, 33, 100, 257]) {
    for (const distinct of [2, 5, 1000]) {
      const key = new Float64Array(n + 5);
      for (let i = 0; i < key.length; i++) key[i] = rng.int(distinct) * 0.25;
      // Ascending, with gaps, like the active neurons of a layer.
      const idx = new Int32Array(n);
      for (let q = 0; q < n; q++) idx[q] = q + (q > n / 2 ? 5 : 0);
      const expected = idx.slice().sort((x, y) => key[y] - key[x] || x - y);
      const got = idx.slice();
      sortByKeyDescending(got, n, key, new Int32Array(n));
      assert.deepEqual(Array.from(got), Array.from(expected), `n=${n} distinct=${distinct}`);
    }
  }
});

Deno.test("kernelWithDecay is bit-for-bit kernel", () => {
  const taus: [number, number][] = [[5, 5], [10, 5], [5, 10], [4, 7], [5, 4.9], [5, 5.0000001], [20, 1]];
  for (const [tau_m, tau_s] of taus) {
    const math = new NeuronMath({ tau_m, tau_s, theta: 1, t_max: 30, max_spikes: 4 });
    for (const d of [-1, 0, 1e-300, 1e-9, 0.01, 0.3, 1, 2.5, 4.999, 5, 7.3, 12, 29.9, 30, 100]) {
      const em = Math.exp(-math.a * d);
      assert.ok(Object.is(math.kernelWithDecay(d, em), math.kernel(d)), `tau ${tau_m}/${tau_s} d=${d}`);
    }
  }
});

Deno.test("backward without input gradients gives the same dL/dW, bit for bit", () => {
  const rng = new Rng(11);
  for (
    const neuron of [
      { tau_m: 5, tau_s: 5, theta: 1, t_max: 30, max_spikes: 4 },
      { tau_m: 10, tau_s: 5, theta: 1, t_max: 30, max_spikes: 3 },
    ] satisfies NeuronParams[]
  ) {
    const sizes = [12, 9, 7, 3];
    const net = randomNetwork(rng, neuron, sizes, { drive: [4, 3, 3] });
    const input = makeInput(Array.from({ length: 6 }, () => randomEvents(rng, 12, { tIn: 8 })));
    const labels = Int32Array.from({ length: 6 }, (_, s) => s % 3);
    const grads = (withInput: boolean) => {
      const runner = new BatchRunner(neuron, sizes, net.weights);
      const dW = net.weights.map((w) => new Float64Array(w.length));
      const r = runner.run(input, {
        from: 0,
        to: 6,
        keepSpikes: false,
        labels,
        loss: DEFAULT_LOSS,
        dW,
        inputGrads: withInput ? new Float64Array(input.time.length) : undefined,
        gradScale: 1,
      });
      return { dW, loss: r.loss, spikes: r.stats.map((s) => s.spikes) };
    };
    const a = grads(true);
    const b = grads(false);
    assert.ok(a.spikes.every((n) => n > 0), `every layer spikes: ${a.spikes}`);
    assert.ok(a.dW.every((w) => w.some((x) => x !== 0)), "every layer has gradients");
    assert.equal(b.loss, a.loss);
    for (let l = 0; l < sizes.length - 1; l++) assert.deepEqual(b.dW[l], a.dW[l]);
  }
});
