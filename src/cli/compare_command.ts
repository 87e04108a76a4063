/**
 * `multispike compare`: training runs side by side. Reads each run directory's summary.json and metrics.csv
 * (as `multispike train --out` writes them), labels the runs, and writes compare.csv (one row per run),
 * compare_epochs.csv (every run's metrics.csv, labelled, one row per run and epoch: the data behind the curves,
 * small enough to commit beside a figure when the run directories are not), compare.svg and compare.png
 * (curves against epoch, one line per run); prints the table on stdout. Runs with a steps.csv (training
 * figures per `--log-every` steps) also get compare_steps.csv, .svg and .png: the curves inside the epochs.
 * A compare_epochs.csv written earlier stands for the runs it holds (`FILE` all of them, `FILE#LABEL` one), so
 * that published curves can be redrawn, and new runs set beside them, after their directories are gone.
 * @module
 */
import { type CsvRow, type CsvValue, parseCsv, toCsv, writeTextAtomic } from "../report/csv.ts";
import { compareStepsSvg, compareSvg, type RunCurves, type RunStepCurves } from "../report/compare_plot.ts";
import { writePngOrSkip } from "../report/png.ts";
import { statOrNull } from "../train/files.ts";
import { beatsBest, bestKey, type TrainSummary } from "../train/run_summary.ts";
import { ioReason, UsageError } from "./errors.ts";

/** Options of `compare` as commander parses them. */
export interface CompareCliOptions {
  /** A directory (existing, or ending in "/") for compare.*, else a file prefix P for P.csv, P_epochs.csv, P.svg, P.png. */
  readonly out: string;
  /** Legend labels, one per run, e.g. ["k=1", "k=8"]. */
  readonly labels?: string[];
}

/** One training run as read from its directory or from a compare_epochs.csv. */
export interface RunRecord {
  /** The directory as given, without trailing slashes, e.g. "runs/tune/m-base" (from a CSV: its `dir` column). */
  readonly dir: string;
  /** The run's label in the compare_epochs.csv it was read from; absent for a run directory. */
  readonly label?: string;
  /** summary.json's `config`, for the default labels; null for a run read from a CSV. */
  readonly config: TrainSummary["config"] | null;
  /** The figures of its compare.csv row. */
  readonly figures: RunFigures;
  /** metrics.csv, one row per epoch, every number parsed; `epoch` strictly increasing from >= 1. */
  readonly metrics: readonly Readonly<Record<string, number>>[];
  /** Non-input layers: the `spikes_per_neuron_l<k>` columns of metrics.csv. */
  readonly layers: number;
  /** metrics.csv as written, every column, as text (for compare_epochs.csv). */
  readonly metricsText: readonly Readonly<Record<string, string>>[];
  /** steps.csv as written, every column, as text; null for a run without one (`--log-every 0`, older runs). */
  readonly stepsText: readonly Readonly<Record<string, string>>[] | null;
}

/**
 * What compare.csv says of a run: from summary.json, or for a run read from a CSV, from its epochs by the
 * trainer's rule (the best model is that of the first epoch with the highest validation accuracy).
 */
export interface RunFigures {
  /** null when not known (a run read from a CSV). */
  readonly dataset: string | null;
  readonly max_spikes: number | null;
  readonly epochs_completed: number;
  readonly best_epoch: number;
  readonly best_val_acc: number;
  readonly test_acc_at_best_val: number;
  readonly last_test_acc: number;
  /** Per non-input layer, of the best model on the test split. */
  readonly spikes_per_neuron: readonly number[];
  /**
   * The mean weights of the run's last epochs (`train --average-last`): first and last epoch, 1-based, and
   * test accuracy; null for a run without them.
   */
  readonly averaged: { readonly epochs: readonly [number, number]; readonly test_acc: number } | null;
}

/** Columns of metrics.csv that `compare` needs (besides `spikes_per_neuron_l1`, `_l2`, ...). */
const METRICS_COLUMNS = ["epoch", "val_acc", "test_acc"] as const;

/**
 * Number fields of summary.json that `compare` reads (besides config.neuron.max_spikes and best_val_accuracy,
 * which is null for a run without a validation split).
 */
const SUMMARY_NUMBERS = [
  "epochs_completed",
  "best_epoch",
  "test_accuracy",
  "last_test_accuracy",
] as const;

