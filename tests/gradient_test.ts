/**
 * Exact gradients (MODEL.md section 3): the CPU engine's dL/dW and dL/dt_input against central finite
 * differences of its own loss, on random small networks, both losses, single- and multi-spike, tau_m below,
 * equal to and above tau_s, one and two hidden layers; and batch gradients = sum of per-sample gradients.
 *
 * Tolerance. The loss is computed from spike times solved to ~1e-15 relative, so it carries noise
 * eps_L ~ 1e-14; a central difference with step h = 1e-6 (relative) then has rounding error
 * eps_L / h ~ 1e-8 and truncation error h^2 L''' / 6 ~ 1e-12 L'''. So a gradient entry must agree to 1e-5
 * relative, with an absolute floor of 1e-7 max|grad| + 1e-8 (the FD noise above, and the scale at which
 * an entry is "zero" next to the largest one). Entries are compared only where the +h and -h runs have
 * the same spike count as the base run for every neuron of every layer and sample, and no crossing is
 * grazing: elsewhere the loss is not differentiable and no gradient can match. Under dropout every run of a
 * case uses the same masks, so the differences are those of the masked network's loss.
 */
import assert from "node:assert/strict";
import { CpuEngine } from "../src/engine/cpu/cpu_engine.ts";
import type { DropoutConfig } from "../src/engine/dropout.ts";
import { DEFAULT_LOSS } from "../src/engine/loss.ts";
import type { GradientResult, LossConfig, Network, SpikeInput } from "../src/engine/engine.ts";
import type { NeuronParams } from "../src/model/params.ts";
import {
  grazingCount,
  makeInput,
  maxAbs,
  randomEvents,
  randomNetwork,
  Rng,
  sameCounts,
  sampleEvents,
  sliceInput,
  spikeTimes,
  withEventTime,
} from "./helpers.ts";
import { simulateNetwork } from "./reference_sim.ts";

const REL_TOL = 1e-5;
const FD_STEP = 1e-6;

interface Case {
  name: string;
  network: Network;
  input: SpikeInput;
  labels: Int32Array;
  loss: LossConfig;
  dropout?: DropoutConfig;
}

interface Tally {
  checked: number;
  nonZero: number;
  skipped: number;
  /** (neuron, sample) pairs of the base runs without a spike: where the Vmax terms act. */
  silentOutputs: number;
  silentHidden: number;
  failures: string[];
}

function newTally(): Tally {
  return { checked: 0, nonZero: 0, skipped: 0, silentOutputs: 0, silentHidden: 0, failures: [] };
}

/** Random cases: sizes x tau ratio x max_spikes x loss. */
function cases(
  seed: number,
  sizes: number[],
  lossKind: LossConfig["kind"],
  opts: {
    hiddenVmax?: number;
    taus?: number[][];
    anchor?: { weight: number; tRef: number };
    labelSmoothing?: number;
    /** Dropout rate of the hidden neurons, with a mask seed drawn per case. */
    dropout?: number;
  } = {},
): Case[] {
  const out: Case[] = [];
  const rng = new Rng(seed);
  const hiddenVmax = opts.hiddenVmax ?? 0;
  for (const [tm, ts] of opts.taus ?? [[2, 4], [3, 3], [5, 2]]) {
    for (const cap of [1, 6]) {
      const neuron: NeuronParams = {
        tau_m: tm,
        tau_s: ts,
        theta: 1,
        t_max: 16,
        max_spikes: cap,
        rho_min: 1e-12,
      };
      // A random, often weak, output drive leaves some outputs silent, so the Vmax term is exercised too.
      const outDrive = rng.uniform(0.7, 2);
      const drive = sizes.slice(1).map((_, l) => l === sizes.length - 2 ? outDrive : l === 0 ? 3 : 2);
      const network = randomNetwork(rng, neuron, sizes, { drive });
      const batch = 2 + rng.int(2);
      const samples = Array.from({ length: batch }, () => randomEvents(rng, sizes[0], { tIn: 8 }));
      const labels = Int32Array.from(samples, () => rng.int(sizes[sizes.length - 1]));
      const loss: LossConfig = {
        kind: lossKind,
        tau0: 2,
        vmax_weight: 0.5,
        hidden_vmax_weight: hiddenVmax,
        ...(opts.anchor ? { t_ref_weight: opts.anchor.weight, t_ref: opts.anchor.tRef } : {}),
        ...(opts.labelSmoothing !== undefined ? { label_smoothing: opts.labelSmoothing } : {}),
      };
      out.push({
        name: `${sizes.join("-")} tau_m=${tm} tau_s=${ts} max_spikes=${cap} ${lossKind}`,
        network,
        input: makeInput(samples),
        labels,
        loss,
        ...(opts.dropout !== undefined ? { dropout: { rate: opts.dropout, seed: rng.int(2 ** 32) } } : {}),
      });
    }
  }
  return out;
}

