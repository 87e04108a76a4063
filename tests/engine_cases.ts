/**
 * One parity suite for every engine (STYLE.md habit 5): the same random cases run on the CPU engine (the
 * reference) and on the engine under test, compared with `tol + |ref| * eps` rules.
 *
 * Usage, from a `*_test.ts` file:
 *   engineParitySuite("WebGPU", (net) => createWebGpuEngine(net, { adapter: "any" }), { time: 1e-4, grad: 1e-3 });
 *
 * What is compared, per case:
 * - forward on the whole batch: spike counts exactly and spike times within `tol.time`, on every sample that
 *   is robust (below); counters of the robust samples;
 * - evaluate and gradients on the batch of robust samples: loss, predictions, decision times, dL/dW and
 *   dL/dt_in within `tol.grad` (relative to the largest entry of the array, plus relative to the entry);
 * - one trainStep: its metrics, then the weights (Adam moves every weight by about lr, so only weights
 *   whose gradient is clearly non-zero are held to the tolerance) and the optimizer's first moment.
 *
 * A sample is robust when a difference of `tol.time` in the spike times cannot create or delete a spike:
 * the CPU engine gives the same spike counts with theta scaled by 1 +- delta (no near miss, no crossing at
 * the edge of threshold), no spike lies within 10 tol.time of t_max, and scaling rho_min by 1 +- delta does
 * not change which crossings are clamped. delta = max(1e-9, 10 tol.time / tau_m): a time error dt moves the
 * potential by about rho dt ~ (theta / tau_m) dt.
 * @module
 */
import assert from "node:assert/strict";
import { CpuEngine } from "../src/engine/cpu/cpu_engine.ts";
import type {
  Engine,
  EngineInput,
  ForwardResult,
  LayerStats,
  LossConfig,
  Network,
} from "../src/engine/engine.ts";
import type { DropoutConfig } from "../src/engine/dropout.ts";
import type { NeuronParams } from "../src/model/params.ts";
import {
  type Event,
  grazingCount,
  makeInput,
  maxAbs,
  randomEvents,
  randomNetwork,
  Rng,
  spikeTimes,
} from "./helpers.ts";

/** Tolerances of an engine against the CPU engine. */
export interface ParityTolerance {
  /** Largest difference of a spike time or decision time, in time units, e.g. 1e-12 (f64) or 1e-4 (f32). */
  readonly time: number;
  /**
   * Relative tolerance of losses and gradients, e.g. 1e-12 (f64) or 1e-3 (f32): an entry x of an array whose
   * reference is r passes when |x - r| <= grad * (max|r over the array| + |r|).
   */
  readonly grad: number;
}

/**
 * The WebGPU engine (f32) against the CPU engine (f64). Justified for f32 (relative precision 6e-8): the
 * potential is advanced through up to ~100 events by products of per-interval decays, and a time is recovered
 * from it through the slope rho, so a spike time on the scale t_max = 16 is off by up to ~3e-5 (measured:
 * 2.6e-5); 1e-4 leaves a margin of 4. Losses and gradients are sums of f32 terms of mixed sign divided by
 * slopes rho >= rho_min; measured errors stay below 1e-4 of the array's largest entry, and 1e-3 leaves a
 * margin of 10.
 */
export const F32_TOLERANCE: ParityTolerance = { time: 1e-4, grad: 1e-3 };

/** One parity case: a network, a batch and its labels, a loss. */
export interface ParityCase {
  readonly name: string;
  readonly network: Network;
  /** (batch) input events per sample, not sorted. */
  readonly samples: Event[][];
  readonly labels: Int32Array;
  readonly loss: LossConfig;
  /** Dropout of the gradients and training step (forward and evaluate drop nothing). */
  readonly dropout?: DropoutConfig;
}

/**
 * The random cases of the suite: tau_m below, equal to and above tau_s, single- and multi-spike, one and
 * two hidden layers, both losses, default and tiny rho_min; batches include an empty sample and an input
 * at t = 0; half the cases train under dropout.
 */
