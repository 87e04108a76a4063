/**
 * Training: epochs of shuffled minibatches through `engine.trainStep`, validation and test after every
 * epoch, best-model keeping, an atomic checkpoint per epoch that `resume` continues bit-for-bit, and the
 * run's files (README, "Output files"):
 *
 * - `metrics.csv`: one row per epoch (columns in `epochRow`);
 * - `steps.csv`: one row per `logEvery` optimizer steps inside the epochs (`StepLog`);
 * - `summary.json`: configuration, environment, device, figures of the epochs so far (`TrainSummary`; `completed`
 *   tells a finished run from an interrupted one);
 * - `model.json`: the model with the best validation accuracy; `last_model.json`: the last one;
 *   `averaged_model.json` (with `average_last_epochs`): the mean weights of the last epochs so far;
 * - `curves.svg`/`.png`: accuracy, loss and spikes per neuron against epoch; `raster.svg`: one test sample;
 * - `checkpoint.json`: the state after the last finished epoch.
 * @module
 */
import { flipImages, shiftImages, squareSide } from "../data/augment.ts";
import { augmentSeed, dropoutSeed, flipSeed, shuffleSeed } from "./seeds.ts";
import { type Dataset, loadDataset } from "../data/dataset.ts";
import { ADAM_DEFAULTS } from "../engine/adam.ts";
import { type DropoutConfig, stepSeed } from "../engine/dropout.ts";
import {
  addStats,
  emptyStats,
  type Engine,
  type EngineInput,
  isImageBatch,
  type Network,
} from "../engine/engine.ts";
import { initWeights } from "../model/init.ts";
import { modelFileJson } from "../model/model_file.ts";
import { validateNeuronParams } from "../model/params.ts";
import { parseCsv, toCsv, writeTextAtomic } from "../report/csv.ts";
import type { Reporter } from "../report/progress.ts";
import { Rng } from "../util/rng.ts";
import {
  type Checkpoint,
  CHECKPOINT_FILE,
  configDifference,
  type MetricsRow,
  readCheckpoint,
  writeCheckpoint,
} from "./checkpoint.ts";
import { exists, prepareOutDir } from "./files.ts";
import { DEFAULT_LOG_EVERY, type TrainConfig } from "./config.ts";
import { createEngine, type EngineChoice } from "./engine_select.ts";
import { TrainingError, TrainingInterrupted } from "./errors.ts";
import { evaluateSplit, layerSummaries, type SplitResult } from "./split_eval.ts";
import { addEpochWeights, averagedWeights, resumedAverage, type WeightAverage } from "./weight_average.ts";
import { runSteps } from "./step_pipeline.ts";
import { keptStepRows, StepLog, type StepRow } from "./step_log.ts";
import { runWarnings } from "./health.ts";
import {
  type AveragedSummary,
  beatsBest,
  bestKey,
  epochRow,
  makeSummary,
  type RunState,
  type TrainSummary,
} from "./run_summary.ts";

export type { Environment, RunState, TrainSummary } from "./run_summary.ts";
import { writeRunPlots } from "./run_plots.ts";
import { eventLoopTurn } from "../util/event_loop.ts";

/** Options of `train`. */
export interface TrainOptions {
  /** Output directory; created if missing. */
  readonly out: string;
  /** Continue from `out/checkpoint.json` (start fresh when there is none). */
  readonly resume: boolean;
  readonly reporter: Reporter;
  /** Stops the run between two steps; the last checkpoint stays as it was. */
  readonly signal?: AbortSignal;
  /** Engine factory, for tests (default: `createEngine` with the config's device and workers). */
  readonly createEngine?: (network: Network, config: TrainConfig) => Promise<EngineChoice>;
  /** Skip curves.svg/.png and raster.svg (sweeps write their own plots). */
  readonly plots?: boolean;
  /** Optimizer steps per row of steps.csv (default DEFAULT_LOG_EVERY); 0 writes no steps.csv. */
  readonly logEvery?: number;
}