/** Gradients at the base point plus a function that evaluates the loss at a perturbed point. */
async function checkCase(c: Case, tally: Tally): Promise<void> {
  const engine = new CpuEngine(c.network, { workers: 1 });
  try {
    const base = await engine.gradients(c.input, c.labels, c.loss, c.dropout);
    assert.ok(Number.isFinite(base.loss));
    assert.equal(grazingCount(base.forward), 0, `${c.name}: grazing crossing at the base point`);
    const L = base.forward.stats.length;
    tally.silentOutputs += base.forward.stats[L - 1].silent;
    for (let l = 0; l + 1 < L; l++) tally.silentHidden += base.forward.stats[l].silent;
    const comparable = (r: GradientResult) =>
      sameCounts(base.forward, r.forward) && grazingCount(r.forward) === 0;
    const compare = (
      what: string,
      analytic: number,
      plus: GradientResult,
      minus: GradientResult,
      h: number,
      floor: number,
    ) => {
      if (!comparable(plus) || !comparable(minus)) {
        tally.skipped++;
        return;
      }
      const fd = (plus.loss - minus.loss) / (2 * h);
      tally.checked++;
      if (Math.abs(fd) > floor) tally.nonZero++;
      const err = Math.abs(analytic - fd);
      if (err > REL_TOL * Math.abs(fd) + floor) {
        tally.failures.push(
          `${c.name}: ${what}: analytic ${analytic}, finite difference ${fd} (error ${err.toExponential(2)})`,
        );
      }
    };

    // Weights.
    const weights = c.network.weights.map((w) => new Float64Array(w));
    for (let l = 0; l < weights.length; l++) {
      const w = weights[l];
      const scale = maxAbs(w) / 4; // steps relative to the layer's weights, not to a single entry near 0
      const floor = 1e-7 * maxAbs(base.weightGrads[l]) + 1e-8;
      for (let k = 0; k < w.length; k++) {
        const w0 = w[k];
        const h = FD_STEP * Math.max(Math.abs(w0), scale);
        w[k] = w0 + h;
        await engine.setWeights(weights);
        const plus = await engine.gradients(c.input, c.labels, c.loss, c.dropout);
        w[k] = w0 - h;
        await engine.setWeights(weights);
        const minus = await engine.gradients(c.input, c.labels, c.loss, c.dropout);
        w[k] = w0;
        compare(`dL/dW[${l}][${k}]`, base.weightGrads[l][k], plus, minus, h, floor);
      }
    }
    await engine.setWeights(weights);

    // Input spike times.
    const tau = Math.min(c.network.neuron.tau_m, c.network.neuron.tau_s);
    const h = FD_STEP * tau;
    const floor = 1e-7 * maxAbs(base.inputGrads) + 1e-8;
    for (let e = 0; e < c.input.time.length; e++) {
      const t0 = c.input.time[e];
      if (t0 < h) continue; // moving an event at 0 below 0 is not legal
      const plus = await engine.gradients(withEventTime(c.input, e, t0 + h), c.labels, c.loss, c.dropout);
      const minus = await engine.gradients(withEventTime(c.input, e, t0 - h), c.labels, c.loss, c.dropout);
      compare(`dL/dt_in[${e}] (t = ${t0.toFixed(3)})`, base.inputGrads[e], plus, minus, h, floor);
    }
  } finally {
    engine.dispose();
  }
}

function assertTally(tally: Tally, what: string) {
  const shown = tally.failures.slice(0, 10).join("\n");
  assert.equal(
    tally.failures.length,
    0,
    `${what}: ${tally.failures.length} of ${tally.checked} entries differ:\n${shown}`,
  );
  // Not vacuous: most perturbations keep the spike counts, and many gradients are not zero.
  assert.ok(
    tally.checked >= 3 * tally.skipped,
    `${what}: only ${tally.checked} checked, ${tally.skipped} skipped`,
  );
  assert.ok(
    tally.nonZero >= 0.3 * tally.checked,
    `${what}: only ${tally.nonZero} of ${tally.checked} gradients non-zero`,
  );
}