/** Config fields left out of the default labels: they do not change what a run learns. */
const LABEL_IGNORED = new Set(["workers", "data_dir"]);

/** Default labels name the differing config fields when at most this many differ, else the directories. */
const MAX_LABEL_FIELDS = 2;

/**
 * Runs `compare` for the command line.
 * @param dirs run directories, at least one
 * @param o parsed options
 * @throws UsageError for a directory that is not a readable training run, labels that do not fit the runs,
 *   an output prefix in a missing directory
 */
export async function compareCommand(dirs: readonly string[], o: CompareCliOptions): Promise<void> {
  const runs: RunRecord[] = [];
  for (const dir of dirs) runs.push(...(await readRuns(dir)));
  const labels = o.labels ? checkedLabels(o.labels, runs.length) : defaultLabels(runs);
  const paths = await compareOutPaths(o.out);
  const rows = compareRows(runs, labels);
  await writeTextAtomic(paths.csv, toCsv(rows));
  await writeTextAtomic(paths.epochsCsv, toCsv(epochRows(runs, labels)));
  const svg = await compareSvg(runs.map((r, i) => runCurves(r, labels[i])));
  await writeTextAtomic(paths.svg, svg);
  console.log(formatCompareTable(rows));
  const png = await writePngOrSkip(paths.png, svg, { log: (line) => console.error(line) });
  const files = [paths.csv, paths.epochsCsv, paths.svg, ...(png ? [paths.png] : [])];
  const stepped = runs.flatMap((r, i) => (r.stepsText ? [{ run: r, label: labels[i], slot: i }] : []));
  if (stepped.length > 0) {
    for (const r of runs) {
      if (!r.stepsText) console.error(`${r.dir} has no steps.csv; it is left out of ${paths.stepsSvg}`);
    }
    await writeTextAtomic(
      paths.stepsCsv,
      toCsv(stepped.flatMap(({ run, label }) => run.stepsText!.map((m) => ({ label, dir: run.dir, ...m })))),
    );
    // Each run keeps the colour it has in the epoch figure.
    const stepsSvg = await compareStepsSvg(
      stepped.map(({ run, label, slot }) => stepCurves(run, label, slot)),
    );
    await writeTextAtomic(paths.stepsSvg, stepsSvg);
    const stepsPng = await writePngOrSkip(paths.stepsPng, stepsSvg, { log: (line) => console.error(line) });
    files.push(paths.stepsCsv, paths.stepsSvg, ...(stepsPng ? [paths.stepsPng] : []));
  }
  console.log(`files: ${files.join(", ")}`);
}

/**
 * The runs one argument of `compare` stands for: a run directory, or a compare_epochs.csv (`FILE` for all its
 * runs, `FILE#LABEL` for the one with that label).
 * @param arg e.g. "runs/a", "docs/mnist_e20_batch32_epochs.csv#batch 32 seed 0"
 * @throws UsageError as {@link readRunDir} and {@link readEpochsCsv} do
 */
export async function readRuns(arg: string): Promise<RunRecord[]> {
  const info = await statOrNull(arg);
  if (info?.isFile) return readEpochsCsv(arg);
  const hash = arg.lastIndexOf("#");
  if (!info && hash > 0) return readEpochsCsv(arg.slice(0, hash), arg.slice(hash + 1));
  return [await readRunDir(arg)];
}

/**
 * Reads runs back from a compare_epochs.csv (`label`, `dir`, then each run's metrics.csv columns; one row per
 * run and epoch). Their compare.csv figures come from the epochs (see {@link RunFigures}); dataset and
 * max_spikes, which the file does not hold, come from the compare.csv written beside it (`P.csv` beside
 * `P_epochs.csv`, `compare.csv` beside `compare_epochs.csv`) where that has the run's label and directory, and
 * stay empty otherwise.
 * @param path the CSV file
 * @param label only the run with this label; all runs, in order of first appearance, when absent
 * @throws UsageError when the file cannot be read, lacks the label/dir columns, does not hold the label, or
 *   holds a run whose epochs are malformed
 */