export function parityCases(seed = 2024): ParityCase[] {
  const rng = new Rng(seed);
  const out: ParityCase[] = [];
  const shapes = [[5, 8, 6, 3], [4, 6, 3], [24, 16, 10]];
  let n = 0;
  for (const [tm, ts] of [[2, 4], [4, 4], [5, 2]]) {
    for (const cap of [1, 6]) {
      const sizes = shapes[n % shapes.length];
      const kind = n % 2 === 0 ? "first-spike" : "multi-spike";
      const neuron: NeuronParams = {
        tau_m: tm,
        tau_s: ts,
        theta: 1,
        t_max: 16,
        max_spikes: cap,
        ...(n % 3 === 0 ? { rho_min: 1e-9 } : {}),
      };
      const drive = sizes.slice(1).map((_, l) => (l === sizes.length - 2 ? rng.uniform(0.8, 2) : 3));
      const network = randomNetwork(rng, neuron, sizes, { drive });
      const samples = [0, 1, 2, 3].map(() =>
        randomEvents(rng, sizes[0], { tIn: 8, pFire: sizes[0] > 10 ? 0.5 : 0.9 })
      );
      samples[1].push({ neuron: 0, time: 0 });
      if (n % 2 === 1) samples.push([]);
      const labels = Int32Array.from(samples, () => rng.int(sizes[sizes.length - 1]));
      const loss: LossConfig = {
        kind,
        tau0: 2,
        vmax_weight: 0.5,
        hidden_vmax_weight: n % 2 === 0 ? 0.01 : 0,
        // Every third case holds its first output spikes with the timing anchor, and another third smooths
        // the labels.
        ...(n % 3 === 1 ? { t_ref_weight: 0.2, t_ref: 4 } : {}),
        ...(n % 3 === 2 ? { label_smoothing: 0.1 } : {}),
      };
      // Drawn after everything else, so that the cases are as they were before dropout.
      const dropout = n % 2 === 1 ? { rate: 0.3, seed: rng.int(2 ** 32) } : undefined;
      out.push({
        name: `${sizes.join("-")} tau_m=${tm} tau_s=${ts} max_spikes=${cap} ${kind}${
          dropout ? " dropout" : ""
        }`,
        network,
        samples,
        labels,
        loss,
        ...(dropout ? { dropout } : {}),
      });
      n++;
    }
  }
  return out;
}

async function cpuForward(network: Network, samples: Event[][]): Promise<ForwardResult> {
  const engine = new CpuEngine(network, { workers: 1 });
  try {
    return await engine.forward(makeInput(samples));
  } finally {
    engine.dispose();
  }
}

/** Which samples of `c` are robust at time tolerance `tolTime` (see the module doc). */
export async function robustSamples(c: ParityCase, tolTime: number): Promise<boolean[]> {
  const p = c.network.neuron;
  const delta = Math.max(1e-9, 10 * tolTime / p.tau_m);
  const rhoMin = p.rho_min ?? 0.1 * p.theta / p.tau_m;
  const variant = (neuron: NeuronParams) => cpuForward({ ...c.network, neuron }, c.samples);
  const base = await variant(p);
  const thetas = await Promise.all([
    variant({ ...p, theta: p.theta * (1 + delta) }),
    variant({ ...p, theta: p.theta * (1 - delta) }),
  ]);
  const perSampleGrazing = async (neuron: NeuronParams) => {
    const out: number[] = [];
    for (const s of c.samples) out.push(grazingCount(await cpuForward({ ...c.network, neuron }, [s])));
    return out;
  };
  const g0 = await perSampleGrazing(p);
  const gHi = await perSampleGrazing({ ...p, rho_min: rhoMin * (1 + delta) });
  const gLo = await perSampleGrazing({ ...p, rho_min: rhoMin * (1 - delta) });
  return c.samples.map((_, s) => {
    for (let l = 0; l < base.layers.length; l++) {
      const layer = base.layers[l];
      for (let i = 0; i < layer.neurons; i++) {
        const slot = s * layer.neurons + i;
        const count = layer.count[slot];
        for (const other of thetas) if (other.layers[l].count[slot] !== count) return false;
        if (count > 0 && p.t_max - layer.time[slot * layer.capacity + count - 1] < 10 * tolTime) return false;
      }
    }
    // rho_min does not change spikes, only which crossings are clamped: compare that per sample.
    return g0[s] === gHi[s] && g0[s] === gLo[s];
  });
}

