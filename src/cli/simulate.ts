/**
 * `multispike simulate`: one sample through a model file's network, spike times (and gradients of the
 * default loss for a label) written as JSON, so that anyone can check the engine's numbers.
 * @module
 */
import { CpuEngine } from "../engine/cpu/cpu_engine.ts";
import type { Engine, Network, SpikeInput } from "../engine/engine.ts";
import { DEFAULT_LOSS } from "../engine/loss.ts";
import { readModelFile } from "../model/model_file.ts";
import { layerNames } from "../report/layer_names.ts";
import { ioReason, UsageError } from "./errors.ts";
import { gradsJson, parseSpikeInput, readJsonFile, sampleSpikes, spikesJson } from "./spike_files.ts";

/** Options of `simulate`, as on the command line. */
export interface SimulateOptions {
  /** Model file (README, "File formats"). */
  readonly model: string;
  /** Input spikes file `[[neuron, time], ...]`. */
  readonly input: string;
  /** Output spikes file to write. */
  readonly out: string;
  /** Class label; with `grad`, gradients of the default loss for it. */
  readonly label?: number;
  /** Gradients file to write; needs `label`. */
  readonly grad?: string;
  /** SVG raster plot to write. */
  readonly raster?: string;
  readonly device: "cpu" | "gpu";
}

/** What `simulate` found, for the summary it prints. */
export interface SimulateSummary {
  /** Engine device: "cpu" or the adapter description. */
  readonly device: string;
  /** (layers) spikes per non-input layer. */
  readonly spikes: number[];
  /** (layers) neurons without a spike per non-input layer. */
  readonly silent: number[];
  /** (layers) neurons per non-input layer. */
  readonly neurons: number[];
  /** Output neuron that fired first; -1 when all are silent. */
  readonly prediction: number;
  /** Loss for `label`, when given. */
  readonly loss?: number;
}

/**
 * Runs `simulate`: every file is checked before any output is written.
 * @param opts the command's options
 * @returns counts for the summary line
 * @throws UsageError or ModelFileError for files the user gave
 */
export async function simulate(opts: SimulateOptions): Promise<SimulateSummary> {
  if (opts.grad !== undefined && opts.label === undefined) {
    throw new UsageError("--grad needs --label (the gradients are those of the loss for that class)");
  }
  const { network } = await readModelFile(opts.model);
  const input = parseSpikeInput(await readJsonFile(opts.input, "input file"), opts.input, network.sizes[0]);
  const nOut = network.sizes[network.sizes.length - 1];
  if (opts.label !== undefined && opts.label >= nOut) {
    throw new UsageError(
      `--label ${opts.label} is not a class of this model (it has ${nOut} outputs: 0..${nOut - 1})`,
    );
  }
  const engine = await createEngine(network, opts.device);
  try {
    let loss: number | undefined;
    let grads: string | undefined;
    let forward;
    if (opts.label !== undefined) {
      const r = await engine.gradients(input, Int32Array.of(opts.label), DEFAULT_LOSS);
      forward = r.forward;
      loss = r.loss;
      grads = gradsJson(r.loss, r.weightGrads, network.sizes, r.inputGrads);
    } else {
      forward = await engine.forward(input);
    }
    const layers = forward.layers.map((layer) => sampleSpikes(layer, 0));
    await writeOutput(opts.out, spikesJson(layers), "output file");
    if (opts.grad !== undefined) await writeOutput(opts.grad, grads!, "gradients file");
    if (opts.raster !== undefined) {
      const name = opts.input.split(/[\\/]/).at(-1);
      const title = `${name}${opts.label !== undefined ? ` (label ${opts.label})` : ""}`;
      await writeOutput(opts.raster, await rasterOf(title, input, network, layers), "raster file");
    }
    return {
      device: engine.device,
      spikes: layers.map((ns) => ns.reduce((n, ts) => n + ts.length, 0)),
      silent: layers.map((ns) => ns.filter((ts) => ts.length === 0).length),
      neurons: layers.map((ns) => ns.length),
      prediction: firstToFire(layers[layers.length - 1]),
      loss,
    };
  } finally {
    engine.dispose();
  }
}

/**
 * One line per fact, for stdout.
 * @param s what `simulate` returned
 */
export function formatSimulateSummary(s: SimulateSummary): string {
  const layers = s.spikes.map((n, l) =>
    `layer ${l + 1}: ${n} spikes, ${s.silent[l]} of ${s.neurons[l]} neurons silent`
  );
  const lines = [
    `device: ${s.device}`,
    ...layers,
    `prediction: ${s.prediction < 0 ? "none (all outputs silent)" : s.prediction}`,
  ];
  if (s.loss !== undefined) lines.push(`loss: ${s.loss}`);
  return lines.join("\n");
}

async function createEngine(network: Network, device: "cpu" | "gpu"): Promise<Engine> {
  // One sample: threads would only add start-up time.
  if (device === "cpu") return new CpuEngine(network, { workers: 1 });
  // Loaded on demand: the WebGPU engine's shaders and adapter are not needed on the CPU path.
  const { createWebGpuEngine } = await import("../engine/webgpu/webgpu_engine.ts");
  return await createWebGpuEngine(network, { adapter: "any" });
}

/** The class rule of MODEL.md section 4: the earliest first spike; ties go to the lower index. */
function firstToFire(outputs: number[][]): number {
  let best = -1;
  for (let i = 0; i < outputs.length; i++) {
    if (outputs[i].length > 0 && (best < 0 || outputs[i][0] < outputs[best][0])) best = i;
  }
  return best;
}

async function rasterOf(title: string, input: SpikeInput, network: Network, layers: number[][][]) {
  const { neuron, time } = input;
  // Loaded on demand: the plotting libraries take a while to load and only --raster needs them.
  const { rasterSvg } = await import("../report/plots.ts");
  const inputs: number[][] = Array.from({ length: network.sizes[0] }, () => []);
  neuron.forEach((n, k) => inputs[n].push(time[k]));
  inputs.forEach((ts) => ts.sort((a, b) => a - b));
  const names = layerNames(layers.length);
  return await rasterSvg({
    title,
    tMax: network.neuron.t_max,
    layers: [{ name: "input", spikes: inputs }, ...layers.map((spikes, l) => ({ name: names[l], spikes }))],
  });
}

async function writeOutput(path: string, text: string, what: string): Promise<void> {
  try {
    await Deno.writeTextFile(path, text);
  } catch (e) {
    if (
      e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied ||
      e instanceof Deno.errors.IsADirectory || e instanceof Deno.errors.NotADirectory
    ) {
      throw new UsageError(`cannot write ${what} ${path}: ${ioReason(e)}`);
    }
    throw e;
  }
}