export async function readEpochsCsv(path: string, label?: string): Promise<RunRecord[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${ioReason(e)}`);
  }
  const rows = parseCsv(text);
  if (rows.length === 0 || !("label" in rows[0]) || !("dir" in rows[0])) {
    throw new UsageError(`${path}: not a compare_epochs.csv (columns label, dir, then metrics.csv's)`);
  }
  const labels = [...new Set(rows.map((r) => r.label))];
  if (label !== undefined && !labels.includes(label)) {
    throw new UsageError(`${path} has no run labelled '${label}'; it has: ${labels.join(", ")}`);
  }
  const known = await siblingRunTable(path);
  return (label === undefined ? labels : [label]).map((l) => {
    const lines = rows.flatMap((r, k) => (r.label === l ? [k + 2] : []));
    const own = lines.map((line) => rows[line - 2]);
    const metricsText = own.map(({ label: _l, dir: _d, ...m }) => m);
    const { metrics, layers } = checkMetrics(metricsText, `${path} (run '${l}')`, lines);
    const row = known.find((r) => r.label === l && r.dir === own[0].dir);
    const maxSpikes = Number(row?.max_spikes);
    return {
      dir: own[0].dir,
      label: l,
      config: null,
      figures: {
        ...figuresFromEpochs(metrics, layers),
        dataset: row?.dataset || null,
        max_spikes: row?.max_spikes && Number.isInteger(maxSpikes) ? maxSpikes : null,
        averaged: row ? averagedCells(row) : null,
      },
      metrics,
      layers,
      metricsText,
      stepsText: null,
    };
  });
}

/**
 * The rows of the compare.csv that `compare` wrote beside a compare_epochs.csv, as text; none when there is no
 * such file or it cannot be read or parsed (the figures it would add are not needed to redraw the curves).
 */
async function siblingRunTable(epochsPath: string): Promise<Record<string, string>[]> {
  const match = /^(.*?)_epochs\.csv$/.exec(epochsPath);
  if (!match) return [];
  try {
    return parseCsv(await Deno.readTextFile(`${match[1]}.csv`));
  } catch {
    return [];
  }
}

/** The averaged reading of a compare.csv row (`averaged_epochs` "16-20", `averaged_test_acc`), if it has one. */
function averagedCells(row: Record<string, string>): RunFigures["averaged"] {
  const epochs = /^(\d+)-(\d+)$/.exec(row.averaged_epochs ?? "");
  const acc = Number(row.averaged_test_acc);
  if (!epochs || !row.averaged_test_acc?.trim() || !Number.isFinite(acc)) return null;
  return { epochs: [Number(epochs[1]), Number(epochs[2])], test_acc: acc };
}

/** compare.csv's figures of a run known only by its epochs; the best epoch as the trainer chooses it. */
function figuresFromEpochs(metrics: readonly Readonly<Record<string, number>>[], layers: number): RunFigures {
  // The trainer's rule, applied epoch by epoch as it did.
  let best = 0;
  metrics.forEach((m, k) => {
    if (k > 0 && beatsBest(bestKey(m.val_acc), bestKey(metrics[best].val_acc))) best = k;
  });
  const b = metrics[best];
  return {
    dataset: null,
    max_spikes: null,
    epochs_completed: metrics.length,
    best_epoch: b.epoch,
    best_val_acc: b.val_acc,
    test_acc_at_best_val: b.test_acc,
    last_test_acc: metrics[metrics.length - 1].test_acc,
    spikes_per_neuron: Array.from({ length: layers }, (_, l) => b[`spikes_per_neuron_l${l + 1}`]),
    averaged: null,
  };
}

/**
 * Reads a training run directory: summary.json and metrics.csv, checked as far as `compare` uses them.
 * @param dir e.g. "runs/tune/m-base"
 * @returns the run
 * @throws UsageError naming the directory and the file when either is missing, unreadable or malformed
 */