/** Collects mismatches, keeping the first few messages (llm.c's validate_result stops after 10). */
class Mismatches {
  count = 0;
  checked = 0;
  readonly messages: string[] = [];
  check(ok: boolean, message: () => string): void {
    this.checked++;
    if (ok) return;
    this.count++;
    if (this.messages.length < 10) this.messages.push(message());
  }
  /** Compares arrays with |x - r| <= eps * (max|r| + |r|). */
  close(what: string, got: ArrayLike<number>, ref: ArrayLike<number>, eps: number): void {
    assert.equal(got.length, ref.length, `${what}: length ${got.length}, expected ${ref.length}`);
    const scale = maxAbs(ref);
    for (let k = 0; k < ref.length; k++) {
      const err = Math.abs(got[k] - ref[k]);
      this.check(
        err <= eps * (scale + Math.abs(ref[k])),
        () => `${what}[${k}]: ${got[k]}, reference ${ref[k]} (scale ${scale})`,
      );
    }
  }
  assertNone(what: string): void {
    assert.equal(
      this.count,
      0,
      `${what}: ${this.count} of ${this.checked} comparisons fail:\n${this.messages.join("\n")}`,
    );
  }
}

function statsOf(fwd: ForwardResult): Omit<LayerStats, "overflow">[] {
  return fwd.stats.map((s) => ({ spikes: s.spikes, silent: s.silent, capped: s.capped, grazing: s.grazing }));
}

/**
 * Compares `engine` with the CPU engine `ref` (both built on `c.network`) on case `c`; returns how many
 * samples were robust. Throws an AssertionError listing the first mismatches.
 * @param inputOf the batch both engines get for some samples of the case (by index), e.g. their images;
 *   default: their events as a `SpikeInput`. It must carry exactly the events of `c.samples`.
 */
export async function compareOnCase(
  engine: Engine,
  ref: Engine,
  c: ParityCase,
  tol: ParityTolerance,
  inputOf: (samples: number[]) => EngineInput = (samples) => makeInput(samples.map((s) => c.samples[s])),
): Promise<number> {
  const robust = await robustSamples(c, tol.time);
  const bad = new Mismatches();
  const input = inputOf(c.samples.map((_, s) => s));

  // Forward, whole batch: counts exact and times close on robust samples.
  const f = await engine.forward(input);
  const fr = await ref.forward(input);
  assert.equal(f.layers.length, fr.layers.length);
  c.samples.forEach((_, s) => {
    if (!robust[s]) return;
    fr.layers.forEach((layer, l) => {
      for (let i = 0; i < layer.neurons; i++) {
        const got = spikeTimes(f, l, s, i);
        const want = spikeTimes(fr, l, s, i);
        bad.check(
          got.length === want.length,
          () => `sample ${s}, layer ${l}, neuron ${i}: ${got.length} spikes, reference ${want.length}`,
        );
        if (got.length !== want.length) continue;
        want.forEach((t, k) => {
          bad.check(
            Math.abs(got[k] - t) <= tol.time,
            () => `sample ${s}, layer ${l}, neuron ${i}, spike ${k}: t = ${got[k]}, reference ${t}`,
          );
        });
      }
    });
  });
  bad.assertNone(`${c.name}: forward`);

  // Everything else on the batch of robust samples only.
  const keep = c.samples.map((_, s) => s).filter((s) => robust[s]);
  if (keep.length === 0) return 0;
  const sub = inputOf(keep);
  const labels = Int32Array.from(keep, (s) => c.labels[s]);
  const fs = await engine.forward(sub);
  const fsr = await ref.forward(sub);
  assert.deepEqual(statsOf(fs), statsOf(fsr), `${c.name}: counters of the robust samples`);

  const e = await engine.evaluate(sub, labels, c.loss);
  const er = await ref.evaluate(sub, labels, c.loss);
  assert.deepEqual([...e.predictions], [...er.predictions], `${c.name}: evaluate predictions`);
  assert.equal(e.correct, er.correct);
  assert.equal(e.ties, er.ties, `${c.name}: evaluate ties`);
  bad.check(
    Math.abs(e.loss - er.loss) <= tol.grad * (1 + Math.abs(er.loss)),
    () => `evaluate loss ${e.loss}, reference ${er.loss}`,
  );
  er.decisionTime.forEach((t, k) => {
    const ok = Number.isNaN(t)
      ? Number.isNaN(e.decisionTime[k])
      : Math.abs(e.decisionTime[k] - t) <= tol.time;
    bad.check(ok, () => `decision time ${k}: ${e.decisionTime[k]}, reference ${t}`);
  });

  const g = await engine.gradients(sub, labels, c.loss, c.dropout);
  const gr = await ref.gradients(sub, labels, c.loss, c.dropout);
  bad.check(
    Math.abs(g.loss - gr.loss) <= tol.grad * (1 + Math.abs(gr.loss)),
    () => `gradients loss ${g.loss}, reference ${gr.loss}`,
  );
  assert.deepEqual([...g.predictions], [...gr.predictions], `${c.name}: gradients predictions`);
  gr.weightGrads.forEach((w, l) => bad.close(`dL/dW[${l}]`, g.weightGrads[l], w, tol.grad));
  bad.close("dL/dt_in", g.inputGrads, gr.inputGrads, tol.grad);
  bad.assertNone(`${c.name}: evaluate/gradients`);

  // One Adam step from the same weights and a fresh optimizer, with weight decay: it shrinks every weight
  // by lr * 0.5 * |w| (about 5e-3), far beyond the limits below, so an engine that skips it fails.
  const adam = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.5 };
  const m = await engine.trainStep(sub, labels, c.loss, adam, c.dropout);
  const mr = await ref.trainStep(sub, labels, c.loss, adam, c.dropout);
  assert.equal(m.size, mr.size);
  assert.equal(m.correct, mr.correct, `${c.name}: trainStep correct`);
  bad.check(
    Math.abs(m.loss - mr.loss) <= tol.grad * (1 + Math.abs(mr.loss)),
    () => `trainStep loss ${m.loss}, reference ${mr.loss}`,
  );
  const w = await engine.getWeights();
  const wr = await ref.getWeights();
  gr.weightGrads.forEach((grad, l) => {
    const clear = 100 * tol.grad * maxAbs(grad);
    for (let k = 0; k < grad.length; k++) {
      // Adam's first step moves a weight by u = lr g / (|g| + eps), g the batch mean: du = lr eps / |g| (dg / |g|),
      // and dg / |g| < 0.02 once |g| is 100x the gradient tolerance. A gradient within noise of 0 may move
      // the weight anywhere in [-lr, lr]. The weight itself may be stored with relative error tol.grad.
      const gMean = Math.abs(grad[k]) / keep.length;
      const limit = Math.abs(grad[k]) > clear
        ? adam.lr * adam.eps / gMean + tol.grad * Math.abs(wr[l][k]) + 1e-15
        : 2 * adam.lr + tol.grad * Math.abs(wr[l][k]);
      bad.check(
        Math.abs(w[l][k] - wr[l][k]) <= limit,
        () => `weight [${l}][${k}] after trainStep: ${w[l][k]}, reference ${wr[l][k]}`,
      );
    }
  });
  const st = await engine.getOptimizerState();
  const str = await ref.getOptimizerState();
  assert.equal(st.step, str.step);
  str.m.forEach((mm, l) => bad.close(`Adam m[${l}]`, st.m[l], mm, tol.grad));
  bad.assertNone(`${c.name}: trainStep`);
  return keep.length;
}