/**
 * Trains a network as `config` says and writes the run's files into `opts.out`.
 * @param config the run's configuration (copied whole into every file)
 * @param opts output directory, resume flag, progress reporter, abort signal
 * @returns the summary written to summary.json
 * @throws TrainingError when the output directory is unusable, the checkpoint belongs to another
 *   configuration, or the loss or the weights stop being finite (the last good checkpoint is kept)
 * @throws TrainingInterrupted when `signal` aborts the run
 * @example
 * ```ts
 * const cfg = { ...defaultTrainConfig("yinyang"), epochs: 2 };
 * await train(cfg, { out: "runs/yy", resume: false, reporter: createReporter() });
 * ```
 */
export async function train(config: TrainConfig, opts: TrainOptions): Promise<TrainSummary> {
  checkConfig(config);
  const { out, reporter } = opts;
  await prepareOutDir(out);
  const ck = await startingPoint(config, opts);
  const average = resumedAverage(ck?.average, ck?.epoch ?? 0, config.epochs, config.average_last_epochs ?? 0);
  // The data's own seed stays at its default: runs with different seeds differ in initial weights and
  // shuffling, and are all measured on the same test set.
  const data = await loadDataset(config.dataset, {
    dataDir: config.data_dir,
    limitTrain: config.limit_train,
    limitTest: config.limit_test,
    validationSize: config.validation_size,
  });
  const sizes = [data.inputSize, ...config.hidden, data.classes];
  const augment = augmentOption(config);
  if (augment) checkAugmentable(data, augment);
  const spec = { neuron: config.neuron, sizes };
  if (ck && ck.weights.some((w, l) => w.length !== sizes[l] * sizes[l + 1])) {
    throw new TrainingError(
      `checkpoint in ${out} does not fit the network ${sizes.join("-")}; choose another --out`,
    );
  }
  const weights = ck?.weights ??
    initWeights(spec, { seed: config.seed, meanInputEvents: data.train.meanEvents });
  const network: Network = { ...spec, weights };
  const choice = await (opts.createEngine ?? ((n, c) => createEngine(n, c.device, c.workers)))(
    network,
    config,
  );
  const engine = choice.engine;
  try {
    if (ck) await engine.setOptimizerState(ck.adam);
    if (ck) reporter.log(`resuming ${out} after epoch ${ck.epoch} of ${config.epochs}`);
    reporter.log(`training ${config.dataset} ${sizes.join("-")} on ${choice.reason}`);
    const state = await runEpochs(choice, data, config, opts, ck, average);
    if (opts.plots !== false) {
      await writeRunPlots(out, engine, data, config, state, (line) => reporter.log(line));
    }
    if (state.average && state.metrics.length >= config.epochs) {
      state.averaged = await measureAverage(choice, data, config, state.average, opts);
    }
    return await writeSummary(out, makeSummary(config, data, sizes, choice, state));
  } finally {
    engine.dispose();
  }
}

/** The first image augmentation `c` asks for, by its config name, or null when it asks for none. */
function augmentOption(c: TrainConfig): "augment_shift" | "augment_flip" | null {
  return (c.augment_shift ?? 0) > 0 ? "augment_shift" : c.augment_flip ? "augment_flip" : null;
}

/** Shifting and mirroring need square images (the image datasets are checked by name in `checkConfig`). */
function checkAugmentable(data: Dataset, option: string): void {
  try {
    squareSide(data.inputSize);
  } catch (e) {
    if (e instanceof RangeError) throw new TrainingError(`${option}: ${e.message}`);
    throw e;
  }
}