/** Checks every case against finite differences, then holds the tally to assertTally; returns it. */
async function checkCases(what: string, all: Iterable<Case>): Promise<Tally> {
  const tally = newTally();
  for (const c of all) await checkCase(c, tally);
  assertTally(tally, what);
  return tally;
}

for (const kind of ["first-spike", "multi-spike"] as const) {
  for (const sizes of [[4, 6, 5, 3], [3, 4, 3]]) {
    Deno.test(`gradients match finite differences: ${sizes.join("-")}, ${kind} loss`, async () => {
      await checkCases(
        `${sizes.join("-")} ${kind}`,
        [1, 2, 3].flatMap((seed) =>
          cases(seed * 100 + sizes.length * 10 + (kind === "first-spike" ? 1 : 2), sizes, kind)
        ),
      );
    });
  }
}

Deno.test("gradients match finite differences with the hidden-layer Vmax term", async () => {
  const tally = await checkCases("hidden Vmax", [
    ...cases(77, [4, 6, 5, 3], "first-spike", { hiddenVmax: 0.3 }),
    ...cases(78, [3, 4, 3], "multi-spike", { hiddenVmax: 0.3 }),
  ]);
  assert.ok(
    tally.silentHidden >= 3,
    `only ${tally.silentHidden} silent hidden neurons, the hidden Vmax term is barely tested`,
  );
});

Deno.test("gradients match finite differences with the timing anchor on first output spikes", async () => {
  const anchor = { weight: 0.3, tRef: 5 };
  await checkCases("timing anchor", [
    ...cases(81, [4, 6, 5, 3], "first-spike", { anchor }),
    ...cases(82, [3, 4, 3], "multi-spike", { anchor }),
  ]);
});

Deno.test("gradients match finite differences with label smoothing", async () => {
  await checkCases("label smoothing", [
    ...cases(83, [4, 6, 5, 3], "first-spike", { labelSmoothing: 0.1 }),
    ...cases(84, [3, 4, 3], "multi-spike", { labelSmoothing: 0.3 }),
  ]);
});

Deno.test("gradients match finite differences under dropout of hidden neurons", async () => {
  // Rates high enough that most samples of these small layers lose a neuron or more (dropout_test.ts holds
  // the masked network to an explicitly masked one).
  await checkCases("dropout", [
    ...cases(85, [4, 6, 5, 3], "first-spike", { dropout: 0.3, hiddenVmax: 0.1 }),
    ...cases(86, [3, 6, 3], "multi-spike", { dropout: 0.5 }),
  ]);
});

Deno.test("gradients match finite differences at extreme tau ratios (10x apart, within 1e-7)", async () => {
  const taus = [[1, 10], [10, 1], [3, 3 * (1 + 1e-7)], [3, 3 * (1 - 1e-10)]];
  await checkCases(
    "extreme tau ratios",
    (["first-spike", "multi-spike"] as const).flatMap((kind) =>
      cases(kind === "first-spike" ? 91 : 92, [3, 4, 3], kind, { taus })
    ),
  );
});

Deno.test("gradients match finite differences when input events share time stamps", async () => {
  // Moving one of several simultaneous events is differentiable (their effects add); the engine must not
  // depend on how it orders them.
  await checkCases(
    "shared time stamps",
    cases(55, [4, 6, 5, 3], "multi-spike").map((c) => {
      const rng = new Rng(56);
      const stamps = [1, 2.5, 2.5 + 1e-3, 4];
      const time = c.input.time.map(() => stamps[rng.int(stamps.length)]);
      return { ...c, input: { ...c.input, time } };
    }),
  );
});

