/**
 * multispike as a library: multi-spike spiking networks with exact spike-timing gradients.
 *
 * @example
 * ```ts
 * import { CpuEngine, DEFAULT_LOSS, DEFAULT_NEURON, initWeights, loadDataset } from "./mod.ts";
 * const data = await loadDataset("yinyang");
 * const spec = { neuron: DEFAULT_NEURON, sizes: [5, 120, 3] };
 * const engine = new CpuEngine({ ...spec, weights: initWeights(spec, { seed: 0, meanInputEvents: 5 }) });
 * const batch = [0, 1, 2, 3];
 * const r = await engine.gradients(data.train.encode(batch, 2), data.train.labels.slice(0, 4), DEFAULT_LOSS);
 * console.log(r.loss, r.weightGrads[0].length);
 * engine.dispose();
 * ```
 * @module
 */
export type * from "./src/engine/engine.ts";
export { addStats, emptyStats, isImageBatch } from "./src/engine/engine.ts";
export { encodeImages } from "./src/data/encode.ts";
export { flipImages, shiftImages, squareSide } from "./src/data/augment.ts";
export { CpuEngine, type CpuEngineOptions } from "./src/engine/cpu/cpu_engine.ts";
export {
  createWebGpuEngine,
  probeHardwareAdapter,
  WebGpuEngine,
  type WebGpuEngineOptions,
  WebGpuError,
} from "./src/engine/webgpu/webgpu_engine.ts";
export { DEFAULT_LOSS, sampleLoss } from "./src/engine/loss.ts";
export { ADAM_DEFAULTS, adamStep, newAdamState } from "./src/engine/adam.ts";
export { type DropoutConfig, isDropped, keptScale, layerMaskSeed, stepSeed } from "./src/engine/dropout.ts";
export { DEFAULT_NEURON, type NeuronParams, validateNeuronParams } from "./src/model/params.ts";
export { NeuronMath } from "./src/model/kernel.ts";
export { type InitOptions, initWeights } from "./src/model/init.ts";
export { ModelFileError, modelFileJson, parseModel, readModelFile } from "./src/model/model_file.ts";
export {
  type Dataset,
  DATASET_NAMES,
  DatasetError,
  type DatasetName,
  loadDataset,
} from "./src/data/dataset.ts";
export type { TrainConfig } from "./src/train/config.ts";
export { defaultTrainConfig } from "./src/train/defaults.ts";
export { train, type TrainOptions } from "./src/train/trainer.ts";
export { evaluateModel } from "./src/train/evaluate.ts";
export { mergeSweeps, runSweep, SWEEP_PRESETS } from "./src/train/sweep.ts";