async function runEpochs(
  choice: EngineChoice,
  data: Dataset,
  config: TrainConfig,
  opts: TrainOptions,
  ck: Checkpoint | null,
  resumedAverage: WeightAverage | null,
): Promise<RunState> {
  const { out, reporter, signal } = opts;
  let average = resumedAverage;
  const engine = choice.engine;
  const sizes = engine.spec.sizes;
  const rng = new Rng(shuffleSeed(config.seed));
  if (ck) rng.state = ck.rngState;
  const metrics = ck ? ck.metrics.slice() : [];
  let best = ck?.best ?? null;
  let seconds = ck?.seconds ?? 0;
  const startedAt = ck?.startedAt || new Date().toISOString();
  const n = data.train.size;
  const bs = config.batch_size;
  const steps = Math.ceil(n / bs);
  const shift = config.augment_shift ?? 0;
  const flip = config.augment_flip === true;
  const side = shift > 0 || flip ? squareSide(data.inputSize) : 0;
  const adam = { ...ADAM_DEFAULTS, weight_decay: config.weight_decay ?? 0 };
  // Masks of step k of the run (counted over epochs, so a resumed run draws what it would have) hash a seed
  // of their own: a run with --dropout 0 shuffles, shifts and initialises as one without it.
  const dropoutRate = config.dropout ?? 0;
  const dropoutStream = dropoutSeed(config.seed);
  const dropoutOf = (step: number): DropoutConfig | undefined =>
    dropoutRate > 0 ? { rate: dropoutRate, seed: stepSeed(dropoutStream, step) } : undefined;
  const stepLog = await openStepLog(out, opts.logEvery ?? DEFAULT_LOG_EVERY, sizes, ck?.epoch ?? 0);
  // At the end of every epoch, and when a run diverges, so that the steps leading up to it are on record.
  const writeSteps = async () => {
    if (!stepLog) return;
    stepLog.endEpoch();
    await writeTextAtomic(`${out}/${STEPS_FILE}`, toCsv(stepLog.rows));
  };
  const interrupted = (epoch: number) =>
    new TrainingInterrupted(
      `interrupted during epoch ${
        epoch + 1
      }; ${epoch} epoch(s) kept in ${out}/${CHECKPOINT_FILE} (continue with --resume)`,
      epoch,
    );
  for (let epoch = ck?.epoch ?? 0; epoch < config.epochs; epoch++) {
    const t0 = performance.now();
    const lr = config.lr * Math.pow(config.lr_decay, epoch);
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    const shiftRng = new Rng(augmentSeed(config.seed, epoch));
    const flipRng = new Rng(flipSeed(config.seed, epoch));
    const trainBatch = (idx: Int32Array): EngineInput => {
      let batch = data.train.batch(idx, config.t_in);
      if (shift > 0 && isImageBatch(batch)) batch = shiftImages(batch, side, shift, shiftRng);
      if (flip && isImageBatch(batch)) batch = flipImages(batch, side, flipRng);
      return batch;
    };
    reporter.start(`epoch ${epoch + 1}/${config.epochs}`, steps);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    const trainStats = emptyStats(sizes.length - 1);
    // The engine may queue a step before the previous one's metrics are back (stepsInFlight); every step has
    // finished before the evaluation and checkpoint below, and before an interruption or error leaves.
    const stepLr = (step: number) => lr * warmupFactor(epoch * steps + step, config.lr_warmup_steps ?? 0);
    await runSteps(steps, engine.stepsInFlight ?? 1, async (step) => {
      // Ctrl-C must be heard while a one-thread CPU engine keeps the event loop busy.
      await eventLoopTurn();
      if (signal?.aborted) throw interrupted(epoch);
      const idx = order.subarray(step * bs, Math.min(n, (step + 1) * bs));
      const labels = Int32Array.from(idx, (i) => data.train.labels[i]);
      return engine.trainStep(
        trainBatch(idx),
        labels,
        config.loss,
        { ...adam, lr: stepLr(step) },
        dropoutOf(epoch * steps + step),
      );
    }, (step, m) => {
      stepLog?.add(epoch + 1, step, stepLr(step), m);
      if (!Number.isFinite(m.loss)) {
        reporter.stop("diverged");
        throw diverged(epoch, step, out, `loss is ${m.loss}`);
      }
      lossSum += m.loss;
      correct += m.correct;
      seen += m.size;
      addStats(trainStats, m.stats);
      reporter.update(step + 1, { loss: lossSum / seen, acc: correct / seen });
    }).catch(async (e) => {
      // With steps in flight, several submissions can meet the abort; the progress line says it once, here.
      if (e instanceof TrainingInterrupted) reporter.stop("interrupted");
      else if (e instanceof TrainingError) await writeSteps();
      throw e;
    });
    const trainSeconds = (performance.now() - t0) / 1000;
    const { val, test } = await evaluateValidationAndTest(engine, data, config, signal, () => {
      reporter.stop("interrupted");
      return interrupted(epoch);
    });
    const weights = await engine.getWeights();
    const bad = weights.findIndex((w) => w.some((x) => !Number.isFinite(x)));
    if (bad >= 0) {
      reporter.stop("diverged");
      await writeSteps();
      throw diverged(epoch, steps - 1, out, `weights of layer ${bad + 1} are not finite`);
    }
    average = addEpochWeights(average, weights, epoch + 1, config.epochs, config.average_last_epochs ?? 0);
    const epochSeconds = (performance.now() - t0) / 1000;
    seconds += epochSeconds;
    const row = epochRow({
      epoch: epoch + 1,
      lr,
      lossSum,
      correct,
      seen,
      val,
      test,
      sizes,
      trainStats,
      trainSeconds,
      seconds: epochSeconds,
    });
    metrics.push(row);
    // Without a validation split the last model counts as the best.
    const key = bestKey(val.accuracy);
    if (!best || beatsBest(key, best.valAccuracy)) best = { epoch: epoch + 1, valAccuracy: key, weights };
    reporter.stop(
      `epoch ${epoch + 1}/${config.epochs}: loss ${fmt(row.train_loss)} acc ${pct(row.train_acc)} | ` +
        `val ${pct(val.accuracy)} | test ${pct(test.accuracy)} | ${
          fmt(row.spikes_per_neuron_l1)
        } spikes/neuron | ` +
        `${epochSeconds.toFixed(1)} s`,
    );
    // A warning is said once, in the epoch that raises it; summary.json keeps the first and the latest.
    const before = runWarnings(metrics.slice(0, -1), sizes.length - 1);
    for (const w of runWarnings(metrics, sizes.length - 1)) {
      if (!before.includes(w)) reporter.log(`warning: ${w}`);
    }
    // Files first, checkpoint last: a crash in between repeats this epoch, which gives the same files.
    const network: Network = { neuron: config.neuron, sizes, weights: best.weights };
    await writeTextAtomic(
      `${out}/model.json`,
      modelFileJson(network, { config, t_in: config.t_in, epoch: best.epoch }),
    );
    await writeTextAtomic(
      `${out}/last_model.json`,
      modelFileJson({ ...network, weights }, { config, t_in: config.t_in, epoch: epoch + 1 }),
    );
    if (average) {
      const to = average.from + average.count - 1;
      await writeTextAtomic(
        `${out}/${AVERAGED_MODEL_FILE}`,
        modelFileJson({ ...network, weights: averagedWeights(average) }, {
          config,
          t_in: config.t_in,
          epoch: to,
          averaged_epochs: [average.from, to],
        }),
      );
    }
    await writeTextAtomic(`${out}/metrics.csv`, toCsv(metrics));
    await writeSteps();
    // Every epoch, so that an interrupted run (or a resumed one) never leaves the summary of an earlier run.
    await writeSummary(
      out,
      makeSummary(config, data, sizes, choice, runState(metrics, best, sizes, seconds, startedAt, average)),
    );
    await writeCheckpoint(out, {
      config,
      epoch: epoch + 1,
      rngState: rng.state,
      weights,
      adam: await engine.getOptimizerState(),
      best,
      average,
      metrics,
      seconds,
      startedAt,
    });
  }
  if (!best) throw new TrainingError(`no epoch to run: epochs is ${config.epochs}`);
  return runState(metrics, best, sizes, seconds, startedAt, average);
}

