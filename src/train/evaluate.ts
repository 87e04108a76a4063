/**
 * `eval`: a model file on a dataset's test split: accuracy, confusion matrix, per-class figures, spike
 * statistics per layer, decision time (first output spike), samples without any output spike, ties of the
 * readout; with `timing`, when each layer's spikes come relative to the decision (spike_timing.ts). Writes
 * eval.json, confusion.csv and per_class.csv (and timing.csv, timing.svg/.png) when given a directory.
 * @module
 */
import { type DatasetName, loadDataset } from "../data/dataset.ts";
import type { LossConfig } from "../engine/engine.ts";
import { readModelFile } from "../model/model_file.ts";
import { toCsv, writeTextAtomic } from "../report/csv.ts";
import { layerNames } from "../report/layer_names.ts";
import { lineChartSvg } from "../report/plots.ts";
import { writePngOrSkip } from "../report/png.ts";
import type { Reporter } from "../report/progress.ts";
import { prepareOutDir } from "./files.ts";
import type { DeviceChoice } from "./config.ts";
import { createEngine } from "./engine_select.ts";
import { checkModelFits, modelLoss, modelTIn } from "./model_fit.ts";
import { evaluateSplit, layerSummaries, type LayerSummary } from "./split_eval.ts";
import { cumulative, type SpikeTiming, spikeTiming, TIMING_BINS } from "./spike_timing.ts";

/** Options of `evaluateModel`. */
export interface EvaluateOptions {
  /** Model file path. */
  readonly model: string;
  readonly dataset: DatasetName;
  readonly dataDir?: string;
  readonly device: DeviceChoice;
  /** Directory for eval.json, confusion.csv and per_class.csv (created); nothing is written without it. */
  readonly out?: string;
  /** Use only the first N test samples (0 or absent = all). */
  readonly limitTest?: number;
  readonly reporter: Reporter;
  /** CPU threads (0 = one per core, the default). */
  readonly workers?: number;
  /** Also measure when spikes come relative to the decision (one more forward pass over the split). */
  readonly timing?: boolean;
}

/** Figures of one class. */
export interface ClassReport {
  readonly class: number;
  /** Test samples of this class. */
  readonly support: number;
  readonly correct: number;
  /** correct / support. */
  readonly recall: number;
  /** correct / samples predicted as this class; NaN when none was. */
  readonly precision: number;
}

/** The content of eval.json. */
export interface EvalReport {
  readonly format: "multispike-eval";
  readonly version: 1;
  readonly model: string;
  readonly dataset: string;
  readonly source: string;
  readonly samples: number;
  readonly sizes: readonly number[];
  readonly t_in: number;
  readonly loss_config: LossConfig;
  readonly device: string;
  readonly device_reason: string;
  readonly accuracy: number;
  /** Mean loss per sample. */
  readonly loss: number;
  readonly correct: number;
  /** (classes, classes + 1): row = true class, column = predicted class; the last column is "no output spike". */
  readonly confusion: number[][];
  readonly per_class: ClassReport[];
  /** Per non-input layer. */
  readonly layers: LayerSummary[];
  readonly spikes_per_neuron: number[];
  /** First output spike over samples that have one; NaN fields when none has. */
  readonly decision_time: { mean: number; median: number; min: number; max: number };
  /** Samples in which every output neuron stayed silent (counted as wrong). */
  readonly no_output_spike: number;
  /** Samples in which two or more outputs share the winning readout value (the lowest index wins). */
  readonly ties: number;
  /** With `timing`: when each layer's spikes come relative to the decision. */
  readonly timing?: SpikeTiming;
  readonly seconds: number;
  readonly samples_per_second: number;
}

/**
 * Evaluates a model file on the test split of `dataset`.
 * @param opts model, dataset, device, output directory, progress reporter
 * @returns the report, also written to `out/eval.json` when `out` is given
 * @throws ModelFileError for an unreadable model; TrainingError when model and dataset do not fit or `out`
 *   is not writable; DatasetError for a missing dataset
 */
