/**
 * Dropout of hidden neurons (src/engine/dropout.ts): the masks, and the CPU engine under dropout held to
 * the same network with the masks written into its weights. The finite-difference check of the masked
 * gradients is in gradient_test.ts; the WebGPU engine is held to the CPU one in the parity suite.
 */
import assert from "node:assert/strict";
import { CpuEngine } from "../src/engine/cpu/cpu_engine.ts";
import {
  dropThreshold,
  isDropped,
  keptScale,
  layerMaskSeed,
  pcgHash,
  stepSeed,
} from "../src/engine/dropout.ts";
import type { LossConfig, Network } from "../src/engine/engine.ts";
import { makeInput, maxAbs, randomEvents, randomNetwork, Rng, sliceInput } from "./helpers.ts";

Deno.test("pcgHash is PCG's output permutation in u32 arithmetic", () => {
  // The reference values are from the C of Jarzynski & Olano (2020), uint32_t throughout:
  //   state = v * 747796405u + 2891336453u; word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  //   return (word >> 22u) ^ word;
  // recomputed here with BigInt, so that a slip in the Math.imul / >>> 0 arithmetic shows.
  const ref = (v: number) => {
    const m = (x: bigint) => x & 0xffffffffn;
    const state = m(BigInt(v) * 747796405n + 2891336453n);
    const word = m(((state >> ((state >> 28n) + 4n)) ^ state) * 277803737n);
    return Number((word >> 22n) ^ word);
  };
  const rng = new Rng(3);
  for (const v of [0, 1, 2, 0xffffffff, 0x80000000, ...Array.from({ length: 200 }, () => rng.int(2 ** 32))]) {
    assert.equal(pcgHash(v), ref(v), `v = ${v}`);
  }
});

Deno.test("dropout masks drop the asked fraction, differ between samples, layers and steps, and repeat", () => {
  for (const rate of [0.1, 0.2, 0.5]) {
    const threshold = dropThreshold(rate);
    const seed = layerMaskSeed(stepSeed(1234, 7), 0);
    let dropped = 0;
    const n = 200 * 800;
    for (let s = 0; s < 200; s++) {
      for (let i = 0; i < 800; i++) if (isDropped(seed, s, i, threshold)) dropped++;
    }
    // Binomial(n, rate): the standard deviation of the fraction is under 0.0013 here; 5 of them.
    assert.ok(
      Math.abs(dropped / n - rate) < 5 * Math.sqrt(rate * (1 - rate) / n),
      `rate ${rate}: ${dropped / n}`,
    );
  }
  const t = dropThreshold(0.5);
  const mask = (seed: number, s: number) => Array.from({ length: 64 }, (_, i) => isDropped(seed, s, i, t));
  const a = layerMaskSeed(stepSeed(1, 0), 0);
  assert.deepEqual(mask(a, 3), mask(a, 3));
  assert.notDeepEqual(mask(a, 3), mask(a, 4));
  assert.notDeepEqual(mask(a, 3), mask(layerMaskSeed(stepSeed(1, 0), 1), 3));
  assert.notDeepEqual(mask(a, 3), mask(layerMaskSeed(stepSeed(1, 1), 0), 3));
  assert.equal(dropThreshold(0), 0);
  assert.equal(keptScale(0.2), 1.25);
  assert.throws(() => dropThreshold(1), /dropout rate must be in \[0, 1\), got 1/);
  assert.throws(() => dropThreshold(-0.1), /dropout rate must be in \[0, 1\)/);
});

/** Weights of `net` with the rows of the neurons dropped in sample `s` zeroed and the others scaled. */
function maskedWeights(net: Network, s: number, rate: number, seed: number): Float64Array[] {
  const threshold = dropThreshold(rate);
  return net.weights.map((w, l) => {
    if (l === 0) return new Float64Array(w);
    const nOut = net.sizes[l + 1];
    const layerSeed = layerMaskSeed(seed, l - 1);
    const out = new Float64Array(w.length);
    for (let j = 0; j < net.sizes[l]; j++) {
      const f = isDropped(layerSeed, s, j, threshold) ? 0 : keptScale(rate);
      for (let i = 0; i < nOut; i++) out[j * nOut + i] = w[j * nOut + i] * f;
    }
    return out;
  });
}

