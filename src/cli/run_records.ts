/**
 * Training runs read back for `compare`: a run directory (summary.json, metrics.csv and, where there is one,
 * steps.csv, as `multispike train --out` writes them) or the runs of a compare_epochs.csv written earlier, each
 * checked as far as `compare` uses it, with a one-line UsageError naming the file and the problem otherwise.
 * @module
 */
import { parseCsv } from "../report/csv.ts";
import { statOrNull } from "../train/files.ts";
import { beatsBest, bestKey, type TrainSummary } from "../train/run_summary.ts";
import { ioReason, UsageError } from "./errors.ts";

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
