/**
 * `deno task bench [--device cpu|gpu] [--batch 64] [--batches 8] [--model FILE]`: throughput of the engines on
 * a 784-800-10 network fed with MNIST test images (one spike per non-zero pixel), measured side by side in one
 * run. Without --model the weights are freshly initialised (many spikes: the slow case); with --model, a
 * trained network's weights and neuron (its spike counts are what training meets). Prints figures and
 * ratios; writes nothing. Performance lives here, never in tests.
 * @module
 */
import { parseArgs } from "node:util";
import { CpuEngine } from "../src/engine/cpu/cpu_engine.ts";
import type { Engine, ImageBatch, SpikeInput } from "../src/engine/engine.ts";
import { DEFAULT_LOSS } from "../src/engine/loss.ts";
import { loadDataset } from "../src/data/dataset.ts";
import { initWeights } from "../src/model/init.ts";
import { readModelFile } from "../src/model/model_file.ts";
import { DEFAULT_NEURON } from "../src/model/params.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    device: { type: "string", default: "cpu" },
    batch: { type: "string", default: "64" },
    batches: { type: "string", default: "8" },
    "t-in": { type: "string", default: "5" },
    model: { type: "string" },
  },
});
const batch = Number(values.batch);
const batches = Number(values.batches);
const trained = values.model ? await readModelFile(values.model) : undefined;
const sizes = trained ? [...trained.network.sizes] : [784, 800, 10];
const neuron = trained?.network.neuron ?? DEFAULT_NEURON;
const tIn = trained?.t_in ?? Number(values["t-in"]);

const data = await loadDataset("mnist", { limitTest: batch * batches });
const inputs: { input: SpikeInput; labels: Int32Array }[] = [];
// The same images as raw intensities, for the WebGPU engine to encode (as in training).
const images: { input: ImageBatch; labels: Int32Array }[] = [];
for (let k = 0; k < batches; k++) {
  const idx = Array.from({ length: batch }, (_, i) => k * batch + i);
  const labels = data.test.labels.slice(k * batch, (k + 1) * batch);
  inputs.push({ input: data.test.encode(idx, tIn), labels });
  images.push({ input: data.test.batch(idx, tIn) as ImageBatch, labels });
}
const weights = trained?.network.weights ??
  initWeights({ neuron, sizes }, { seed: 0, meanInputEvents: data.test.meanEvents });
const samples = batch * batches;

/** Samples/s of forward (evaluate) and forward+backward (gradients), after one warm-up batch. */
async function measure(engine: Engine) {
  // Warm-up: JIT compilation on every thread (workers start on the first large batch).
  for (const { input, labels } of inputs.slice(0, 2)) {
    await engine.evaluate(input, labels, DEFAULT_LOSS);
    await engine.gradients(input, labels, DEFAULT_LOSS);
  }
  let t0 = performance.now();
  let events = 0;
  let spikes = 0;
  for (const { input, labels } of inputs) {
    const r = await engine.evaluate(input, labels, DEFAULT_LOSS);
    // Synaptic events: every input event reaches every neuron of the layer it enters.
    events += input.time.length * sizes[1] + r.stats[0].spikes * sizes[2];
    spikes += r.stats[0].spikes;
  }
  const fwd = samples / ((performance.now() - t0) / 1000);
  const synPerSec = events / ((performance.now() - t0) / 1000);
  t0 = performance.now();
  for (const { input, labels } of inputs) await engine.gradients(input, labels, DEFAULT_LOSS);
  const fwdBwd = samples / ((performance.now() - t0) / 1000);
  return { fwd, fwdBwd, synPerSec, hiddenSpikesPerSample: spikes / samples };
}

const fmt = (x: number) => x.toLocaleString("en-US", { maximumFractionDigits: 0 });
console.log(
  `multispike bench: ${sizes.join("-")} ${trained ? `trained (${values.model})` : "freshly initialised"}, ` +
    `${samples} MNIST test images in batches of ${batch}, ` +
    `tau_m=${neuron.tau_m} tau_s=${neuron.tau_s} max_spikes=${neuron.max_spikes}, ${navigator.hardwareConcurrency} cores`,
);
const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
for (const workers of [1, navigator.hardwareConcurrency]) {
  const engine = new CpuEngine({ neuron, sizes, weights }, { workers });
  results[`cpu x${workers}`] = await measure(engine);
  engine.dispose();
}
if (values.device === "gpu") {
  const { benchGpu } = await import("./bench_gpu.ts");
  const gpu = await benchGpu({
    neuron,
    sizes,
    weights,
    inputs: images,
    cpuForward: results[`cpu x${navigator.hardwareConcurrency}`].fwd,
  });
  console.log("gpu:", gpu);
}
console.log("engine      forward/s  fwd+bwd/s  synaptic events/s  hidden spikes/sample");
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(10)} ${fmt(r.fwd).padStart(10)} ${fmt(r.fwdBwd).padStart(10)} ${
      fmt(r.synPerSec).padStart(18)
    } ` +
      `${fmt(r.hiddenSpikesPerSample).padStart(20)}`,
  );
}
const one = results["cpu x1"];
const all = results[`cpu x${navigator.hardwareConcurrency}`];
console.log(
  `workers speed-up (x${navigator.hardwareConcurrency} over x1): forward ${
    (all.fwd / one.fwd).toFixed(2)
  }, ` +
    `forward+backward ${(all.fwdBwd / one.fwdBwd).toFixed(2)}`,
);