Deno.test("under dropout the CPU engine is the network with the masks written into its weights", async () => {
  // Per sample s, the reference is the same network with W'[j][i] = W[j][i] m_j / (1 - rate) above the
  // first layer (m_j = 0 for a dropped neuron j), run without dropout; then dL/dW[j][i] = dL/dW'[j][i] m_j /
  // (1 - rate). The two differ only in that the reference still sweeps the dropped neurons' spikes as
  // events of weight 0, which splits the decays of an interval in two: the same numbers to ~1e-13, so the
  // tolerance is 1e-9 relative to each array's largest entry.
  const rng = new Rng(41);
  const loss: LossConfig = { kind: "multi-spike", tau0: 2, vmax_weight: 0.5, hidden_vmax_weight: 0.05 };
  let droppedSeen = 0;
  for (
    const [sizes, cap, rate] of [[[5, 8, 6, 3], 4, 0.3], [[6, 10, 4], 1, 0.5], [[6, 10, 4], 6, 0.2]] as const
  ) {
    const neuron = { tau_m: 4, tau_s: 2, theta: 1, t_max: 16, max_spikes: cap };
    const net = randomNetwork(rng, neuron, [...sizes], { drive: sizes.slice(1).map(() => 3) });
    const samples = Array.from({ length: 6 }, () => randomEvents(rng, sizes[0], { tIn: 8, pFire: 0.9 }));
    const input = makeInput(samples);
    const labels = Int32Array.from(samples, () => rng.int(sizes[sizes.length - 1]));
    const dropout = { rate, seed: rng.int(2 ** 32) };
    const engine = new CpuEngine(net, { workers: 1 });
    const got = await engine.gradients(input, labels, loss, dropout);
    engine.dispose();
    const want = net.weights.map((w) => new Float64Array(w.length));
    let wantLoss = 0;
    for (let s = 0; s < samples.length; s++) {
      const masked = maskedWeights(net, s, rate, dropout.seed);
      const ref = new CpuEngine({ ...net, weights: masked }, { workers: 1 });
      const r = await ref.gradients(sliceInput(input, s), labels.subarray(s, s + 1), loss);
      ref.dispose();
      wantLoss += r.loss;
      assert.equal(got.predictions[s], r.predictions[0], `sample ${s}: prediction`);
      r.weightGrads.forEach((g, l) => {
        for (let k = 0; k < g.length; k++) {
          // The chain rule through W' = W m / (1 - rate): the mask's factor over again.
          const f = l === 0 || net.weights[l][k] === 0 ? 1 : masked[l][k] / net.weights[l][k];
          want[l][k] += g[k] * f;
        }
      });
      const lo = input.offsets[s];
      r.inputGrads.forEach((x, e) => {
        const y = got.inputGrads[lo + e];
        assert.ok(Math.abs(x - y) <= 1e-9 * (maxAbs(r.inputGrads) + 1e-12), `sample ${s}: dL/dt_in[${e}]`);
      });
      for (const [l, w] of masked.entries()) if (l > 0) droppedSeen += w.filter((x) => x === 0).length;
    }
    assert.ok(
      Math.abs(got.loss - wantLoss) <= 1e-9 * Math.abs(wantLoss),
      `loss ${got.loss}, masked ${wantLoss}`,
    );
    want.forEach((g, l) => {
      const tol = 1e-9 * maxAbs(g);
      assert.ok(maxAbs(g) > 0, `layer ${l}: all-zero gradient`);
      g.forEach((x, k) =>
        assert.ok(
          Math.abs(x - got.weightGrads[l][k]) <= tol,
          `dW[${l}][${k}]: ${got.weightGrads[l][k]}, masked ${x}`,
        )
      );
    });
    // Not the network without dropout: the masks change the loss.
    const plain = new CpuEngine(net, { workers: 1 });
    const p = await plain.gradients(input, labels, loss);
    plain.dispose();
    assert.ok(Math.abs(p.loss - got.loss) > 1e-6, `${sizes.join("-")}: dropout left the loss as it was`);
  }
  assert.ok(droppedSeen > 20, `only ${droppedSeen} masked weights: dropout barely tested`);
});

Deno.test("under dropout a batch split over workers trains as on one thread (masks follow the batch index)", async () => {
  const rng = new Rng(43);
  const neuron = { tau_m: 4, tau_s: 4, theta: 1, t_max: 16, max_spikes: 4 };
  const net = randomNetwork(rng, neuron, [6, 12, 4], { drive: [3, 2] });
  const samples = Array.from({ length: 9 }, () => randomEvents(rng, 6, { tIn: 8, pFire: 0.9 }));
  const input = makeInput(samples);
  const labels = Int32Array.from(samples, () => rng.int(4));
  const loss: LossConfig = { kind: "first-spike", tau0: 1, vmax_weight: 1 };
  const adam = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
  const dropout = { rate: 0.25, seed: 99 };
  const one = new CpuEngine(net, { workers: 1 });
  const two = new CpuEngine(net, { workers: 2 });
  try {
    const a = await one.trainStep(input, labels, loss, adam, dropout);
    const b = await two.trainStep(input, labels, loss, adam, dropout);
    assert.ok(Math.abs(a.loss - b.loss) <= 1e-12 * Math.abs(a.loss));
    const wa = await one.getWeights();
    const wb = await two.getWeights();
    wa.forEach((w, l) => w.forEach((x, k) => assert.ok(Math.abs(x - wb[l][k]) <= 1e-12, `w[${l}][${k}]`)));
    await assert.rejects(
      () => one.trainStep(input, labels, loss, adam, { rate: 1, seed: 1 }),
      /dropout rate/,
    );
    await assert.rejects(() => one.gradients(input, labels, loss, { rate: 0.1, seed: -1 }), /dropout seed/);
  } finally {
    one.dispose();
    two.dispose();
  }
});
