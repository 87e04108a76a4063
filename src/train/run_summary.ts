/**
 * The figures of a training run: one metrics.csv row per epoch (`epochRow`) and summary.json
 * (`TrainSummary`, `makeSummary`).
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import type { LayerStats } from "../engine/engine.ts";
import type { Checkpoint, MetricsRow } from "./checkpoint.ts";
import type { TrainConfig } from "./config.ts";
import type { EngineChoice } from "./engine_select.ts";
import { runWarnings } from "./health.ts";
import { layerSummaries, type LayerSummary, type SplitResult } from "./split_eval.ts";
import type { WeightAverage } from "./weight_average.ts";

/** Where and on what a run ran. */
export interface Environment {
  readonly deno: string;
  readonly v8: string;
  readonly typescript: string;
  readonly os: string;
  readonly arch: string;
  readonly cpus: number;
  /** "cpu" or the WebGPU adapter description. */
  readonly device: string;
  /** Why that engine was chosen, e.g. "cpu: no hardware WebGPU adapter". */
  readonly device_reason: string;
}

/** The content of summary.json. */
export interface TrainSummary {
  readonly format: "multispike-train-summary";
  readonly version: 1;
  readonly config: TrainConfig;
  readonly environment: Environment;
  /** Layer sizes including the input, e.g. [784, 800, 10]. */
  readonly sizes: readonly number[];
  readonly dataset: {
    readonly name: string;
    readonly source: string;
    readonly train: number;
    readonly validation: number;
    readonly test: number;
  };
  /** Epochs finished (equals config.epochs for a completed run). */
  readonly epochs_completed: number;
  readonly completed: boolean;
  /**
   * 1-based epoch of the best validation accuracy (the last epoch without a validation split); model.json
   * holds its weights.
   */
  readonly best_epoch: number;
  /** NaN (null in summary.json) without a validation split. */
  readonly best_val_accuracy: number;
  /** Test accuracy of model.json (the best-validation model). */
  readonly test_accuracy: number;
  readonly test_loss: number;
  /** Test accuracy after the last epoch (last_model.json). */
  readonly last_test_accuracy: number;
  /** Per non-input layer, on the test split, for model.json: mean spikes per neuron per sample. */
  readonly spikes_per_neuron: number[];
  /** Per non-input layer: the full statistics of model.json on the test split. */
  readonly layers: LayerSummary[];
  /** Training samples per second (forward + backward + update), over all epochs. */
  readonly samples_per_second: number;
  /** Wall-clock seconds of all finished epochs (training and evaluation). */
  readonly seconds: number;
  readonly started_at: string;
  readonly finished_at: string;
  /** What the run's metrics warn of (health.ts), e.g. output neurons that stay silent; empty when nothing. */
  readonly warnings: string[];
  /** With --average-last, once the last epoch is done: the figures of averaged_model.json. */
  readonly averaged?: AveragedSummary;
}

/** The mean weights of a run's last epochs (averaged_model.json), measured after the last epoch. */
export interface AveragedSummary {
  /** First and last epoch averaged, 1-based, e.g. [16, 20]. */
  readonly epochs: [number, number];
  /** NaN (null in summary.json) without a validation split. */
  readonly val_accuracy: number;
  readonly test_accuracy: number;
  readonly test_loss: number;
  /** Per non-input layer, on the test split: mean spikes per neuron per sample. */
  readonly spikes_per_neuron: number[];
  readonly layers: LayerSummary[];
}

/** What the epoch loop leaves behind. */
export interface RunState {
  metrics: MetricsRow[];
  best: Checkpoint["best"];
  /** Test-split figures of the best model, from its epoch's row of metrics.csv. */
  bestTest: { accuracy: number; loss: number; layers: LayerSummary[] };
  seconds: number;
  startedAt: string;
  /** The running sum of --average-last; null when off or before its window. */
  average: WeightAverage | null;
  /** Its figures, once measured after the last epoch. */
  averaged?: AveragedSummary;
}

/**
 * One row of metrics.csv. Spike statistics (spikes per neuron, silent fraction, cap hits, grazing) are those
 * of the test split with the weights at the end of the epoch (as in summary.json); `overflow` sums all
 * phases; `train_*` are means over the epoch's steps, with weights changing as it goes.
 */