/**
 * The validation and test splits through the engine's current weights; when `signal` aborts the pass, throws
 * what `onAbort` returns instead of the signal's reason.
 */
async function evaluateValidationAndTest(
  engine: Engine,
  data: Dataset,
  config: TrainConfig,
  signal: AbortSignal | undefined,
  onAbort: () => Error,
): Promise<{ val: SplitResult; test: SplitResult }> {
  try {
    const val = await evaluateSplit(engine, data.validation, config.t_in, config.loss, { signal });
    const test = await evaluateSplit(engine, data.test, config.t_in, config.loss, { signal });
    return { val, test };
  } catch (e) {
    if (signal?.aborted) throw onAbort();
    throw e;
  }
}

/** File name of the averaged weights (`average_last_epochs`) inside a run's output directory. */
export const AVERAGED_MODEL_FILE = "averaged_model.json";

/**
 * Validation and test figures of the averaged weights, measured once the last epoch is done. The engine keeps
 * the averaged weights afterwards: nothing trains after this.
 */
async function measureAverage(
  choice: EngineChoice,
  data: Dataset,
  config: TrainConfig,
  average: WeightAverage,
  opts: TrainOptions,
): Promise<AveragedSummary> {
  const { engine } = choice;
  const epochs: [number, number] = [average.from, average.from + average.count - 1];
  await engine.setWeights(averagedWeights(average));
  const { val, test } = await evaluateValidationAndTest(
    engine,
    data,
    config,
    opts.signal,
    () =>
      new TrainingInterrupted(
        `interrupted while measuring the averaged weights; all ${config.epochs} epochs kept in ` +
          `${opts.out}/${CHECKPOINT_FILE} (--resume measures them)`,
        config.epochs,
      ),
  );
  const layers = layerSummaries(test.stats, engine.spec.sizes, test.size);
  opts.reporter.log(
    `averaged weights of epochs ${epochs[0]}-${epochs[1]}: val ${pct(val.accuracy)} | test ${
      pct(test.accuracy)
    } | ${fmt(layers[0].spikes_per_neuron)} spikes/neuron`,
  );
  return {
    epochs,
    val_accuracy: val.accuracy,
    test_accuracy: test.accuracy,
    test_loss: test.loss,
    spikes_per_neuron: layers.map((l) => l.spikes_per_neuron),
    layers,
  };
}