export async function readRunDir(dir: string): Promise<RunRecord> {
  const clean = dir.length > 1 ? dir.replace(/\/+$/, "") : dir;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(clean);
  } catch (e) {
    throw new UsageError(`run directory ${clean}: ${ioReason(e)}`);
  }
  if (!info.isDirectory) throw new UsageError(`${clean} is not a directory (compare takes run directories)`);
  const summary = checkSummary(parseJson(await readRunFile(clean, "summary.json"), clean), clean);
  const metricsText = parseCsv(await readRunFile(clean, "metrics.csv"));
  const { metrics, layers } = checkMetrics(metricsText, `${clean}/metrics.csv`);
  const stepsFile = await readRunFile(clean, "steps.csv", { optional: true });
  const stepsText = stepsFile === null ? null : parseSteps(stepsFile, clean, layers);
  const figures: RunFigures = {
    dataset: summary.config.dataset,
    max_spikes: summary.config.neuron.max_spikes,
    epochs_completed: summary.epochs_completed,
    best_epoch: summary.best_epoch,
    // JSON writes the NaN of a run without a validation split as null.
    best_val_acc: summary.best_val_accuracy ?? NaN,
    test_acc_at_best_val: summary.test_accuracy,
    last_test_acc: summary.last_test_accuracy,
    spikes_per_neuron: summary.spikes_per_neuron,
    averaged: summary.averaged
      ? { epochs: summary.averaged.epochs, test_acc: summary.averaged.test_accuracy }
      : null,
  };
  return { dir: clean, config: summary.config, figures, metrics, layers, metricsText, stepsText };
}

/**
 * Labels from what tells the runs apart: a run read from a compare_epochs.csv keeps its label there; among run
 * directories, the config fields that differ (at most two), e.g. "max_spikes 8" and "max_spikes 1", or
 * "tau0 0.5, lr 0.001"; otherwise (more fields, or none) the directory names, or the paths when names repeat.
 * Labels that still repeat get " (2)", " (3)", ...
 * @param runs the runs, in order
 * @returns one distinct label per run
 */
export function defaultLabels(runs: readonly RunRecord[]): string[] {
  const dirRuns = runs.filter((r) => r.config !== null);
  const dirLabels = dirLabelsOf(dirRuns);
  let k = 0;
  return distinct(runs.map((r) => r.config === null ? r.label ?? r.dir : dirLabels[k++]));
}

/** Default labels of run directories (all with a config): differing config fields, else directory names. */
function dirLabelsOf(runs: readonly RunRecord[]): string[] {
  const names = runs.map((r) => r.dir.split("/").pop() || r.dir);
  const dirs = new Set(names).size === names.length ? names : runs.map((r) => r.dir);
  if (runs.length < 2) return dirs;
  const flat = runs.map((r) => flattenConfig(r.config));
  const keys = [...new Set(flat.flatMap((f) => [...f.keys()]))];
  const differing = keys.filter((k) => new Set(flat.map((f) => f.get(k) ?? "-")).size > 1);
  if (differing.length === 0 || differing.length > MAX_LABEL_FIELDS) return dirs;
  const labels = flat.map((f) => differing.map((k) => `${k} ${f.get(k) ?? "-"}`).join(", "));
  return new Set(labels).size === labels.length ? labels : dirs;
}

/**
 * The rows of compare.csv: one per run. Accuracies and spikes per neuron are those of the best-validation
 * model (model.json) on the test split, as in summary.json; `last_test_acc` is after the last epoch.
 * Runs with fewer layers than others have empty spike fields for the missing ones.
 * @param runs the runs
 * @param labels one per run
 * @returns rows with columns label, dir, dataset, max_spikes, epochs_completed, best_epoch, best_val_acc,
 *   test_acc_at_best_val, last_test_acc, spikes_per_neuron_l1, ..., and where any run has averaged weights
 *   (`train --average-last`), averaged_epochs (e.g. "16-20") and averaged_test_acc
 */
export function compareRows(runs: readonly RunRecord[], labels: readonly string[]): CsvRow[] {
  const layers = Math.max(0, ...runs.map((r) => r.figures.spikes_per_neuron.length));
  const anyAveraged = runs.some((r) => r.figures.averaged !== null);
  return runs.map((r, i) => {
    const s = r.figures;
    const row: Record<string, CsvValue> = {
      label: labels[i],
      dir: r.dir,
      dataset: s.dataset,
      max_spikes: s.max_spikes,
      epochs_completed: s.epochs_completed,
      best_epoch: s.best_epoch,
      best_val_acc: s.best_val_acc,
      test_acc_at_best_val: s.test_acc_at_best_val,
      last_test_acc: s.last_test_acc,
    };
    for (let l = 0; l < layers; l++) row[`spikes_per_neuron_l${l + 1}`] = s.spikes_per_neuron[l] ?? null;
    // Only where some run has them, so that the table of runs without --average-last stays as it was.
    if (anyAveraged) {
      row.averaged_epochs = s.averaged ? s.averaged.epochs.join("-") : null;
      row.averaged_test_acc = s.averaged?.test_acc ?? null;
    }
    return row;
  });
}