export async function evaluateModel(opts: EvaluateOptions): Promise<EvalReport> {
  if (opts.out) await prepareOutDir(opts.out);
  const model = await readModelFile(opts.model);
  const { network } = model;
  const tIn = modelTIn(model, opts.dataset);
  const lossCfg = modelLoss(model);
  const data = await loadDataset(opts.dataset, {
    dataDir: opts.dataDir,
    limitTest: opts.limitTest ?? 0,
  });
  checkModelFits(opts.model, model, data);
  const sizes = network.sizes;
  const { engine, reason } = await createEngine(network, opts.device, opts.workers ?? 0);
  try {
    const split = data.test;
    const classes = data.classes;
    opts.reporter.start(`eval ${opts.dataset}`, split.size);
    const r = await evaluateSplit(engine, split, tIn, lossCfg, {
      onBatch: (done, correct) => opts.reporter.update(done, { acc: correct / done }),
    });
    const confusion = Array.from({ length: classes }, () => new Array<number>(classes + 1).fill(0));
    const decisions: number[] = [];
    let silent = 0;
    for (let s = 0; s < split.size; s++) {
      const p = r.predictions[s];
      confusion[split.labels[s]][p < 0 ? classes : p]++;
      if (p < 0) silent++;
      if (!Number.isNaN(r.decisionTime[s])) decisions.push(r.decisionTime[s]);
    }
    const { accuracy, correct, seconds, stats } = r;
    opts.reporter.stop(`accuracy ${(100 * accuracy).toFixed(2)}% on ${split.size} test samples`);
    let timing: SpikeTiming | undefined;
    if (opts.timing) {
      opts.reporter.start(`spike timing ${opts.dataset}`, split.size);
      timing = await spikeTiming(
        engine,
        split,
        tIn,
        lossCfg,
        r.decisionTime,
        (done) => opts.reporter.update(done, {}),
      );
      opts.reporter.stop(`spike timing of ${split.size} test samples`);
    }
    const layers = layerSummaries(stats, sizes, split.size);
    const report: EvalReport = {
      format: "multispike-eval",
      version: 1,
      model: opts.model,
      dataset: data.name,
      source: data.source,
      samples: split.size,
      sizes: [...sizes],
      t_in: tIn,
      loss_config: lossCfg,
      device: engine.device,
      device_reason: reason,
      accuracy,
      loss: r.loss,
      correct,
      confusion,
      per_class: perClass(confusion),
      layers,
      spikes_per_neuron: layers.map((l) => l.spikes_per_neuron),
      decision_time: describe(decisions),
      no_output_spike: silent,
      ties: r.ties,
      ...(timing ? { timing } : {}),
      seconds,
      samples_per_second: split.size / Math.max(1e-9, seconds),
    };
    if (opts.out) await writeEvalFiles(opts.out, report, (line) => opts.reporter.log(line));
    return report;
  } finally {
    engine.dispose();
  }
}

function perClass(confusion: number[][]): ClassReport[] {
  const classes = confusion.length;
  return confusion.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let r = 0; r < classes; r++) predicted += confusion[r][c];
    return {
      class: c,
      support,
      correct: row[c],
      recall: support > 0 ? row[c] / support : NaN,
      precision: predicted > 0 ? row[c] / predicted : NaN,
    };
  });
}

function describe(xs: number[]): { mean: number; median: number; min: number; max: number } {
  if (xs.length === 0) return { mean: NaN, median: NaN, min: NaN, max: NaN };
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return {
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2,
    min: s[0],
    max: s[s.length - 1],
  };
}

async function writeEvalFiles(out: string, report: EvalReport, log: (line: string) => void): Promise<void> {
  // JSON has no NaN: write null (e.g. precision of a class never predicted).
  const json = JSON.stringify(
    report,
    (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
    2,
  );
  await writeTextAtomic(`${out}/eval.json`, json + "\n");
  const classes = report.confusion.length;
  const predicted = [...Array.from({ length: classes }, (_, c) => `pred_${c}`), "pred_none"];
  const confusion = report.confusion.map((row, c) =>
    Object.fromEntries([["true", c], ...row.map((n, p) => [predicted[p], n])])
  );
  await writeTextAtomic(`${out}/confusion.csv`, toCsv(confusion));
  await writeTextAtomic(`${out}/per_class.csv`, toCsv(report.per_class.map((p) => ({ ...p }))));
  if (report.timing) await writeTimingFiles(out, report.timing, log);
}

/**
 * timing.csv (spikes per sample per time bin, per layer, and the fraction of samples decided in it) and
 * timing.svg/.png: the cumulative fraction of each layer's spikes and of the decisions against time, which
 * shows at a glance how much of the activity comes before the readout has decided.
 */
async function writeTimingFiles(
  out: string,
  timing: SpikeTiming,
  log: (line: string) => void,
): Promise<void> {
  const names = layerNames(timing.layers.length);
  const w = timing.bin_width;
  const rows = Array.from({ length: TIMING_BINS }, (_, b) =>
    Object.fromEntries([
      ["t_from", b * w],
      ["t_to", (b + 1) * w],
      ...names.map((n, l) => [`${n.replace(" ", "_")}_spikes`, timing.spike_histogram[l][b]]),
      ["decisions", timing.decision_histogram[b]],
    ]));
  await writeTextAtomic(`${out}/timing.csv`, toCsv(rows));
  const ends = Array.from({ length: TIMING_BINS }, (_, b) => (b + 1) * w);
  const series = names.map((name, l) => ({
    name: `${name} spikes`,
    x: ends,
    y: cumulative(timing.spike_histogram[l]),
  }));
  if (timing.decision === "first output spike") {
    series.push({
      name: "decisions (first output spike)",
      x: ends,
      y: cumulative(timing.decision_histogram),
    });
  }
  const svg = await lineChartSvg({
    title: `Spikes and decisions over time (${timing.samples} test samples)`,
    xLabel: "time (time units)",
    yLabel: "cumulative fraction",
    series,
  });
  await writeTextAtomic(`${out}/timing.svg`, svg);
  await writePngOrSkip(`${out}/timing.png`, svg, { log });
}