const STEPS_FILE = "steps.csv";

/**
 * The step log of a run that has `epochsDone` epochs behind it: null when `every` is 0; on a resumed run, with
 * the rows of those epochs from the steps.csv already in `out` (none when it is missing: the log is a record,
 * not the run's state, so its absence does not stop a resume).
 */
async function openStepLog(
  out: string,
  every: number,
  sizes: readonly number[],
  epochsDone: number,
): Promise<StepLog | null> {
  if (every === 0) return null;
  let kept: StepRow[] = [];
  if (epochsDone > 0) {
    try {
      kept = keptStepRows(parseCsv(await Deno.readTextFile(`${out}/${STEPS_FILE}`)), epochsDone);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return new StepLog(every, sizes, kept);
}

/** The run so far, as the summary reports it; `best` is the model of the best validation epoch so far. */
function runState(
  metrics: MetricsRow[],
  best: NonNullable<Checkpoint["best"]>,
  sizes: readonly number[],
  seconds: number,
  startedAt: string,
  average: WeightAverage | null,
): RunState {
  const bestRow = metrics[best.epoch - 1];
  return {
    metrics,
    best,
    bestTest: {
      accuracy: bestRow.test_acc,
      loss: bestRow.test_loss,
      layers: sizes.slice(1).map((_, l) => ({
        spikes_per_neuron: bestRow[`spikes_per_neuron_l${l + 1}`],
        silent_fraction: bestRow[`silent_fraction_l${l + 1}`],
        cap_hits: bestRow[`cap_hits_l${l + 1}`],
        grazing: bestRow[`grazing_l${l + 1}`],
        overflow: bestRow.overflow,
      })),
    },
    seconds,
    startedAt,
    average,
  };
}

async function writeSummary(out: string, summary: TrainSummary): Promise<TrainSummary> {
  await writeTextAtomic(`${out}/summary.json`, JSON.stringify(summary, null, 2) + "\n");
  return summary;
}

function diverged(epoch: number, step: number, out: string, what: string): TrainingError {
  const kept = epoch > 0
    ? `last good checkpoint (epoch ${epoch}) kept in ${out}`
    : `no checkpoint was written`;
  return new TrainingError(
    `diverged at epoch ${epoch + 1} step ${step + 1} (${what}); ${kept}; try a smaller --lr`,
  );
}

/** Rejects settings no run can use, before any work. */
function checkConfig(c: TrainConfig): void {
  const bad = (what: string) => {
    throw new TrainingError(`invalid training configuration: ${what}`);
  };
  try {
    validateNeuronParams(c.neuron);
  } catch (e) {
    if (e instanceof RangeError) bad(e.message);
    throw e;
  }
  const posInt = (x: number) => Number.isInteger(x) && x >= 1;
  const pos = (x: number) => Number.isFinite(x) && x > 0;
  if (!posInt(c.epochs)) bad(`epochs must be an integer >= 1, got ${c.epochs}`);
  if (!posInt(c.batch_size)) bad(`batch_size must be an integer >= 1, got ${c.batch_size}`);
  if (!pos(c.lr)) bad(`lr must be a finite number > 0, got ${c.lr}`);
  if (!pos(c.lr_decay) || c.lr_decay > 1) bad(`lr_decay must be in (0, 1], got ${c.lr_decay}`);
  if (!pos(c.t_in)) bad(`t_in must be a finite number > 0, got ${c.t_in}`);
  if (c.hidden.length === 0 || !c.hidden.every(posInt)) {
    bad(`hidden sizes must be integers >= 1, got [${c.hidden}]`);
  }
  if (!pos(c.loss.tau0)) bad(`loss.tau0 must be a finite number > 0, got ${c.loss.tau0}`);
  const nonNeg = (x: number | undefined) => x === undefined || (Number.isFinite(x) && x >= 0);
  if (!nonNeg(c.loss.t_ref_weight)) {
    bad(`loss.t_ref_weight must be a finite number >= 0, got ${c.loss.t_ref_weight}`);
  }
  if (!nonNeg(c.loss.t_ref)) bad(`loss.t_ref must be a finite number >= 0, got ${c.loss.t_ref}`);
  const smoothing = c.loss.label_smoothing;
  if (smoothing !== undefined && !(smoothing >= 0 && smoothing < 1)) {
    bad(`loss.label_smoothing must be in [0, 1), got ${smoothing}`);
  }
  if (!nonNeg(c.weight_decay)) bad(`weight_decay must be a finite number >= 0, got ${c.weight_decay}`);
  if (c.dropout !== undefined && !(c.dropout >= 0 && c.dropout < 1)) {
    bad(`dropout must be in [0, 1), got ${c.dropout}`);
  }
  const warmup = c.lr_warmup_steps;
  if (warmup !== undefined && !(Number.isInteger(warmup) && warmup >= 0)) {
    bad(`lr_warmup_steps must be an integer >= 0, got ${warmup}`);
  }
  const shift = c.augment_shift;
  if (shift !== undefined && !(Number.isInteger(shift) && shift >= 0)) {
    bad(`augment_shift must be an integer >= 0, got ${shift}`);
  }
  if (c.augment_flip !== undefined && typeof c.augment_flip !== "boolean") {
    bad(`augment_flip must be true or false, got ${JSON.stringify(c.augment_flip)}`);
  }
  // Checked here, before --out is created: Yin-Yang samples are points, not images.
  const augment = augmentOption(c);
  if (augment && c.dataset === "yinyang") bad(`${augment} needs an image dataset; yinyang is not one`);
}

/** The checkpoint to continue from, after checking that it belongs to this configuration. */
async function startingPoint(config: TrainConfig, opts: TrainOptions): Promise<Checkpoint | null> {
  const { out } = opts;
  if (!opts.resume) {
    if (await exists(`${out}/${CHECKPOINT_FILE}`)) {
      throw new TrainingError(
        `${out} already holds a training run; continue it with --resume or choose another --out`,
      );
    }
    return null;
  }
  const ck = await readCheckpoint(out);
  if (!ck) return null;
  const diff = configDifference(ck.config, config);
  if (diff) {
    // Most often a dataset default that changed since the run began (both image sets' on 2026-12-06): say how
    // to go on.
    throw new TrainingError(
      `checkpoint in ${out} was made with another configuration: ${diff}; ` +
        `give the run's own settings as options (config in ${out}/checkpoint.json) or choose another --out`,
    );
  }
  if (ck.epoch > config.epochs) {
    throw new TrainingError(
      `checkpoint in ${out} has ${ck.epoch} epochs done, more than the ${config.epochs} asked for`,
    );
  }
  return ck;
}

const fmt = (x: number) => Number.isFinite(x) ? x.toPrecision(4) : String(x);
const pct = (x: number) => Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : "-";

/**
 * The factor on the learning rate of optimizer step `step` (0-based, counted over the whole run) under a
 * linear warm-up of `warmup` steps: (step + 1) / warmup until it reaches 1; 1 without warm-up.
 */
export function warmupFactor(step: number, warmup: number): number {
  return warmup > 0 ? Math.min(1, (step + 1) / warmup) : 1;
}
