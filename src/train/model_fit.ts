/**
 * A model file meets a dataset: the encoding window and loss it was trained with, and the check that its
 * input and output layers fit the dataset. `eval` and `simulate --sample` share these rules, so that a
 * sample simulated alone is the sample `eval` scores.
 * @module
 */
import type { Dataset, DatasetName } from "../data/dataset.ts";
import type { LossConfig } from "../engine/engine.ts";
import { DEFAULT_LOSS } from "../engine/loss.ts";
import type { LoadedModel } from "../model/model_file.ts";
import { defaultTrainConfig } from "./defaults.ts";
import { TrainingError } from "./errors.ts";

/**
 * The input window a model's samples are encoded with: the one training stored, else the dataset's default.
 * @param model a loaded model file
 * @param dataset the dataset its samples come from
 * @returns t_in, e.g. 5
 */
export function modelTIn(model: LoadedModel, dataset: DatasetName): number {
  return model.t_in ?? model.config?.t_in ?? defaultTrainConfig(dataset).t_in;
}

/**
 * The loss a model is scored with: the one it was trained with when the file records it, else DEFAULT_LOSS
 * (hand-written model files carry no training configuration).
 * @param model a loaded model file
 */
export function modelLoss(model: LoadedModel): LossConfig {
  return model.config?.loss ?? DEFAULT_LOSS;
}

/**
 * Checks that a model's first layer takes the dataset's inputs and its last layer has one neuron per class.
 * @param path the model file, for the message
 * @param model the loaded model
 * @param data the dataset
 * @throws TrainingError (one line, exit code 2) when they do not fit
 */
export function checkModelFits(path: string, model: LoadedModel, data: Dataset): void {
  const sizes = model.network.sizes;
  if (sizes[0] !== data.inputSize || sizes[sizes.length - 1] !== data.classes) {
    throw new TrainingError(
      `model ${path} is a ${sizes.join("-")} network but ${data.name} has ${data.inputSize} inputs ` +
        `and ${data.classes} classes`,
    );
  }
}