/**
 * Registers one `Deno.test` that runs every parity case on the engine made by `makeEngine` and on the CPU
 * engine, and fails on the first case with mismatches (listing up to 10).
 * @param name shown in the test name, e.g. "WebGPU (llvmpipe)"
 * @param makeEngine builds the engine under test on a network (called once per case; disposed after)
 * @param tol time and gradient tolerances against the CPU engine
 * @param options `ignore`: register the test as ignored (e.g. no WebGPU adapter); `cases`: other cases
 */
export function engineParitySuite(
  name: string,
  makeEngine: (net: Network) => Promise<Engine>,
  tol: ParityTolerance,
  options: { ignore?: boolean; cases?: ParityCase[] } = {},
): void {
  Deno.test({ name: `${name}: parity with the CPU engine`, ignore: options.ignore ?? false }, async (t) => {
    let robust = 0;
    let total = 0;
    for (const c of options.cases ?? parityCases()) {
      await t.step(c.name, async () => {
        const ref = new CpuEngine(c.network, { workers: 1 });
        const engine = await makeEngine(c.network);
        try {
          assert.deepEqual([...engine.spec.sizes], [...c.network.sizes]);
          const w = await engine.getWeights();
          const wm = new Mismatches();
          c.network.weights.forEach((x, l) => wm.close(`weights[${l}]`, w[l], x, Math.max(tol.grad, 1e-7)));
          wm.assertNone(`${c.name}: getWeights`);
          robust += await compareOnCase(engine, ref, c, tol);
          total += c.samples.length;
        } finally {
          engine.dispose();
          ref.dispose();
        }
      });
    }
    // Not vacuous: most samples must be far enough from a threshold event to be compared.
    assert.ok(robust >= 0.7 * total, `only ${robust} of ${total} samples robust at tol.time = ${tol.time}`);
  });
}
