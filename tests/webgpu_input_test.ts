/**
 * Images as engine input (`ImageBatch`) and training steps in flight:
 * - the CPU engine on images is bit-identical to the CPU engine on the spikes `encodeImages` makes (no GPU);
 * - the WebGPU engine encoding images on the GPU (shaders/encode_input.wgsl) against the CPU engine on the
 *   same images: the parity suite's comparisons (tests/engine_cases.ts) with the tolerances of
 *   tests/webgpu_test.ts (spike times 1e-4, losses and gradients 1e-3 relative to the array's largest entry);
 * - for byte images, the GPU encoding bit-identical to the host packing of the same spikes (the spike times
 *   come from the same f32 table);
 * - training steps queued behind the previous step's metrics (`stepsInFlight` = 2) give bit-identical
 *   weights, optimizer state and metrics to steps awaited one by one.
 * WebGPU parts run on any adapter, llvmpipe included; skipped when there is none.
 * @module
 */
import assert from "node:assert/strict";
import { CpuEngine } from "../src/engine/cpu/cpu_engine.ts";
import type {
  AdamConfig,
  Engine,
  EngineInput,
  ImageBatch,
  LossConfig,
  Network,
  StepMetrics,
} from "../src/engine/engine.ts";
import { byteSpikeTimes, encodeImages } from "../src/data/encode.ts";
import type { NeuronParams } from "../src/model/params.ts";
import { createWebGpuEngine } from "../src/engine/webgpu/webgpu_engine.ts";
import { runSteps } from "../src/train/step_pipeline.ts";
import { compareOnCase, type ParityCase } from "./engine_cases.ts";
import { makeInput, randomEvents, randomNetwork, Rng, sampleEvents, spikeTimes } from "./helpers.ts";

const adapter = await navigator.gpu?.requestAdapter().catch(() => null) ?? null;
const noGpu = adapter === null;

/** As tests/webgpu_test.ts (justified there). */
const TOL = { time: 1e-4, grad: 1e-3 };

/** A parity case whose samples are images, and the images. */
interface ImageCase {
  readonly c: ParityCase;
  readonly images: ImageBatch;
  /** The batch of some of the images (by index), as both engines get it. */
  readonly inputOf: (samples: number[]) => ImageBatch;
}

/**
 * Random images of `nIn` pixels: a fraction of black pixels, the rest of random intensity; sample 0 has a
 * white pixel (spike at t = 0), the last sample is all black (no input spike).
 */
function randomImages(
  rng: Rng,
  size: number,
  nIn: number,
  format: "bytes" | "floats",
  tIn: number,
): ImageBatch {
  const pixels = format === "bytes" ? new Uint8Array(size * nIn) : new Float32Array(size * nIn);
  for (let s = 0; s < size - 1; s++) {
    for (let p = 0; p < nIn; p++) {
      if (rng.next() < 0.35) continue;
      pixels[s * nIn + p] = format === "bytes" ? 1 + rng.int(255) : Math.fround(rng.uniform(0.005, 1));
    }
  }
  pixels[3] = format === "bytes" ? 255 : 1;
  return { size, pixels, t_in: tIn };
}

function rows(batch: ImageBatch, nIn: number, samples: number[]): ImageBatch {
  const pixels = batch.pixels instanceof Uint8Array
    ? new Uint8Array(samples.length * nIn)
    : new Float32Array(samples.length * nIn);
  samples.forEach((s, k) => pixels.set(batch.pixels.subarray(s * nIn, (s + 1) * nIn), k * nIn));
  return { size: samples.length, pixels, t_in: batch.t_in };
}

/**
 * Byte and float images; one case with t_in > t_max, so that faint pixels would spike after t_max and must
 * send nothing; single- and multi-spike, one and two hidden layers, both losses.
 */