export function epochRow(x: {
  epoch: number;
  lr: number;
  lossSum: number;
  correct: number;
  seen: number;
  val: SplitResult;
  test: SplitResult;
  sizes: readonly number[];
  trainStats: LayerStats[];
  trainSeconds: number;
  seconds: number;
}): MetricsRow {
  const row: MetricsRow = {
    epoch: x.epoch,
    lr: x.lr,
    train_loss: x.lossSum / x.seen,
    train_acc: x.correct / x.seen,
    val_loss: x.val.loss,
    val_acc: x.val.accuracy,
    test_loss: x.test.loss,
    test_acc: x.test.accuracy,
  };
  const layers = layerSummaries(x.test.stats, x.sizes, x.test.size);
  const fields = ["spikes_per_neuron", "silent_fraction", "cap_hits", "grazing"] as const;
  for (const f of fields) layers.forEach((s, l) => row[`${f}_l${l + 1}`] = s[f]);
  let overflow = 0;
  for (const s of [...x.trainStats, ...x.val.stats, ...x.test.stats]) overflow += s.overflow;
  row.overflow = overflow;
  row.train_spikes_per_neuron_l1 = x.trainStats[0].spikes / Math.max(1, x.seen * x.sizes[1]);
  row.train_seconds = x.trainSeconds;
  row.eval_seconds = x.val.seconds + x.test.seconds;
  row.seconds = x.seconds;
  row.samples_per_s = x.seen / x.trainSeconds;
  return row;
}

/**
 * The content of summary.json for a finished (or cut short) run: the best epoch's test figures, speed over
 * every epoch's training phase, and the environment it ran in.
 * @param config the run's configuration, copied whole
 * @param data the dataset (split sizes and source)
 * @param sizes layer sizes including the input, e.g. `[5, 120, 3]`
 * @param choice the engine and why it was chosen
 * @param state what the epoch loop left behind (at least one epoch)
 */
export function makeSummary(
  config: TrainConfig,
  data: Dataset,
  sizes: readonly number[],
  choice: EngineChoice,
  state: RunState,
): TrainSummary {
  const m = state.metrics;
  const trainSamples = m.reduce((s, r) => s + r.samples_per_s * r.train_seconds, 0);
  const trainSeconds = m.reduce((s, r) => s + r.train_seconds, 0);
  return {
    format: "multispike-train-summary",
    version: 1,
    config,
    environment: environment(choice),
    sizes: [...sizes],
    dataset: {
      name: data.name,
      source: data.source,
      train: data.train.size,
      validation: data.validation.size,
      test: data.test.size,
    },
    epochs_completed: m.length,
    completed: m.length >= config.epochs,
    best_epoch: state.best!.epoch,
    best_val_accuracy: m[state.best!.epoch - 1].val_acc,
    test_accuracy: state.bestTest.accuracy,
    test_loss: state.bestTest.loss,
    last_test_accuracy: m[m.length - 1].test_acc,
    spikes_per_neuron: state.bestTest.layers.map((l) => l.spikes_per_neuron),
    layers: state.bestTest.layers,
    samples_per_second: trainSamples / Math.max(1e-9, trainSeconds),
    seconds: state.seconds,
    started_at: state.startedAt,
    finished_at: new Date().toISOString(),
    warnings: runWarnings(m, sizes.length - 1),
    ...(state.averaged ? { averaged: state.averaged } : {}),
  };
}

function environment(choice: EngineChoice): Environment {
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    os: Deno.build.os,
    arch: Deno.build.arch,
    cpus: navigator.hardwareConcurrency ?? 1,
    device: choice.engine.device,
    device_reason: choice.reason,
  };
}

/**
 * The model-keeping rule of a run, as a key per epoch: its validation accuracy, or Infinity without a
 * validation split (NaN), so that then every epoch counts as the best and the last one is kept.
 */
export function bestKey(valAcc: number): number {
  return Number.isNaN(valAcc) ? Infinity : valAcc;
}

/**
 * Whether an epoch with key `key` replaces the best so far (key `best`): only when strictly better, so the
 * first of equal epochs stays; always without a validation split.
 */
export function beatsBest(key: number, best: number): boolean {
  return key > best || key === Infinity;
}
