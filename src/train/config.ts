/**
 * Training configuration: one typed, frozen object with defaults and units, travelling from the CLI into
 * training and copied whole into every report, checkpoint and model file.
 * @module
 */
import type { DatasetName } from "../data/dataset.ts";
import type { LossConfig } from "../engine/engine.ts";
import type { NeuronParams } from "../model/params.ts";

/** Which engine runs the network. "auto": a hardware WebGPU adapter if any, else the CPU engine. */
export type DeviceChoice = "auto" | "gpu" | "cpu";

/** Everything that defines a training run. */
export interface TrainConfig {
  readonly dataset: DatasetName;
  /** Directory with IDX files instead of the packaged ones, e.g. "/data/fashion". */
  readonly data_dir?: string;
  /** Hidden layer sizes, e.g. [800]. */
  readonly hidden: readonly number[];
  readonly neuron: NeuronParams;
  /** Input encoding window: a pixel of intensity x spikes at t_in * (1 - x), e.g. 5. */
  readonly t_in: number;
  readonly loss: LossConfig;
  readonly epochs: number;
  /** Samples per step, e.g. 64. */
  readonly batch_size: number;
  /** Adam learning rate at epoch 0, e.g. 1e-3. */
  readonly lr: number;
  /** Learning rate multiplied by this after every epoch (exponential schedule), e.g. 0.95. */
  readonly lr_decay: number;
  /**
   * Linear warm-up: the rate of the first `lr_warmup_steps` steps of the run grows from lr / lr_warmup_steps
   * to lr (absent = 0, off). Multi-spike networks with long time constants can lose most of their hidden
   * and some output neurons in the first epoch at a rate that trains them later (Fashion-MNIST, tau 40).
   */
  readonly lr_warmup_steps?: number;
  /** Decoupled weight decay (AdamW): every step also takes lr * weight_decay * w off w (absent = 0, off). */
  readonly weight_decay?: number;
  /**
   * Dropout of hidden neurons while training, in [0, 1) (absent = 0, off): in every step each hidden neuron's
   * spikes are withheld from the next layer with this probability per sample, the rest arrive with weight
   * w / (1 - rate) (src/engine/dropout.ts). Evaluation drops nothing.
   */
  readonly dropout?: number;
  /**
   * Images only: every training image moved by up to this many pixels along each axis, drawn anew each
   * time it is seen (absent = 0, off). Validation and test images are never moved.
   */
  readonly augment_shift?: number;
  /**
   * Images only: every training image mirrored left to right with probability 1/2, drawn anew each time it
   * is seen (absent = false, off). For classes whose mirror images look alike, which digits are not.
   */
  readonly augment_flip?: boolean;
  /**
   * Also keep the mean of the weights at the end of each of the last N epochs (absent = 0, off): written as
   * averaged_model.json and measured on validation and test after the last epoch (weight_average.ts).
   * Changes no step of training, so a run may be resumed with it.
   */
  readonly average_last_epochs?: number;
  readonly seed: number;
  readonly device: DeviceChoice;
  /** Use only the first N training samples (0 = all). */
  readonly limit_train: number;
  /** Use only the first N test samples (0 = all). */
  readonly limit_test: number;
  /**
   * Samples that validate (absent = the dataset's own: the last 5,000 training images, 1,000 generated
   * Yin-Yang points). 0 = none: every training image trains and the last epoch's model is kept, the protocol
   * of papers that train on all 60,000 images and report the final network.
   */
  readonly validation_size?: number;
  /** CPU worker threads (0 = one per core, 1 = main thread only). */
  readonly workers: number;
}

/**
 * Optimizer steps per row of a run's steps.csv when `--log-every` is not given: 100 steps are 6,400 samples
 * at batch 64, 9 rows per MNIST epoch.
 */
export const DEFAULT_LOG_EVERY = 100;
