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
import { type CsvRow, type CsvValue, toCsv, writeTextAtomic } from "../report/csv.ts";
import { compareStepsSvg, compareSvg, type RunCurves, type RunStepCurves } from "../report/compare_plot.ts";
import { writePngOrSkip } from "../report/png.ts";
import { statOrNull } from "../train/files.ts";
import { ioReason, UsageError } from "./errors.ts";
import { readRuns, type RunRecord } from "./run_records.ts";

/** Options of `compare` as commander parses them. */
export interface CompareCliOptions {
  /** A directory (existing, or ending in "/") for compare.*, else a file prefix P for P.csv, P_epochs.csv, P.svg, P.png. */
  readonly out: string;
  /** Legend labels, one per run, e.g. ["k=1", "k=8"]. */
  readonly labels?: string[];
}

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
