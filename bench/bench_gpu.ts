/**
 * GPU part of `deno task bench --device gpu`: throughput of the WebGPU engine on the 784-800-10 network,
 * for inference (evaluate) and training (trainStep, one step queued behind the previous one's metrics, as
 * the trainer runs it, and with 4 and 8 steps in flight), at the batches the caller gives and at one large
 * batch made by concatenating them;
 * GPU time per phase with timestamp queries; GPU memory of the buffers. Images go to the engine as raw
 * intensities and are encoded on the GPU, as in training. Run alone
 * (`deno run -A bench/bench_gpu.ts [--batch 256] [--batches 4]`) it feeds MNIST-like random images (about
 * 150 lit pixels of 784, one spike each).
 * @module
 */
import type { AdamConfig, ImageBatch } from "../src/engine/engine.ts";
import { DEFAULT_LOSS } from "../src/engine/loss.ts";
import type { NeuronParams } from "../src/model/params.ts";
import {
  createWebGpuEngine,
  probeHardwareAdapter,
  type WebGpuEngine,
} from "../src/engine/webgpu/webgpu_engine.ts";
import { runSteps } from "../src/train/step_pipeline.ts";

/** A batch of images with their labels. */
export interface LabelledImages {
  readonly input: ImageBatch;
  readonly labels: Int32Array;
}

/** What `benchGpu` measures on. */
export interface BenchGpuOptions {
  readonly neuron: NeuronParams;
  /** e.g. [784, 800, 10] */
  readonly sizes: readonly number[];
  readonly weights: Float64Array[];
  /** Batches of images (all of one size) with labels. */
  readonly inputs: readonly LabelledImages[];
  /** CPU engine inference samples/s measured in the same run, for the ratio. */
  readonly cpuForward?: number;
  /** Adapter to accept; default "any" (llvmpipe included). */
  readonly adapter?: "hardware" | "any";
  /**
   * Samples of the large batch, e.g. 4096 (inputs repeated as needed); 0 skips it. Default 2048 on a hardware
   * adapter, 0 on a software one (llvmpipe would take minutes).
   */
  readonly bigBatch?: number;
}

const ADAM: AdamConfig = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** Concatenates batches of byte images (repeating them) into one batch of `size` samples. */
export function concatBatches(batches: readonly LabelledImages[], size: number): LabelledImages {
  const nIn = batches[0].input.pixels.length / batches[0].input.size;
  const pixels = new Uint8Array(size * nIn);
  const labels = new Int32Array(size);
  let k = 0;
  for (let b = 0; k < size; b = (b + 1) % batches.length) {
    const src = batches[b];
    for (let s = 0; s < src.input.size && k < size; s++, k++) {
      pixels.set(src.input.pixels.subarray(s * nIn, (s + 1) * nIn), k * nIn);
      labels[k] = src.labels[s];
    }
  }
  return { input: { size, pixels, t_in: batches[0].input.t_in }, labels };
}

/** Training samples/s with up to `depth` steps in flight, as the trainer runs them (`runSteps`). */
async function trainThroughput(
  engine: WebGpuEngine,
  batches: readonly LabelledImages[],
  minMs: number,
  depth: number,
): Promise<number> {
  let samples = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || samples === 0) {
    // As the trainer: the next step is queued before the previous one's metrics are awaited.
    await runSteps(batches.length, depth, (k) => {
      const { input, labels } = batches[k];
      return engine.trainStep(input, labels, DEFAULT_LOSS, ADAM);
    }, (_, m) => samples += m.size);
  }
  return samples / ((performance.now() - t0) / 1000);
}

async function throughput(
  engine: WebGpuEngine,
  batches: readonly LabelledImages[],
  minMs: number,
): Promise<{ infer: number; train: number; hiddenSpikes: number }> {
  // Warm-up: first submissions compile and allocate.
  await engine.evaluate(batches[0].input, batches[0].labels, DEFAULT_LOSS);
  await engine.trainStep(batches[0].input, batches[0].labels, DEFAULT_LOSS, ADAM);
  let samples = 0;
  let spikes = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs || samples === 0) {
    for (const { input, labels } of batches) {
      const r = await engine.evaluate(input, labels, DEFAULT_LOSS);
      samples += input.size;
      spikes += r.stats[0].spikes;
    }
  }
  const infer = samples / ((performance.now() - t0) / 1000);
  const hiddenSpikes = spikes / samples;
  const train = await trainThroughput(engine, batches, minMs, engine.stepsInFlight);
  return { infer, train, hiddenSpikes };
}

/**
 * Measures the WebGPU engine.
 * @returns figures by name: samples/s, ms per phase and per training step, MiB of GPU buffers, the adapter
 */