Deno.test("the loss is MODEL.md section 4 as implemented: cross-entropy, Vmax terms of silent neurons, anchor, label smoothing", async () => {
  // Recomputed here from the engine's spike times and the reference simulation's potential maxima.
  let silentSeen = 0;
  for (
    const c of [
      ...cases(61, [4, 6, 5, 3], "first-spike", { hiddenVmax: 0.2 }),
      ...cases(62, [4, 6, 3], "multi-spike", { hiddenVmax: 0.2 }),
      ...cases(63, [4, 6, 3], "first-spike", { anchor: { weight: 0.7, tRef: 6 } }),
      ...cases(64, [4, 6, 3], "first-spike", { labelSmoothing: 0.2 }),
      ...cases(65, [4, 6, 3], "multi-spike", { labelSmoothing: 0.2 }),
    ]
  ) {
    const engine = new CpuEngine(c.network, { workers: 1 });
    const e = await engine.evaluate(c.input, c.labels, c.loss);
    const fwd = await engine.forward(c.input);
    engine.dispose();
    const { theta, t_max: tMax } = c.network.neuron;
    const L = fwd.layers.length;
    let expected = 0;
    for (let s = 0; s < c.input.size; s++) {
      const ref = simulateNetwork(
        c.network,
        sampleEvents(c.input, s),
        Math.min(c.network.neuron.tau_m, c.network.neuron.tau_s) / 200,
      );
      const out = fwd.layers[L - 1];
      const z = Array.from({ length: out.neurons }, (_, i) => {
        const times = spikeTimes(fwd, L - 1, s, i);
        if (c.loss.kind === "first-spike") return -(times.length ? times[0] : tMax) / c.loss.tau0;
        return times.reduce((sum, t) => sum + Math.exp(-t / c.loss.tau0), 0);
      });
      const zMax = Math.max(...z);
      // The target: 1 - e on the label plus e / outputs on every output (e = 0: the label alone).
      const e = c.loss.label_smoothing ?? 0;
      const logSum = zMax + Math.log(z.reduce((sum, x) => sum + Math.exp(x - zMax), 0));
      z.forEach((zi, i) => (expected += ((i === c.labels[s] ? 1 - e : 0) + e / z.length) * (logSum - zi)));
      for (let i = 0; i < out.neurons; i++) {
        const times = spikeTimes(fwd, L - 1, s, i);
        if (times.length > 0) {
          expected += (c.loss.t_ref_weight ?? 0) / 2 * (times[0] - (c.loss.t_ref ?? 0)) ** 2;
        }
      }
      for (let l = 0; l < L; l++) {
        const weight = l === L - 1 ? c.loss.vmax_weight : c.loss.hidden_vmax_weight ?? 0;
        for (let i = 0; i < fwd.layers[l].neurons; i++) {
          if (spikeTimes(fwd, l, s, i).length > 0) continue;
          silentSeen++;
          expected += weight * (theta - ref.vmax[l][i]) / theta;
        }
      }
    }
    // The reference's spike times and Vmax are RK4 at h = tau_min / 200: errors of order t_max (h/tau)^4 / 120
    // = 1e-10 in V, a few times that in time over the slope and in the loss through 1 / tau0; 1e-8 has room.
    assert.ok(
      Math.abs(e.loss - expected) <= 1e-8 * (1 + Math.abs(expected)),
      `${c.name}: loss ${e.loss}, expected ${expected}`,
    );
  }
  assert.ok(silentSeen >= 5, `only ${silentSeen} silent neurons: the Vmax terms are barely tested`);
});

Deno.test("gradients of a batch are the sum of per-sample gradients", async () => {
  for (const c of [...cases(5, [4, 6, 5, 3], "first-spike"), ...cases(6, [3, 4, 3], "multi-spike")]) {
    const engine = new CpuEngine(c.network, { workers: 1 });
    const batch = await engine.gradients(c.input, c.labels, c.loss);
    let loss = 0;
    const sum = batch.weightGrads.map((g) => new Float64Array(g.length));
    for (let s = 0; s < c.input.size; s++) {
      const one = await engine.gradients(sliceInput(c.input, s), c.labels.subarray(s, s + 1), c.loss);
      loss += one.loss;
      one.weightGrads.forEach((g, l) => g.forEach((x, k) => (sum[l][k] += x)));
      // Input gradients of a sample are its own events' entries of the batch.
      const lo = c.input.offsets[s];
      one.inputGrads.forEach((x, e) => assert.equal(x, batch.inputGrads[lo + e]));
      assert.equal(one.predictions[0], batch.predictions[s]);
    }
    assert.ok(
      Math.abs(loss - batch.loss) <= 1e-12 * Math.abs(loss),
      `${c.name}: loss ${batch.loss} vs ${loss}`,
    );
    sum.forEach((g, l) => {
      const tol = 1e-12 * maxAbs(g);
      g.forEach((x, k) =>
        assert.ok(Math.abs(x - batch.weightGrads[l][k]) <= tol, `${c.name}: dW[${l}][${k}]`)
      );
    });
    assert.ok(maxAbs(sum[0]) > 0, `${c.name}: all-zero gradient`);
    engine.dispose();
  }
});