function imageCases(): ImageCase[] {
  const rng = new Rng(4242);
  const settings = [
    { format: "bytes", tm: 4, ts: 2, cap: 5, tIn: 6, tMax: 10, sizes: [16, 10, 4], kind: "multi-spike" },
    { format: "bytes", tm: 3, ts: 3, cap: 1, tIn: 10, tMax: 8, sizes: [20, 8, 3], kind: "first-spike" },
    { format: "floats", tm: 5, ts: 2, cap: 4, tIn: 5, tMax: 12, sizes: [12, 10, 6, 3], kind: "first-spike" },
  ] as const;
  return settings.map((x) => {
    const neuron: NeuronParams = { tau_m: x.tm, tau_s: x.ts, theta: 1, t_max: x.tMax, max_spikes: x.cap };
    const drive = x.sizes.slice(1).map((_, l) => (l === x.sizes.length - 2 ? rng.uniform(0.8, 2) : 3));
    const network = randomNetwork(rng, neuron, x.sizes, { drive });
    const nIn = x.sizes[0];
    const images = randomImages(rng, 7, nIn, x.format, x.tIn);
    const spikes = encodeImages(images, nIn);
    const samples = Array.from({ length: images.size }, (_, s) => sampleEvents(spikes, s));
    const labels = Int32Array.from(samples, () => rng.int(x.sizes[x.sizes.length - 1]));
    const loss: LossConfig = { kind: x.kind, tau0: 2, vmax_weight: 0.5, hidden_vmax_weight: 0.01 };
    const name = `${x.format} ${
      x.sizes.join("-")
    } tau_m=${x.tm} tau_s=${x.ts} max_spikes=${x.cap} t_in=${x.tIn}`;
    return {
      c: { name, network, samples, labels, loss },
      images,
      inputOf: (s: number[]) => rows(images, nIn, s),
    };
  });
}

Deno.test("encodeImages: the latency code of MODEL.md section 4, for bytes and floats", () => {
  const tIn = 4;
  const bytes = encodeImages({ size: 2, pixels: Uint8Array.of(0, 255, 51, 0, 0, 0), t_in: tIn }, 3);
  assert.deepEqual([...bytes.offsets], [0, 2, 2]);
  assert.deepEqual([...bytes.neuron], [1, 2]);
  assert.deepEqual([...bytes.time], [0, tIn * (1 - 51 / 255)]);
  assert.equal(byteSpikeTimes(tIn)[51], bytes.time[1]);
  const floats = encodeImages({ size: 1, pixels: Float32Array.of(0.25, 0, 1), t_in: tIn }, 3);
  assert.deepEqual([...floats.neuron], [0, 2]);
  assert.deepEqual([...floats.time], [3, 0]);
});

Deno.test("CPU engine: images give bit for bit what their encoded spikes give", async (t) => {
  for (const { c, images } of imageCases()) {
    await t.step(c.name, async () => {
      const nIn = c.network.sizes[0];
      const engine = new CpuEngine(c.network, { workers: 1 });
      try {
        const spikes = encodeImages(images, nIn);
        const f = await engine.forward(images);
        const fe = await engine.forward(spikes);
        assertSameSpikes(f, fe, images.size);
        const g = await engine.gradients(images, c.labels, c.loss);
        const ge = await engine.gradients(spikes, c.labels, c.loss);
        assert.equal(g.loss, ge.loss);
        g.weightGrads.forEach((w, l) => assert.deepEqual([...w], [...ge.weightGrads[l]]));
        // Input gradients per pixel: each pixel's one event, 0 for black pixels.
        assert.equal(g.inputGrads.length, images.size * nIn);
        const perPixel = new Float64Array(images.size * nIn);
        for (let s = 0; s < spikes.size; s++) {
          for (let e = spikes.offsets[s]; e < spikes.offsets[s + 1]; e++) {
            perPixel[s * nIn + spikes.neuron[e]] = ge.inputGrads[e];
          }
        }
        assert.deepEqual([...g.inputGrads], [...perPixel]);
        assert.ok(g.inputGrads.some((x) => x !== 0), "some input gradient is non-zero");
      } finally {
        engine.dispose();
      }
    });
  }
});

