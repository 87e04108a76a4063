/**
 * `multispike train`: the dataset's recommended configuration, overridden by the options given, then
 * `train()` with a progress reporter and Ctrl-C handling.
 * @module
 */
import type { DatasetName } from "../data/dataset.ts";
import type { LossConfig } from "../engine/engine.ts";
import type { NeuronParams } from "../model/params.ts";
import type { DeviceChoice, TrainConfig } from "../train/config.ts";
import { defaultTrainConfig } from "../train/defaults.ts";
import { TrainingInterrupted } from "../train/errors.ts";
import { EXIT_INTERRUPTED, interruptedLine, runInterruptible } from "./interrupt.ts";

/** Options of `train` as commander parses them; absent ones keep the dataset's defaults. */
export interface TrainCliOptions {
  readonly dataset: DatasetName;
  readonly dataDir?: string;
  readonly out: string;
  readonly hidden?: number[];
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly lr?: number;
  readonly lrDecay?: number;
  readonly weightDecay?: number;
  readonly dropout?: number;
  readonly lrWarmup?: number;
  readonly augmentShift?: number;
  readonly augmentFlip?: boolean;
  /** tau_m = tau_s = tau. */
  readonly tau?: number;
  readonly tauM?: number;
  readonly tauS?: number;
  readonly theta?: number;
  readonly maxSpikes?: number;
  readonly tMax?: number;
  readonly tIn?: number;
  readonly loss?: LossConfig["kind"];
  readonly tau0?: number;
  readonly vmaxWeight?: number;
  readonly hiddenVmaxWeight?: number;
  readonly tRefWeight?: number;
  readonly labelSmoothing?: number;
  readonly tRef?: number;
  readonly seed?: number;
  readonly device?: DeviceChoice;
  readonly workers?: number;
  readonly limitTrain?: number;
  readonly validationSize?: number;
  readonly limitTest?: number;
  /** Epochs at the end whose mean weights are kept and measured; 0 = off. */
  readonly averageLast?: number;
  readonly resume?: boolean;
  /** Steps per row of steps.csv; 0 = none. */
  readonly logEvery?: number;
  readonly quiet?: boolean;
}

/** Neuron and network options shared by `train` and `sweep`. */
export type ConfigOverrides = Omit<TrainCliOptions, "dataset" | "out" | "resume" | "logEvery" | "quiet">;

/**
 * The training configuration the options ask for: `base` with every given option replacing its field.
 * @param base the dataset's recommended configuration, e.g. `defaultTrainConfig("mnist")`
 * @param o options given on the command line
 * @returns a frozen configuration
 * @example
 * ```ts
 * trainConfigFromOptions(defaultTrainConfig("yinyang"), { tau: 2, epochs: 1 });
 * ```
 */
export function trainConfigFromOptions(base: TrainConfig, o: ConfigOverrides): TrainConfig {
  const neuron: NeuronParams = {
    ...base.neuron,
    tau_m: o.tau ?? o.tauM ?? base.neuron.tau_m,
    tau_s: o.tau ?? o.tauS ?? base.neuron.tau_s,
    theta: o.theta ?? base.neuron.theta,
    t_max: o.tMax ?? base.neuron.t_max,
    max_spikes: o.maxSpikes ?? base.neuron.max_spikes,
  };
  const loss: LossConfig = {
    ...base.loss,
    kind: o.loss ?? base.loss.kind,
    tau0: o.tau0 ?? base.loss.tau0,
    vmax_weight: o.vmaxWeight ?? base.loss.vmax_weight,
    hidden_vmax_weight: o.hiddenVmaxWeight ?? base.loss.hidden_vmax_weight,
    // Absent means off; left out when not asked for, so that older checkpoints resume unchanged.
    ...(o.tRefWeight !== undefined ? { t_ref_weight: o.tRefWeight } : {}),
    ...(o.labelSmoothing !== undefined ? { label_smoothing: o.labelSmoothing } : {}),
    ...(o.tRef !== undefined ? { t_ref: o.tRef } : {}),
  };
  return Object.freeze({
    ...base,
    ...(o.dataDir !== undefined ? { data_dir: o.dataDir } : {}),
    hidden: o.hidden ?? base.hidden,
    neuron,
    t_in: o.tIn ?? base.t_in,
    loss,
    epochs: o.epochs ?? base.epochs,
    batch_size: o.batchSize ?? base.batch_size,
    lr: o.lr ?? base.lr,
    lr_decay: o.lrDecay ?? base.lr_decay,
    // Absent means off, as with the anchor above.
    ...(o.weightDecay !== undefined ? { weight_decay: o.weightDecay } : {}),
    ...(o.dropout !== undefined ? { dropout: o.dropout } : {}),
    ...(o.lrWarmup !== undefined ? { lr_warmup_steps: o.lrWarmup } : {}),
    ...(o.augmentShift !== undefined ? { augment_shift: o.augmentShift } : {}),
    ...(o.augmentFlip !== undefined ? { augment_flip: o.augmentFlip } : {}),
    seed: o.seed ?? base.seed,
    device: o.device ?? base.device,
    limit_train: o.limitTrain ?? base.limit_train,
    limit_test: o.limitTest ?? base.limit_test,
    // Absent means the dataset's own split; left out when not asked for, so that older checkpoints resume.
    ...(o.validationSize !== undefined ? { validation_size: o.validationSize } : {}),
    ...(o.averageLast ? { average_last_epochs: o.averageLast } : {}),
    workers: o.workers ?? base.workers,
  });
}

/**
 * Runs `train` for the command line.
 * @param o parsed options
 * @param argv the command line without the program name, for the resume hint
 * @returns the exit code: 0, or 130 when Ctrl-C stopped the run
 */
export async function trainCommand(o: TrainCliOptions, argv: readonly string[]): Promise<number> {
  const config = trainConfigFromOptions(defaultTrainConfig(o.dataset), o);
  const [{ train }, { createReporter }] = await Promise.all([
    import("../train/trainer.ts"),
    import("../report/progress.ts"),
  ]);
  const reporter = createReporter({ tty: Deno.stderr.isTerminal(), quiet: o.quiet ?? false });
  const outcome = await runInterruptible((signal) =>
    train(config, { out: o.out, resume: o.resume ?? false, reporter, signal, logEvery: o.logEvery })
  );
  if (outcome.interrupted) {
    const done = outcome.error instanceof TrainingInterrupted ? outcome.error.epochsDone : undefined;
    console.error(interruptedLine(argv, o.out, done));
    return EXIT_INTERRUPTED;
  }
  const s = outcome.value;
  const spikes = (xs: readonly number[]) => xs.map((x) => x.toFixed(2)).join(", ");
  const kept = Number.isNaN(s.best_val_accuracy)
    ? `no validation split: the model of the last epoch, ${s.best_epoch}`
    : `best validation epoch ${s.best_epoch} of ${s.epochs_completed}`;
  console.log(
    `test accuracy ${s.test_accuracy.toFixed(4)} (${kept}); ` +
      `spikes per neuron ${spikes(s.spikes_per_neuron)}; model: ${o.out}/model.json`,
  );
  if (s.averaged) {
    const [from, to] = s.averaged.epochs;
    console.log(
      `test accuracy ${s.averaged.test_accuracy.toFixed(4)} (mean weights of epochs ${from}-${to}); ` +
        `spikes per neuron ${spikes(s.averaged.spikes_per_neuron)}; model: ${o.out}/averaged_model.json`,
    );
  }
  return 0;
}