Deno.test("Vmax at an inhibitory kink: dVmax/dt of the inhibitory input is the slope just before it", async () => {
  // tau_m = tau_s = 3; output 1 gets 1.5 at t = 0 (V peaks below theta at t = 3) and -3 at t = 1, so its
  // maximum is at the kink t = 1: Vmax = V(1), dVmax/dt_1 = dV/dt(1-) = a (I(1-) - V(1)).
  const neuron = { tau_m: 3, tau_s: 3, theta: 1, t_max: 10, max_spikes: 2, rho_min: 1e-12 };
  const network = { neuron, sizes: [2, 2], weights: [Float64Array.from([6, 1.5, 0, -3])] };
  const loss: LossConfig = { kind: "first-spike", tau0: 1, vmax_weight: 1 };
  const engine = new CpuEngine(network, { workers: 1 });
  const input = makeInput([[{ neuron: 0, time: 0 }, { neuron: 1, time: 1 }]]);
  const labels = Int32Array.from([0]);
  const g = await engine.gradients(input, labels, loss);
  assert.deepEqual([...g.forward.layers[0].count], [2, 0]);
  const v1 = 1.5 * (1 / 3) * Math.exp(-1 / 3);
  const slope = (1.5 * Math.exp(-1 / 3) - v1) / 3;
  assert.ok(Math.abs(g.inputGrads[1] - -slope) < 1e-12, `dL/dt_1 = ${g.inputGrads[1]}, expected ${-slope}`);
  // And the weight of the inhibitory input does not matter to V(1): K(0) = 0.
  assert.equal(g.weightGrads[0][3], 0);
  engine.dispose();
});

Deno.test("a grazing crossing is clamped to rho_min and counted; its gradient uses the clamped slope", async () => {
  // tau_m = tau_s = 1, one input of weight w: V = w t e^{-t} peaks at w/e at t = 1. With w a hair above
  // e theta the crossing slope is ~sqrt(2 (w/e - theta)) / ..., far below the default rho_min.
  const neuron = { tau_m: 1, tau_s: 1, theta: 1, t_max: 5, max_spikes: 3 };
  const network = { neuron, sizes: [1, 1], weights: [Float64Array.from([Math.E * (1 + 1e-10)])] };
  const engine = new CpuEngine(network, { workers: 1 });
  // One output makes the cross-entropy term 0 whatever the spike time, so the timing anchor
  // L = (t - 0)^2 / 2 gives the spike a gradient, dL/dt = t.
  const g = await engine.gradients(makeInput([[{ neuron: 0, time: 0.5 }]]), Int32Array.from([0]), {
    kind: "first-spike",
    tau0: 1,
    vmax_weight: 1,
    t_ref: 0,
    t_ref_weight: 1,
  });
  assert.equal(g.forward.layers[0].count[0], 1);
  assert.equal(g.forward.stats[0].grazing, 1);
  // dt/dw = -K(t - 0.5) / rho with the slope clamped to rho_min = 0.1 theta / tau_m (the true slope is ~1e-5),
  // K(s) = s e^{-s}; so dL/dw = -t K(t - 0.5) / 0.1, about -5.5. Relative 1e-9: the crossing is solved to
  // ~1e-12 and K is flat at its peak.
  const t = g.forward.layers[0].time[0];
  const want = -t * (t - 0.5) * Math.exp(-(t - 0.5)) / 0.1;
  assert.ok(Math.abs(want) > 5, `dL/dw ${want}`);
  assert.ok(
    Math.abs(g.weightGrads[0][0] - want) <= 1e-9 * Math.abs(want),
    `${g.weightGrads[0][0]} vs ${want}`,
  );
  engine.dispose();
});