Deno.test("CPU engine: invalid images are a RangeError", async () => {
  const { c } = imageCases()[2];
  const engine = new CpuEngine(c.network, { workers: 1 });
  const nIn = c.network.sizes[0];
  const bad: ImageBatch[] = [
    { size: 2, pixels: new Float32Array(nIn), t_in: 5 },
    { size: 1, pixels: new Float32Array(nIn).fill(1.5), t_in: 5 },
    { size: 1, pixels: new Float32Array(nIn).fill(NaN), t_in: 5 },
    { size: 1, pixels: new Uint8Array(nIn), t_in: 0 },
  ];
  for (const b of bad) await assert.rejects(() => engine.forward(b), RangeError);
  engine.dispose();
});

Deno.test(
  { name: "WebGPU: images encoded on the GPU, parity with the CPU engine", ignore: noGpu },
  async (t) => {
    let robust = 0;
    let total = 0;
    for (const { c, images, inputOf } of imageCases()) {
      await t.step(c.name, async () => {
        const tMax = c.network.neuron.t_max;
        if (images.t_in > tMax) assert.ok(c.samples.flat().some((e) => e.time > tMax), "pixels past t_max");
        const ref = new CpuEngine(c.network, { workers: 1 });
        const gpu = await createWebGpuEngine(c.network, { adapter: "any" });
        try {
          robust += await compareOnCase(gpu, ref, c, TOL, inputOf);
          total += c.samples.length;
        } finally {
          gpu.dispose();
          ref.dispose();
        }
      });
    }
    assert.ok(robust >= 0.7 * total, `only ${robust} of ${total} samples robust`);
  },
);

/** Asserts that two engines' forward results have the same spikes, bit for bit. */
function assertSameSpikes(
  x: Awaited<ReturnType<Engine["forward"]>>,
  y: Awaited<ReturnType<Engine["forward"]>>,
  samples: number,
): void {
  x.layers.forEach((layer, l) => {
    assert.deepEqual([...layer.count], [...y.layers[l].count], `layer ${l}: spike counts`);
    for (let s = 0; s < samples; s++) {
      for (let i = 0; i < layer.neurons; i++) {
        assert.deepEqual(
          spikeTimes(x, l, s, i),
          spikeTimes(y, l, s, i),
          `layer ${l} sample ${s} neuron ${i}`,
        );
      }
    }
  });
  assert.deepEqual(x.stats, y.stats);
}

Deno.test(
  {
    name: "WebGPU: byte images encoded on the GPU are bit-identical to their spikes packed on the host",
    ignore: noGpu,
  },
  async (t) => {
    const adam: AdamConfig = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    for (const { c, images } of imageCases().filter((x) => x.images.pixels instanceof Uint8Array)) {
      await t.step(c.name, async () => {
        const nIn = c.network.sizes[0];
        const spikes = encodeImages(images, nIn);
        // Chunks of 4: the 7 images take two submissions.
        const viaImages = await createWebGpuEngine(c.network, { adapter: "any", maxChunk: 4 });
        const viaSpikes = await createWebGpuEngine(c.network, { adapter: "any", maxChunk: 4 });
        try {
          // Two events per input neuron first: layer 0's input then has 2 slots per neuron, and the image
          // encoding must write into that layout.
          const rng = new Rng(9);
          await viaImages.forward(makeInput([randomEvents(rng, nIn, { tIn: 3, pFire: 1, maxPerNeuron: 2 })]));
          const f = await viaImages.forward(images);
          const fe = await viaSpikes.forward(spikes);
          assertSameSpikes(f, fe, images.size);
          assert.ok(f.stats[0].spikes > 0, "the hidden layer spikes");
          const e = await viaImages.evaluate(images, c.labels, c.loss);
          const ee = await viaSpikes.evaluate(spikes, c.labels, c.loss);
          assert.deepEqual(e, ee);
          const g = await viaImages.gradients(images, c.labels, c.loss);
          const ge = await viaSpikes.gradients(spikes, c.labels, c.loss);
          assert.equal(g.loss, ge.loss);
          g.weightGrads.forEach((w, l) => assert.deepEqual([...w], [...ge.weightGrads[l]], `dL/dW[${l}]`));
          const perPixel = new Float64Array(images.size * nIn);
          for (let s = 0; s < spikes.size; s++) {
            for (let k = spikes.offsets[s]; k < spikes.offsets[s + 1]; k++) {
              perPixel[s * nIn + spikes.neuron[k]] = ge.inputGrads[k];
            }
          }
          assert.deepEqual([...g.inputGrads], [...perPixel], "dL/dt per pixel");
          for (let step = 0; step < 2; step++) {
            const m = await viaImages.trainStep(images, c.labels, c.loss, adam);
            const me = await viaSpikes.trainStep(spikes, c.labels, c.loss, adam);
            assert.deepEqual(m, me);
          }
          const w = await viaImages.getWeights();
          const we = await viaSpikes.getWeights();
          w.forEach((x, l) => assert.deepEqual([...x], [...we[l]], `weights[${l}] after two steps`));
        } finally {
          viaImages.dispose();
          viaSpikes.dispose();
        }
      });
    }
  },
);