export async function benchGpu(opts: BenchGpuOptions): Promise<Record<string, number | string>> {
  const network = { neuron: opts.neuron, sizes: opts.sizes, weights: opts.weights };
  const out: Record<string, number | string> = {};
  const batch = opts.inputs[0].input.size;
  const engine = await createWebGpuEngine(network, { adapter: opts.adapter ?? "any" });
  try {
    out.adapter = engine.device;
    const small = await throughput(engine, opts.inputs, 1000);
    out[`infer_samples_per_s_batch${batch}`] = Math.round(small.infer);
    out[`train_samples_per_s_batch${batch}`] = Math.round(small.train);
    out.hidden_spikes_per_sample = Math.round(small.hiddenSpikes * 10) / 10;
    // Small batches are bound by the round trip of a step's metrics, not by the GPU (README, "Benchmarks"):
    // more steps in flight than the engine's own depth show how much a deeper pipeline would gain.
    for (const depth of [4, 8]) {
      const train = await trainThroughput(engine, opts.inputs, 1000, depth);
      out[`train_samples_per_s_batch${batch}_${depth}_in_flight`] = Math.round(train);
    }
    if (opts.cpuForward) out.infer_speedup_vs_cpu = Math.round(small.infer / opts.cpuForward * 10) / 10;
    const big = opts.bigBatch ?? ((await probeHardwareAdapter()).available ? 2048 : 0);
    if (big > 0) {
      const one = concatBatches(opts.inputs, big);
      const r = await throughput(engine, [one], 2000);
      out[`infer_samples_per_s_batch${big}`] = Math.round(r.infer);
      out[`train_samples_per_s_batch${big}`] = Math.round(r.train);
      if (opts.cpuForward) {
        out[`infer_speedup_vs_cpu_batch${big}`] = Math.round(r.infer / opts.cpuForward * 10) / 10;
      }
    }
    out.chunk_samples = engine.chunkSize;
    out.gpu_buffers_mib = Math.round(engine.gpuBytes / 2 ** 20);
  } finally {
    engine.dispose();
  }
  // Phases: a separate engine that times every dispatch (one pass each, so a little slower overall).
  const profiled = await createWebGpuEngine(network, { adapter: opts.adapter ?? "any", profile: true });
  try {
    const { input, labels } = opts.inputs[0];
    await profiled.trainStep(input, labels, DEFAULT_LOSS, ADAM);
    const before = { ...profiled.phaseTimes };
    const steps = 3;
    const t0 = performance.now();
    for (let k = 0; k < steps; k++) await profiled.trainStep(input, labels, DEFAULT_LOSS, ADAM);
    out[`train_step_ms_batch${batch}`] = Math.round((performance.now() - t0) / steps * 100) / 100;
    const after = profiled.phaseTimes;
    if (after) {
      for (const [phase, ms] of Object.entries(after)) {
        const b = (before as Record<string, number>)[phase] ?? 0;
        out[`gpu_ms_${phase}_batch${batch}`] = Math.round((ms - b) / steps * 1000) / 1000;
      }
    } else {
      out.gpu_phase_times = "timestamp-query not available";
    }
  } finally {
    profiled.dispose();
  }
  return out;
}

/** MNIST-like random byte images: ~150 lit pixels of 784 (one spike each at t_in (1 - v/255)). */
function syntheticBatch(size: number, seed: number, tIn: number): LabelledImages {
  let state = seed >>> 0;
  const rand = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pixels = new Uint8Array(size * 784);
  for (let k = 0; k < pixels.length; k++) if (rand() < 0.19) pixels[k] = 1 + Math.floor(rand() * 255);
  const labels = Int32Array.from({ length: size }, () => Math.floor(rand() * 10));
  return { input: { size, pixels, t_in: tIn }, labels };
}

if (import.meta.main) {
  const { parseArgs } = await import("node:util");
  const { initWeights } = await import("../src/model/init.ts");
  const { DEFAULT_NEURON } = await import("../src/model/params.ts");
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      batch: { type: "string", default: "256" },
      batches: { type: "string", default: "4" },
      big: { type: "string" },
      adapter: { type: "string", default: "any" },
    },
  });
  const sizes = [784, 800, 10];
  const neuron = DEFAULT_NEURON;
  const inputs = Array.from(
    { length: Number(values.batches) },
    (_, k) => syntheticBatch(Number(values.batch), k + 1, 5),
  );
  const weights = initWeights({ neuron, sizes }, { seed: 0, meanInputEvents: 150 });
  const r = await benchGpu({
    neuron,
    sizes,
    weights,
    inputs,
    adapter: values.adapter === "hardware" ? "hardware" : "any",
    bigBatch: values.big === undefined ? undefined : Number(values.big),
  });
  console.log(JSON.stringify(r, null, 2));
}
