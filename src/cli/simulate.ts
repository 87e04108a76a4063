/**
 * `multispike simulate`: one sample through a model file's network, spike times (and gradients of the
 * model's loss for a label) written as JSON, so that anyone can check the engine's numbers. The sample is
 * a file of input spikes or a test sample of a dataset, encoded as `eval` encodes it.
 * @module
 */
import type { DatasetName } from "../data/dataset.ts";
import { CpuEngine } from "../engine/cpu/cpu_engine.ts";
import type { Engine, Network, SpikeInput } from "../engine/engine.ts";
import { type LoadedModel, readModelFile } from "../model/model_file.ts";
import { checkModelFits, modelLoss, modelTIn } from "../train/model_fit.ts";
import { layerNames } from "../report/layer_names.ts";
import { ioReason, UsageError } from "./errors.ts";
import { gradsJson, parseSpikeInput, readJsonFile, sampleSpikes, spikesJson } from "./spike_files.ts";

/** Options of `simulate`, as on the command line. */
export interface SimulateOptions {
  /** Model file (README, "File formats"). */
  readonly model: string;
  /** Input spikes file `[[neuron, time], ...]`; exactly one of `input` and `sample`. */
  readonly input?: string;
  /** Index of a test sample of `dataset`, encoded with the model's input window. */
  readonly sample?: number;
  /** Dataset of `sample` (default "mnist"). */
  readonly dataset?: DatasetName;
  /** Folder with the dataset's files instead of the packaged ones. */
  readonly dataDir?: string;
  /** Output spikes file to write. */
  readonly out: string;
  /** Class label; with `grad`, gradients of the model's loss for it. A `sample`'s own label by default. */
  readonly label?: number;
  /** Gradients file to write; needs `label`. */
  readonly grad?: string;
  /** Raster plot to write: PNG when the name ends in `.png`, else SVG. */
  readonly raster?: string;
  readonly device: "cpu" | "gpu";
}

/** What `simulate` found, for the summary it prints. */
export interface SimulateSummary {
  /** Engine device: "cpu" or the adapter description. */
  readonly device: string;
  /** What went in, e.g. "input.json" or "mnist test sample 0". */
  readonly source: string;
  /** Input spikes. */
  readonly inputSpikes: number;
  /** (layers) spikes per non-input layer. */
  readonly spikes: number[];
  /** (layers) neurons without a spike per non-input layer. */
  readonly silent: number[];
  /** (layers) neurons per non-input layer. */
  readonly neurons: number[];
  /** Output neuron that fired first; -1 when all are silent. */
  readonly prediction: number;
  /** The label the loss is for, when there is one. */
  readonly label?: number;
  /** Loss for `label`, when there is one. */
  readonly loss?: number;
}

/**
 * Runs `simulate`: every file is checked before any output is written.
 * @param opts the command's options
 * @returns counts for the summary line
 * @throws UsageError or ModelFileError for files the user gave
 */
export async function simulate(opts: SimulateOptions): Promise<SimulateSummary> {
  if ((opts.input === undefined) === (opts.sample === undefined)) {
    throw new UsageError("give the input as --input FILE or as --sample N (a test sample of --dataset)");
  }
  const model = await readModelFile(opts.model);
  const { network } = model;
  const sample = opts.input !== undefined
    ? {
      source: opts.input.split(/[\\/]/).at(-1)!,
      input: parseSpikeInput(await readJsonFile(opts.input, "input file"), opts.input, network.sizes[0]),
      label: undefined,
    }
    : await datasetSample(opts.model, model, opts.dataset ?? "mnist", opts.sample!, opts.dataDir);
  const label = opts.label ?? sample.label;
  if (opts.grad !== undefined && label === undefined) {
    throw new UsageError("--grad needs --label (the gradients are those of the loss for that class)");
  }
  const nOut = network.sizes[network.sizes.length - 1];
  if (label !== undefined && label >= nOut) {
    throw new UsageError(
      `--label ${label} is not a class of this model (it has ${nOut} outputs: 0..${nOut - 1})`,
    );
  }
  const { input } = sample;
  const engine = await createEngine(network, opts.device);
  try {
    let loss: number | undefined;
    let grads: string | undefined;
    let forward;
    if (label !== undefined) {
      const r = await engine.gradients(input, Int32Array.of(label), modelLoss(model));
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
      const title = `${sample.source}${label !== undefined ? ` (label ${label})` : ""}`;
      await writeRaster(opts.raster, await rasterOf(title, input, network, layers));
    }
    return {
      device: engine.device,
      source: sample.source,
      inputSpikes: input.neuron.length,
      spikes: layers.map((ns) => ns.reduce((n, ts) => n + ts.length, 0)),
      silent: layers.map((ns) => ns.filter((ts) => ts.length === 0).length),
      neurons: layers.map((ns) => ns.length),
      prediction: firstToFire(layers[layers.length - 1]),
      label,
      loss,
    };
  } finally {
    engine.dispose();
  }
}

/** Test sample `index` of `dataset`, encoded as `eval` encodes it, with its label. */
async function datasetSample(
  path: string,
  model: LoadedModel,
  dataset: DatasetName,
  index: number,
  dataDir: string | undefined,
): Promise<{ source: string; input: SpikeInput; label: number }> {
  // Loaded on demand: the datasets are not needed for a file of input spikes.
  const { loadDataset } = await import("../data/dataset.ts");
  const data = await loadDataset(dataset, { dataDir });
  checkModelFits(path, model, data);
  if (index >= data.test.size) {
    throw new UsageError(
      `--sample ${index} is not a test sample of ${dataset} (it has ${data.test.size}: 0..${
        data.test.size - 1
      })`,
    );
  }
  return {
    source: `${dataset} test sample ${index}`,
    input: data.test.encode([index], modelTIn(model, dataset)),
    label: data.test.labels[index],
  };
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
    `input: ${s.source}, ${s.inputSpikes} spikes${s.label !== undefined ? `, label ${s.label}` : ""}`,
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

/** The raster as PNG when `path` ends in `.png` (a ReportError, one line, when fonts are missing), else SVG. */
async function writeRaster(path: string, svg: string): Promise<void> {
  if (!/\.png$/i.test(path)) return await writeOutput(path, svg, "raster file");
  const { svgToPng } = await import("../report/png.ts");
  await writeOutput(path, await svgToPng(svg), "raster file");
}

async function writeOutput(path: string, data: string | Uint8Array, what: string): Promise<void> {
  try {
    if (typeof data === "string") await Deno.writeTextFile(path, data);
    else await Deno.writeFile(path, data);
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
