/**
 * The WebGPU engine against the CPU engine (the reference): the shared parity suite (tests/engine_cases.ts)
 * on its own cases and on batches of 1, 3 and 17 samples split over several submissions; spike-buffer
 * overflow counting; a few training steps side by side; adapter selection. Runs on any adapter, llvmpipe
 * included; skipped when there is none. Tolerances: F32_TOLERANCE (tests/engine_cases.ts, justified there).
 * @module
 */
import assert from "node:assert/strict";
import { CpuEngine } from "../src/engine/cpu/cpu_engine.ts";
import type { LossConfig, Network } from "../src/engine/engine.ts";
import type { NeuronParams } from "../src/model/params.ts";
import { createWebGpuEngine, probeHardwareAdapter, WebGpuError } from "../src/engine/webgpu/webgpu_engine.ts";
import { engineParitySuite, F32_TOLERANCE, type ParityCase } from "./engine_cases.ts";
import { makeInput, maxAbs, randomEvents, randomNetwork, Rng } from "./helpers.ts";

const adapter = await navigator.gpu?.requestAdapter().catch(() => null) ?? null;
const noGpu = adapter === null;

const TOL = F32_TOLERANCE;

engineParitySuite("WebGPU", (net) => createWebGpuEngine(net, { adapter: "any" }), TOL, { ignore: noGpu });

/**
 * Cases with batches of 1, 3 and 17 samples, multi-spike and max_spikes = 1, three tau settings; the two
 * larger batches train under dropout, whose masks follow the sample's index in the whole batch, across
 * chunks.
 */
function batchCases(): ParityCase[] {
  const rng = new Rng(77);
  const out: ParityCase[] = [];
  const settings: [number, number, number, number][] = [[3, 3, 1, 1], [4, 2, 3, 6], [2, 5, 17, 4]];
  for (const [tm, ts, batch, cap] of settings) {
    const neuron: NeuronParams = { tau_m: tm, tau_s: ts, theta: 1, t_max: 14, max_spikes: cap };
    const sizes = [12, 10, 4];
    const network = randomNetwork(rng, neuron, sizes, { drive: [3, rng.uniform(1, 2)] });
    const samples = Array.from({ length: batch }, () => randomEvents(rng, sizes[0], { tIn: 7, pFire: 0.7 }));
    const labels = Int32Array.from(samples, () => rng.int(sizes[2]));
    const loss: LossConfig = {
      kind: cap > 1 ? "multi-spike" : "first-spike",
      tau0: 2,
      vmax_weight: 1,
      hidden_vmax_weight: 0.01,
    };
    const dropout = batch > 1 ? { rate: 0.25, seed: rng.int(2 ** 32) } : undefined;
    out.push({
      name: `batch ${batch} tau_m=${tm} tau_s=${ts} max_spikes=${cap}${dropout ? " dropout" : ""}`,
      network,
      samples,
      labels,
      loss,
      ...(dropout ? { dropout } : {}),
    });
  }
  return out;
}

// Chunks of 4 samples: a batch of 17 takes 5 submissions, whose gradients must add up.
engineParitySuite(
  "WebGPU, batches split into chunks of 4",
  (net) => createWebGpuEngine(net, { adapter: "any", maxChunk: 4 }),
  TOL,
  { ignore: noGpu, cases: batchCases() },
);

function denseCase(
  seed: number,
  cap: number,
): { network: Network; samples: ReturnType<typeof randomEvents>[] } {
  const rng = new Rng(seed);
  const neuron: NeuronParams = { tau_m: 4, tau_s: 4, theta: 1, t_max: 16, max_spikes: cap };
  const network = randomNetwork(rng, neuron, [10, 12, 3], { drive: [4, 2], spread: 1 });
  const samples = Array.from({ length: 6 }, () => randomEvents(rng, 10, { tIn: 6, pFire: 0.9 }));
  return { network, samples };
}