Deno.test(
  { name: "WebGPU: steps queued behind the previous step's metrics change no bit", ignore: noGpu },
  async () => {
    const rng = new Rng(31);
    const neuron: NeuronParams = { tau_m: 4, tau_s: 2, theta: 1, t_max: 10, max_spikes: 4 };
    const sizes = [16, 12, 4];
    const network: Network = randomNetwork(rng, neuron, sizes, { drive: [3, 1.5] });
    const loss: LossConfig = { kind: "first-spike", tau0: 2, vmax_weight: 0.5, hidden_vmax_weight: 0.01 };
    // Batches that make the engine grow its chunk (3 -> 6 samples), widen layer 0's input (two events per
    // input neuron), split a batch over two submissions (10 samples in chunks of 8) and change the encoding.
    const batches: { input: EngineInput; labels: Int32Array }[] = [
      randomImages(rng, 3, 16, "bytes", 6),
      randomImages(rng, 6, 16, "bytes", 6),
      makeInput(
        Array.from({ length: 5 }, () => randomEvents(rng, 16, { tIn: 6, pFire: 0.7, maxPerNeuron: 2 })),
      ),
      randomImages(rng, 10, 16, "bytes", 6),
      randomImages(rng, 4, 16, "floats", 6),
      randomImages(rng, 6, 16, "bytes", 6),
    ].map((input) => ({ input, labels: Int32Array.from({ length: input.size }, () => rng.int(4)) }));
    const adam: AdamConfig = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    const sequential = await createWebGpuEngine(network, { adapter: "any", maxChunk: 8 });
    const pipelined = await createWebGpuEngine(network, { adapter: "any", maxChunk: 8 });
    try {
      assert.equal(pipelined.stepsInFlight, 2);
      const expected: StepMetrics[] = [];
      for (const { input, labels } of batches) {
        expected.push(await sequential.trainStep(input, labels, loss, adam));
      }
      const got: StepMetrics[] = [];
      const settled = batches.map(() => false);
      let queuedBehind = 0;
      await runSteps(batches.length, pipelined.stepsInFlight, (k) => {
        if (k > 0 && !settled[k - 1]) queuedBehind++;
        const p = pipelined.trainStep(batches[k].input, batches[k].labels, loss, adam);
        p.then(() => {
          settled[k] = true;
        }, () => {});
        return p;
      }, (k, m) => got[k] = m);
      // Step 1 at least is queued before step 0's metrics are awaited (later ones race with the GPU).
      assert.ok(queuedBehind >= 1, "steps were queued behind another");
      assert.deepEqual(got, expected, "metrics of every step");
      const w = await pipelined.getWeights();
      const we = await sequential.getWeights();
      w.forEach((x, l) => {
        assert.deepEqual([...x], [...we[l]], `weights[${l}]`);
        assert.notDeepEqual([...x], [...network.weights[l]].map(Math.fround), `training moved weights[${l}]`);
      });
      const st = await pipelined.getOptimizerState();
      const se = await sequential.getOptimizerState();
      assert.equal(st.step, batches.length);
      assert.deepEqual(st, se, "Adam state");
    } finally {
      sequential.dispose();
      pipelined.dispose();
    }
  },
);