Deno.test("evaluate agrees with gradients; readout rules (earliest first spike, ties to the lower index)", async () => {
  for (const c of [...cases(15, [4, 6, 5, 3], "first-spike"), ...cases(16, [4, 6, 3], "multi-spike")]) {
    const engine = new CpuEngine(c.network, { workers: 1 });
    const g = await engine.gradients(c.input, c.labels, c.loss);
    const e = await engine.evaluate(c.input, c.labels, c.loss);
    assert.equal(e.loss, g.loss, c.name);
    assert.deepEqual([...e.predictions], [...g.predictions], c.name);
    assert.equal(e.correct, c.labels.filter((y, s) => y === e.predictions[s]).length);
    const out = g.forward.layers[g.forward.layers.length - 1];
    let ties = 0;
    for (let s = 0; s < c.input.size; s++) {
      const firsts = Array.from({ length: out.neurons }, (_, i) => {
        const slot = s * out.neurons + i;
        return out.count[slot] > 0 ? out.time[slot * out.capacity] : Infinity;
      });
      const first = Math.min(...firsts);
      assert.equal(e.decisionTime[s], first === Infinity ? NaN : first);
      if (c.loss.kind === "first-spike") {
        assert.equal(e.predictions[s], first === Infinity ? -1 : firsts.indexOf(first));
        if (first !== Infinity && firsts.indexOf(first) !== firsts.lastIndexOf(first)) ties++;
      }
    }
    if (c.loss.kind === "first-spike") assert.equal(e.ties, ties, c.name);
    engine.dispose();
  }
  // Two outputs with identical weights fire at identical times: the lower index wins.
  const neuron = { tau_m: 4, tau_s: 2, theta: 1, t_max: 20, max_spikes: 3 };
  const tie = new CpuEngine({ neuron, sizes: [1, 3], weights: [Float64Array.from([0.5, 6, 6])] }, {
    workers: 1,
  });
  const r = await tie.evaluate(makeInput([[{ neuron: 0, time: 1 }]]), Int32Array.from([2]), DEFAULT_LOSS);
  assert.deepEqual([...r.predictions], [1]);
  assert.equal(r.ties, 1, "the shared first spike is counted as a tie");
  const soft = await tie.evaluate(makeInput([[{ neuron: 0, time: 1 }]]), Int32Array.from([2]), {
    ...DEFAULT_LOSS,
    kind: "multi-spike",
  });
  assert.deepEqual([[...soft.predictions], soft.ties], [[1], 1], "multi-spike readout: same tie");
  tie.dispose();
});

Deno.test("trainStep is AdamW (bias-corrected, decoupled decay) on the gradient of the batch mean loss", async () => {
  const [c] = cases(17, [4, 6, 3], "multi-spike");
  const engine = new CpuEngine(c.network, { workers: 1 });
  const probe = new CpuEngine(c.network, { workers: 1 });
  const cfg = { lr: 0.01, beta1: 0.8, beta2: 0.99, eps: 1e-6, weight_decay: 3 };
  const w = c.network.weights.map((x) => new Float64Array(x));
  const m = w.map((x) => new Float64Array(x.length));
  const v = w.map((x) => new Float64Array(x.length));
  for (let step = 1; step <= 2; step++) {
    await probe.setWeights(w);
    const g = await probe.gradients(c.input, c.labels, c.loss);
    const metrics = await engine.trainStep(c.input, c.labels, c.loss, cfg);
    assert.ok(
      Math.abs(metrics.loss - g.loss) <= 1e-12 * Math.abs(g.loss),
      "trainStep reports the summed loss",
    );
    assert.equal(metrics.size, c.input.size);
    w.forEach((wl, l) => {
      for (let k = 0; k < wl.length; k++) {
        const gk = g.weightGrads[l][k] / c.input.size;
        m[l][k] = cfg.beta1 * m[l][k] + (1 - cfg.beta1) * gk;
        v[l][k] = cfg.beta2 * v[l][k] + (1 - cfg.beta2) * gk * gk;
        const mHat = m[l][k] / (1 - cfg.beta1 ** step);
        const vHat = v[l][k] / (1 - cfg.beta2 ** step);
        wl[k] = (1 - cfg.lr * cfg.weight_decay) * wl[k] - cfg.lr * mHat / (Math.sqrt(vHat) + cfg.eps);
      }
    });
    const got = await engine.getWeights();
    got.forEach((gl, l) =>
      gl.forEach((x, k) => assert.ok(Math.abs(x - w[l][k]) <= 1e-12, `step ${step}, w[${l}][${k}]`))
    );
  }
  const state = await engine.getOptimizerState();
  assert.equal(state.step, 2);
  engine.dispose();
  probe.dispose();
});