/**
 * The rows of compare_epochs.csv: for each run in order, its metrics.csv rows as written, after the columns
 * `label` and `dir`. Columns are the union over the runs (first appearance first); a run without one (fewer
 * layers, an older trainer) has empty fields there.
 * @param runs the runs
 * @param labels one per run
 * @returns one row per run and epoch
 */
export function epochRows(runs: readonly RunRecord[], labels: readonly string[]): CsvRow[] {
  return runs.flatMap((r, i) => r.metricsText.map((m) => ({ label: labels[i], dir: r.dir, ...m })));
}

/**
 * The rows of compare.csv as an aligned text table: accuracies with 4 decimals, spikes with 3, a missing
 * value (or the NaN validation accuracy of a run without a validation split) as "-".
 * @param rows from {@link compareRows}
 * @returns a header line and one line per run
 */
export function formatCompareTable(rows: readonly CsvRow[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (column: string, v: CsvValue | undefined) => {
    if (v === null || v === undefined || Number.isNaN(v)) return "-";
    if (typeof v !== "number" || Number.isInteger(v)) return String(v);
    return v.toFixed(column.startsWith("spikes") ? 3 : 4);
  };
  const table = [columns, ...rows.map((r) => columns.map((c) => cell(c, r[c])))];
  const widths = columns.map((_, j) => Math.max(...table.map((line) => line[j].length)));
  return table
    .map((line) => line.map((text, j) => (j === line.length - 1 ? text : text.padEnd(widths[j]))).join("  "))
    .join("\n");
}

/** The files `compare` may write. */
export interface ComparePaths {
  readonly csv: string;
  readonly epochsCsv: string;
  readonly svg: string;
  readonly png: string;
  readonly stepsCsv: string;
  readonly stepsSvg: string;
  readonly stepsPng: string;
}

/**
 * Where the files go: `DIR/compare.{csv,svg,png}`, `DIR/compare_epochs.csv` and `DIR/compare_steps.{csv,svg,png}`
 * when `out` is an existing directory or ends in "/" (created then), else `out.{csv,svg,png}`, `out_epochs.csv`
 * and `out_steps.{csv,svg,png}`.
 * @param out the --out value
 * @returns the paths
 * @throws UsageError when the directory cannot be created or a prefix's directory does not exist
 */
export async function compareOutPaths(out: string): Promise<ComparePaths> {
  let base: string;
  if (out.endsWith("/")) {
    try {
      await Deno.mkdir(out, { recursive: true });
    } catch (e) {
      throw new UsageError(`cannot create --out directory ${out}: ${ioReason(e)}`);
    }
    base = `${out.replace(/\/+$/, "")}/compare`;
  } else if ((await statOrNull(out))?.isDirectory) {
    base = `${out}/compare`;
  } else {
    const parent = out.includes("/") ? out.slice(0, out.lastIndexOf("/")) || "/" : ".";
    if (!(await statOrNull(parent))?.isDirectory) {
      throw new UsageError(
        `--out ${out}: directory ${parent} does not exist (end --out with / to create it)`,
      );
    }
    base = out;
  }
  return {
    csv: `${base}.csv`,
    epochsCsv: `${base}_epochs.csv`,
    svg: `${base}.svg`,
    png: `${base}.png`,
    stepsCsv: `${base}_steps.csv`,
    stepsSvg: `${base}_steps.svg`,
    stepsPng: `${base}_steps.png`,
  };
}

/** `--labels` checked against the runs: one per run, distinct. */
function checkedLabels(labels: readonly string[], runs: number): string[] {
  if (labels.length !== runs) {
    throw new UsageError(
      `--labels has ${labels.length} label${labels.length === 1 ? "" : "s"} for ${runs} run${
        runs === 1 ? "" : "s"
      }; give one per run`,
    );
  }
  const repeated = labels.find((l, i) => labels.indexOf(l) !== i);
  if (repeated !== undefined) throw new UsageError(`--labels must be distinct; '${repeated}' appears twice`);
  return [...labels];
}

/** The curves of a run for {@link compareSvg}: test and validation accuracy, spikes of its hidden layers. */
function runCurves(r: RunRecord, label: string): RunCurves {
  return {
    label,
    x: r.metrics.map((m) => m.epoch),
    testAcc: r.metrics.map((m) => m.test_acc),
    valAcc: r.metrics.map((m) => m.val_acc),
    averaged: r.figures.averaged,
    hiddenSpikes: Array.from(
      { length: r.layers - 1 },
      (_, l) => r.metrics.map((m) => m[`spikes_per_neuron_l${l + 1}`]),
    ),
  };
}

/**
 * The stepped curves of a run with a steps.csv. A row ends at `epoch - 1 + last_step / S` epochs, where S is
 * the most steps any epoch's rows reach (every epoch has the same steps; a diverged run's last epoch is cut).
 * `colorSlot` is the run's place among all the runs compared, the colour it has in the epoch figure.
 */
function stepCurves(r: RunRecord, label: string, colorSlot: number): RunStepCurves {
  const rows = r.stepsText!.map((row) => (c: string) => Number(row[c]));
  const perEpoch = Math.max(...rows.map((v) => v("last_step")));
  return {
    label,
    colorSlot,
    x: rows.map((v) => v("epoch") - 1 + v("last_step") / perEpoch),
    trainLoss: rows.map((v) => v("train_loss")),
    trainAcc: rows.map((v) => v("train_acc")),
    hiddenSpikes: Array.from(
      { length: r.layers - 1 },
      (_, l) => rows.map((v) => v(`spikes_per_neuron_l${l + 1}`)),
    ),
  };
}

/** Checks steps.csv as far as `compare` reads it: the columns of its figure, numbers, epochs not decreasing. */
function parseSteps(text: string, dir: string, layers: number): Record<string, string>[] {
  const fail = (problem: string): never => {
    throw new UsageError(`${dir}/steps.csv: ${problem}`);
  };
  const rows = parseCsv(text);
  if (rows.length === 0) fail("no steps (a header line at most)");
  const columns = [
    "epoch",
    "last_step",
    "train_loss",
    "train_acc",
    ...Array.from({ length: layers }, (_, l) => `spikes_per_neuron_l${l + 1}`),
  ];
  const header = Object.keys(rows[0]);
  const missing = columns.filter((c) => !header.includes(c));
  if (missing.length > 0) fail(`missing column ${missing.join(", ")}`);
  rows.forEach((row, k) => {
    for (const c of columns) numberCell(row[c], c, k + 2, fail);
    if (!(Number(row.last_step) >= 1)) fail(`line ${k + 2}: last_step ${row.last_step} is not a step`);
    if (k > 0 && Number(row.epoch) < Number(rows[k - 1].epoch)) {
      fail(`line ${k + 2}: epoch ${row.epoch} comes after epoch ${rows[k - 1].epoch}`);
    }
  });
  return rows;
}

async function readRunFile(dir: string, name: string): Promise<string>;
async function readRunFile(dir: string, name: string, o: { optional: true }): Promise<string | null>;
async function readRunFile(dir: string, name: string, o?: { optional: true }): Promise<string | null> {
  try {
    return await Deno.readTextFile(`${dir}/${name}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound && o?.optional) return null;
    if (e instanceof Deno.errors.NotFound) {
      throw new UsageError(`run directory ${dir} has no ${name} (compare reads what 'train --out' writes)`);
    }
    throw new UsageError(`cannot read ${dir}/${name}: ${ioReason(e)}`);
  }
}

function parseJson(text: string, dir: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${dir}/summary.json is not valid JSON: ${e instanceof Error ? e.message : e}`);
  }
}

/** Checks the summary.json fields that `compare` reads. */
function checkSummary(raw: unknown, dir: string): TrainSummary {
  const fail = (problem: string): never => {
    throw new UsageError(`${dir}/summary.json: ${problem}`);
  };
  const s = raw as Record<string, unknown> | null;
  if (typeof s !== "object" || s === null || s.format !== "multispike-train-summary") {
    return fail('not a training summary (format must be "multispike-train-summary")');
  }
  if (s.version !== 1) fail(`version ${JSON.stringify(s.version)} is not supported (expected 1)`);
  const config = s.config as Record<string, unknown> | undefined;
  const neuron = config?.neuron as Record<string, unknown> | undefined;
  if (typeof config?.dataset !== "string") fail("config.dataset must be a string");
  if (typeof neuron?.max_spikes !== "number") fail("config.neuron.max_spikes must be a number");
  for (const k of SUMMARY_NUMBERS) if (typeof s[k] !== "number") fail(`${k} must be a number`);
  if (typeof s.best_val_accuracy !== "number" && s.best_val_accuracy !== null) {
    fail("best_val_accuracy must be a number (or null without a validation split)");
  }
  const spikes = s.spikes_per_neuron;
  if (!Array.isArray(spikes) || !spikes.every((x) => typeof x === "number")) {
    fail("spikes_per_neuron must be an array of numbers");
  }
  const averaged = s.averaged as Record<string, unknown> | undefined;
  if (
    averaged !== undefined &&
    (!Array.isArray(averaged?.epochs) || averaged.epochs.length !== 2 ||
      !averaged.epochs.every(Number.isInteger) || typeof averaged.test_accuracy !== "number")
  ) {
    fail("averaged must hold epochs [first, last] and a test_accuracy number");
  }
  return s as unknown as TrainSummary;
}

/**
 * Checks a run's metrics.csv rows (parsed, as text) and parses what `compare` reads: every value a number,
 * epochs increasing.
 * @param rows the rows
 * @param where the file (and run) for messages, e.g. "runs/a/metrics.csv"
 * @param lines the file's line number of each row, for messages (default: a metrics.csv's, 2, 3, ...)
 */
function checkMetrics(
  rows: readonly Record<string, string>[],
  where: string,
  lines: readonly number[] = rows.map((_, k) => k + 2),
): { metrics: Record<string, number>[]; layers: number } {
  const fail = (problem: string): never => {
    throw new UsageError(`${where}: ${problem}`);
  };
  if (rows.length === 0) fail("no epochs (a header line at most)");
  const header = Object.keys(rows[0]);
  let layers = 0;
  while (header.includes(`spikes_per_neuron_l${layers + 1}`)) layers++;
  const columns = [
    ...METRICS_COLUMNS,
    ...Array.from({ length: layers }, (_, l) => `spikes_per_neuron_l${l + 1}`),
  ];
  const missing = columns.filter((c) => !header.includes(c));
  if (layers === 0) missing.push("spikes_per_neuron_l1");
  if (missing.length > 0) fail(`missing column ${missing.join(", ")}`);
  const metrics = rows.map((row, k) => {
    const parsed: Record<string, number> = {};
    for (const c of columns) parsed[c] = numberCell(row[c], c, lines[k], fail);
    return parsed;
  });
  metrics.forEach((m, k) => {
    const previous = k === 0 ? 0 : metrics[k - 1].epoch;
    if (!Number.isInteger(m.epoch) || m.epoch <= previous) {
      fail(`line ${lines[k]}: epoch ${m.epoch} does not follow epoch ${previous}`);
    }
  });
  return { metrics, layers };
}

/**
 * One CSV cell that must hold a number, as the trainer writes them (as JavaScript prints them; a diverged
 * metric may be NaN), for metrics.csv and steps.csv alike.
 * @returns the number
 */
function numberCell(
  text: string | undefined,
  column: string,
  line: number,
  fail: (problem: string) => never,
): number {
  if (text === undefined || text.trim() === "") fail(`line ${line}: ${column} is empty (a cut-off line?)`);
  const x = Number(text);
  if (Number.isNaN(x) && text !== "NaN") fail(`line ${line}: ${column} is '${text}', not a number`);
  return x;
}

/** Config fields by short name (`neuron.max_spikes` -> "max_spikes", `loss.kind` -> "loss"), as text. */
function flattenConfig(config: unknown, parent = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
    if (LABEL_IGNORED.has(k)) continue;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      for (const [kk, vv] of flattenConfig(v, k)) out.set(kk, vv);
    } else out.set(k === "kind" && parent !== "" ? parent : k, Array.isArray(v) ? v.join(",") : String(v));
  }
  return out;
}

/** `labels` with repeats numbered: "a", "a (2)", ... */
function distinct(labels: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return labels.map((l) => {
    const n = (seen.get(l) ?? 0) + 1;
    seen.set(l, n);
    return n === 1 ? l : `${l} (${n})`;
  });
}