Deno.test(
  { name: "WebGPU: spikes beyond the event buffer are counted as overflow", ignore: noGpu },
  async () => {
    const { network, samples } = denseCase(5, 6);
    const input = makeInput(samples);
    const full = await createWebGpuEngine(network, { adapter: "any" });
    const small = await createWebGpuEngine(network, { adapter: "any", maxEventsPerSample: 8 });
    try {
      const f = await full.forward(input);
      assert.equal(f.stats[0].overflow, 0);
      // Layer 1 receives the hidden spikes of each sample; room for 8: the rest must be counted, not lost.
      let expected = 0;
      for (let s = 0; s < samples.length; s++) {
        let n = 0;
        for (let i = 0; i < 12; i++) n += f.layers[0].count[s * 12 + i];
        expected += Math.max(0, n - 8);
      }
      assert.ok(expected > 0, "the case must overflow");
      const g = await small.forward(input);
      assert.equal(g.stats[0].overflow, expected);
      assert.equal(g.stats[1].overflow, 0);
      assert.deepEqual(
        [...g.layers[0].count],
        [...f.layers[0].count],
        "the hidden layer itself is unaffected",
      );
    } finally {
      full.dispose();
      small.dispose();
    }
  },
);

Deno.test({ name: "WebGPU: five training steps land close to the CPU engine's", ignore: noGpu }, async () => {
  const { network, samples } = denseCase(11, 4);
  const labels = Int32Array.from(samples, (_, s) => s % 3);
  const input = makeInput(samples);
  const loss: LossConfig = { kind: "first-spike", tau0: 2, vmax_weight: 1, hidden_vmax_weight: 0.01 };
  const adam = { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  const gpu = await createWebGpuEngine(network, { adapter: "any" });
  const cpu = new CpuEngine(network, { workers: 1 });
  try {
    for (let step = 0; step < 5; step++) {
      const a = await gpu.trainStep(input, labels, loss, adam);
      const b = await cpu.trainStep(input, labels, loss, adam);
      assert.ok(
        Math.abs(a.loss - b.loss) <= 1e-3 * (1 + Math.abs(b.loss)),
        `step ${step}: loss ${a.loss} vs ${b.loss}`,
      );
      assert.equal(a.correct, b.correct);
      assert.deepEqual(a.stats.map((s) => s.spikes), b.stats.map((s) => s.spikes));
    }
    const w = await gpu.getWeights();
    const wr = await cpu.getWeights();
    w.forEach((x, l) => {
      // Each weight moved by up to 5 lr; the engines agree to a small fraction of that.
      const diff = x.map((v, k) => v - wr[l][k]);
      assert.ok(maxAbs(diff) <= 0.05 * adam.lr, `layer ${l}: weights differ by ${maxAbs(diff)}`);
      const moved = x.map((v, k) => v - network.weights[l][k]);
      assert.ok(maxAbs(moved) >= 2 * adam.lr, `layer ${l}: training moved the weights`);
    });
    const st = await gpu.getOptimizerState();
    assert.equal(st.step, 5);
    // Optimizer state round trip.
    await gpu.setOptimizerState(st);
    const back = await gpu.getOptimizerState();
    assert.deepEqual([...back.m[0]], [...st.m[0]]);
  } finally {
    gpu.dispose();
    cpu.dispose();
  }
});

Deno.test({ name: "WebGPU: adapter selection and errors", ignore: noGpu }, async () => {
  const probe = await probeHardwareAdapter();
  assert.equal(typeof probe.description, "string");
  assert.ok(probe.reason.length > 0);
  const { network } = denseCase(3, 2);
  if (!probe.available) {
    // A software adapter (llvmpipe) only: "hardware" must refuse with a one-line user error.
    await assert.rejects(() => createWebGpuEngine(network, { adapter: "hardware" }), (e: unknown) => {
      assert.ok(e instanceof WebGpuError);
      assert.equal(e.exitCode, 2);
      return true;
    });
  }
  // A budget too small for one sample: a clear one-line error instead of a failed allocation.
  await assert.rejects(() => createWebGpuEngine(network, { adapter: "any", memoryBudget: 100 }), WebGpuError);
  const engine = await createWebGpuEngine(network, { adapter: "any" });
  assert.ok(engine.device.length > 0);
  assert.ok(engine.gpuBytes > 0);
  await assert.rejects(() => engine.forward(makeInput([[{ neuron: 10, time: 1 }]])), RangeError);
  await assert.rejects(() =>
    engine.evaluate(makeInput([[]]), Int32Array.of(3), {
      kind: "first-spike",
      tau0: 1,
      vmax_weight: 1,
    }), RangeError);
  engine.dispose();
  await assert.rejects(() => engine.getWeights(), /after dispose/);
});

Deno.test({ name: "WebGPU: readout ties are counted as on the CPU", ignore: noGpu }, async () => {
  // Outputs 1 and 2 have identical weights: when input 0 drives them alone they fire at identical times
  // in f32 as in f64 (same operations on the same numbers), a tie; input 1 drives only output 0.
  const neuron: NeuronParams = { tau_m: 4, tau_s: 2, theta: 1, t_max: 20, max_spikes: 3 };
  const network: Network = { neuron, sizes: [2, 3], weights: [Float64Array.of(0.5, 6, 6, 6, 0, 0)] };
  const tied = [{ neuron: 0, time: 1 }];
  const input = makeInput([tied, [{ neuron: 1, time: 1 }], tied]);
  const labels = Int32Array.of(1, 0, 2);
  const gpu = await createWebGpuEngine(network, { adapter: "any" });
  const cpu = new CpuEngine(network, { workers: 1 });
  try {
    for (const kind of ["first-spike", "multi-spike"] as const) {
      const loss: LossConfig = { kind, tau0: 1, vmax_weight: 1 };
      const g = await gpu.evaluate(input, labels, loss);
      const r = await cpu.evaluate(input, labels, loss);
      assert.deepEqual([...r.predictions], [1, 0, 1], kind);
      assert.deepEqual([...g.predictions], [...r.predictions], kind);
      assert.equal(r.ties, 2, kind);
      assert.equal(g.ties, r.ties, kind);
      assert.equal(g.correct, r.correct, kind);
    }
  } finally {
    gpu.dispose();
    cpu.dispose();
  }
});

Deno.test(
  { name: "WebGPU: Vmax at an inhibitory kink, ties included, as on the CPU", ignore: noGpu },
  async () => {
    // Both outputs stay silent; their potential rises after input 0 and is cut at t = 2 by inhibitory inputs,
    // so Vmax sits on a kink at t = 2 and dVmax/ds of the inhibitory event is the slope before it. Inputs 1
    // and 2 tie at t = 2; for output 1 both are inhibitory and only the later one in sort order takes it.
    const neuron: NeuronParams = { tau_m: 4, tau_s: 4, theta: 1, t_max: 10, max_spikes: 2 };
    const weights = [Float64Array.of(1.0, 1.0, -3, -3, 0.5, -3)];
    const network: Network = { neuron, sizes: [3, 2], weights };
    const input = makeInput([[{ neuron: 0, time: 0.5 }, { neuron: 2, time: 2 }, { neuron: 1, time: 2 }]]);
    const labels = Int32Array.of(0);
    const loss: LossConfig = { kind: "first-spike", tau0: 1, vmax_weight: 1 };
    const gpu = await createWebGpuEngine(network, { adapter: "any" });
    const cpu = new CpuEngine(network, { workers: 1 });
    try {
      const g = await gpu.gradients(input, labels, loss);
      const r = await cpu.gradients(input, labels, loss);
      assert.equal(g.forward.stats[0].silent, 2, "both outputs silent");
      assert.ok(maxAbs(r.inputGrads) > 0.01, "the reference has kink gradients");
      // Tighter than TOL: one sample, three events and no spike, so f32 rounding stays near its 6e-8 (the
      // suite's 1e-3 covers sweeps through ~100 events and slopes near rho_min).
      assert.ok(Math.abs(g.loss - r.loss) <= 1e-5 * (1 + Math.abs(r.loss)));
      const scale = maxAbs(r.inputGrads);
      r.inputGrads.forEach((x, e) => {
        assert.ok(
          Math.abs(g.inputGrads[e] - x) <= 1e-4 * scale,
          `dL/dt_in[${e}]: ${g.inputGrads[e]}, reference ${x}`,
        );
      });
      const ws = maxAbs(r.weightGrads[0]);
      r.weightGrads[0].forEach((x, k) => {
        assert.ok(
          Math.abs(g.weightGrads[0][k] - x) <= 1e-4 * ws,
          `dL/dW[${k}]: ${g.weightGrads[0][k]}, reference ${x}`,
        );
      });
    } finally {
      gpu.dispose();
      cpu.dispose();
    }
  },
);
