/**
 * The files of a sweep: sweep.csv (one row per finished run), sweep.json (the grid, mean and spread over
 * seeds per point, the best tau per spike cap and learning rate, and with swept learning rates the best tau
 * with the rate chosen per tau on validation accuracy) and sweep.svg/.png (test accuracy and spikes per
 * neuron against tau, one line per spike cap and learning rate, bands of one standard deviation over seeds).
 * @module
 */
import { toCsv, writeTextAtomic } from "../report/csv.ts";
import { multiPanelSvg, type Series } from "../report/plots.ts";
import { writePngOrSkip } from "../report/png.ts";
import { gridLrs, type GridPoint, type GridSpec } from "./sweep_grid.ts";
import type { TrainSummary } from "./run_summary.ts";

/** A finished run of the grid. */
export interface RunRecord {
  readonly point: GridPoint;
  readonly summary: TrainSummary;
}

/**
 * Mean, sample standard deviation (0 for one value) and median of some runs. The median is there because
 * one run that fails to train (a seed at a long time constant) moves the mean of three by points and can
 * make a time constant look best that is not best at any seed that trained.
 */
export interface Spread {
  readonly mean: number;
  readonly std: number;
  readonly median: number;
}

/** The best time constant of one spike cap by one statistic over seeds. */
export interface BestTau {
  readonly tau: number;
  readonly test_accuracy: number;
  /** Inside the grid (an optimum) rather than at its smallest or largest tau (a trend). */
  readonly interior: boolean;
}

/** The figures of one (tau, max_spikes, lr) point over its seeds. */
export interface PointStats {
  readonly tau: number;
  readonly tau_m: number;
  readonly tau_s: number;
  readonly max_spikes: number;
  readonly lr: number;
  /** Seeds finished. */
  readonly runs: number;
  readonly seeds: number[];
  readonly test_accuracy: Spread;
  /**
   * With `--average-last`, when every run of the point has it: the test accuracy of the mean weights of each
   * run's last epochs (averaged_model.json), a steadier reading of the same runs than one epoch's model.
   */
  readonly averaged_test_accuracy?: Spread;
  /** Of the model each run kept (its best epoch on validation): what a learning rate is chosen on. */
  readonly best_val_accuracy: Spread;
  /** Per non-input layer. */
  readonly spikes_per_neuron: Spread[];
  /** Per non-input layer. */
  readonly silent_fraction: Spread[];
  readonly seconds: Spread;
}

/** The content of sweep.json. */
export interface SweepJson {
  readonly format: "multispike-sweep";
  readonly version: 1;
  readonly grid: GridSpec;
  readonly runs_total: number;
  readonly runs_finished: number;
  readonly points: PointStats[];
  /**
   * Per spike cap with at least two time constants finished: the tau of the highest mean test accuracy, and
   * whether it lies inside the grid (an optimum) rather than at its smallest or largest tau (a trend). A cap
   * with one time constant has no entry: one point shows neither.
   */
  readonly best_tau:
    (BestTau & { max_spikes: number; lr?: number; by_median: BestTau; averaged?: BestTau })[];
  /**
   * With two or more learning rates swept, per spike cap: the rate of each tau chosen on mean validation
   * accuracy (never on test accuracy, which then only reports), and the best tau over those choices. It
   * answers whether an optimal tau survives tuning the learning rate per tau.
   */
  readonly best_tau_tuned_lr?: TunedBestTau[];
  readonly updated_at: string;
}

/** The best tau of one spike cap when each tau gets the learning rate that validates best. */
export interface TunedBestTau extends BestTau {
  readonly max_spikes: number;
  /** Per tau with a finished point, in grid order: the chosen rate and what it gave. */
  readonly per_tau: { tau: number; lr: number; best_val_accuracy: number; test_accuracy: number }[];
  readonly by_median: BestTau;
}

/** Mean, sample standard deviation and median. */
export function spread(xs: readonly number[]): Spread {
  if (xs.length === 0) return { mean: NaN, std: NaN, median: NaN };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  if (xs.length === 1) return { mean, std: 0, median };
  const ss = xs.reduce((a, b) => a + (b - mean) * (b - mean), 0);
  return { mean, std: Math.sqrt(ss / (xs.length - 1)), median };
}

/**
 * The point of `row` (one spike cap, two or more taus) with the highest `stat` of test accuracy, read from
 * each point's kept models or, with `reading` "averaged", from their mean weights of the last epochs.
 */
function bestBy(
  row: readonly PointStats[],
  stat: "mean" | "median",
  reading: "kept" | "averaged" = "kept",
): BestTau {
  const acc = (p: PointStats) => (reading === "kept" ? p.test_accuracy : p.averaged_test_accuracy!)[stat];
  const best = row.reduce((a, b) => (acc(b) > acc(a) ? b : a));
  const taus = row.map((p) => p.tau);
  const interior = best.tau > Math.min(...taus) && best.tau < Math.max(...taus);
  return { tau: best.tau, test_accuracy: acc(best), interior };
}

/** Aggregates finished runs per (tau, max_spikes, lr) of `spec`, in grid order. */
export function sweepJson(spec: GridSpec, all: readonly GridPoint[], runs: readonly RunRecord[]): SweepJson {
  const points: PointStats[] = [];
  for (const tau of spec.taus) {
    for (const k of spec.max_spikes) {
      for (const lr of gridLrs(spec)) {
        const mine = runs.filter((r) => r.point.tau === tau && r.point.max_spikes === k && r.point.lr === lr);
        if (mine.length === 0) continue;
        const layers = mine[0].summary.spikes_per_neuron.length;
        const perLayer = (f: (s: TrainSummary, l: number) => number) =>
          Array.from({ length: layers }, (_, l) => spread(mine.map((r) => f(r.summary, l))));
        const averaged = mine.every((r) => r.summary.averaged !== undefined)
          ? { averaged_test_accuracy: spread(mine.map((r) => r.summary.averaged!.test_accuracy)) }
          : {};
        points.push({
          tau,
          tau_m: mine[0].point.config.neuron.tau_m,
          tau_s: mine[0].point.config.neuron.tau_s,
          max_spikes: k,
          lr,
          runs: mine.length,
          seeds: mine.map((r) => r.point.seed),
          test_accuracy: spread(mine.map((r) => r.summary.test_accuracy)),
          ...averaged,
          best_val_accuracy: spread(mine.map((r) => r.summary.best_val_accuracy)),
          spikes_per_neuron: perLayer((s, l) => s.spikes_per_neuron[l]),
          silent_fraction: perLayer((s, l) => s.layers[l].silent_fraction),
          seconds: spread(mine.map((r) => r.summary.seconds)),
        });
      }
    }
  }
  const best_tau = spec.max_spikes.flatMap((k) =>
    gridLrs(spec).flatMap((lr) => {
      const row = points.filter((p) => p.max_spikes === k && p.lr === lr);
      if (row.length < 2) return [];
      const swept = spec.lrs ? { lr } : {};
      // Averaged weights are read only where every point of the cap has them, so one reading ranks all taus.
      const averaged = row.every((p) => p.averaged_test_accuracy !== undefined)
        ? { averaged: bestBy(row, "mean", "averaged") }
        : {};
      return [{
        max_spikes: k,
        ...swept,
        ...bestBy(row, "mean"),
        by_median: bestBy(row, "median"),
        ...averaged,
      }];
    })
  );
  const tuned = spec.lrs && spec.lrs.length >= 2 ? { best_tau_tuned_lr: tunedBestTau(spec, points) } : {};
  return {
    format: "multispike-sweep",
    version: 1,
    grid: spec,
    runs_total: all.length,
    runs_finished: runs.length,
    points,
    best_tau,
    ...tuned,
    updated_at: new Date().toISOString(),
  };
}

/**
 * Per spike cap with two or more taus finished: each tau's learning rate chosen on the highest mean
 * validation accuracy over seeds (a tie goes to the rate listed first), then the best tau over the
 * chosen points by mean and by median test accuracy.
 */
function tunedBestTau(spec: GridSpec, points: readonly PointStats[]): TunedBestTau[] {
  return spec.max_spikes.flatMap((k) => {
    const chosen = spec.taus.flatMap((tau) => {
      const candidates = points.filter((p) => p.max_spikes === k && p.tau === tau);
      if (candidates.length === 0) return [];
      return [candidates.reduce((a, b) => (b.best_val_accuracy.mean > a.best_val_accuracy.mean ? b : a))];
    });
    if (chosen.length < 2) return [];
    return [{
      max_spikes: k,
      ...bestBy(chosen, "mean"),
      per_tau: chosen.map((p) => ({
        tau: p.tau,
        lr: p.lr,
        best_val_accuracy: p.best_val_accuracy.mean,
        test_accuracy: p.test_accuracy.mean,
      })),
      by_median: bestBy(chosen, "median"),
    }];
  });
}

/**
 * sweep.csv: one row per finished run, in grid order; where any run has averaged weights
 * (`--average-last`), also averaged_epochs (e.g. "16-20") and averaged_test_accuracy.
 */
export function sweepCsv(runs: readonly RunRecord[]): string {
  if (runs.length === 0) return "";
  const anyAveraged = runs.some((r) => r.summary.averaged !== undefined);
  const rows = [...runs].sort((a, b) => a.point.index - b.point.index).map(({ point, summary: s }) => {
    const row: Record<string, string | number> = {
      key: point.key,
      dataset: point.config.dataset,
      tau: point.tau,
      tau_m: point.config.neuron.tau_m,
      tau_s: point.config.neuron.tau_s,
      max_spikes: point.max_spikes,
      lr: point.lr,
      seed: point.seed,
      test_accuracy: s.test_accuracy,
      best_val_accuracy: s.best_val_accuracy,
      best_epoch: s.best_epoch,
      last_test_accuracy: s.last_test_accuracy,
    };
    if (anyAveraged) {
      row.averaged_epochs = s.averaged ? s.averaged.epochs.join("-") : "";
      row.averaged_test_accuracy = s.averaged?.test_accuracy ?? "";
    }
    s.layers.forEach((l, i) => {
      row[`spikes_per_neuron_l${i + 1}`] = l.spikes_per_neuron;
      row[`silent_fraction_l${i + 1}`] = l.silent_fraction;
    });
    row.epochs = s.epochs_completed;
    row.seconds = s.seconds;
    row.samples_per_second = s.samples_per_second;
    row.device = s.environment.device;
    return row;
  });
  return toCsv(rows);
}

/**
 * Writes sweep.csv, sweep.json and, with `plots`, sweep.svg and sweep.png into `out` (atomically, so that
 * shards sharing a directory may race). When PNG rendering is unavailable (fonts, wasm) sweep.png is
 * skipped with one line through `log`; `log` is unused without `plots`.
 */
export async function writeSweepFiles(
  out: string,
  spec: GridSpec,
  all: readonly GridPoint[],
  runs: readonly RunRecord[],
  plots: false | { readonly log: (line: string) => void },
): Promise<SweepJson> {
  const json = sweepJson(spec, all, runs);
  await writeTextAtomic(`${out}/sweep.csv`, sweepCsv(runs));
  await writeTextAtomic(`${out}/sweep.json`, JSON.stringify(json, finiteOrNull, 2) + "\n");
  if (plots && json.points.length > 0) {
    const svg = await sweepSvg(json);
    await writeTextAtomic(`${out}/sweep.svg`, svg);
    await writePngOrSkip(`${out}/sweep.png`, svg, { log: plots.log });
  }
  return json;
}

/** The legend entry of a spike cap in the tau figures, e.g. "max_spikes 1 (single spike)". */
export function capLabel(k: number): string {
  return k === 1 ? "max_spikes 1 (single spike)" : `max_spikes ${k}`;
}

/** A line of means at `x` with a band of one standard deviation either side. */
export function bandSeries(name: string, x: number[], at: readonly Spread[]): Series {
  return {
    name,
    x,
    y: at.map((v) => v.mean),
    yLow: at.map((v) => v.mean - v.std),
    yHigh: at.map((v) => v.mean + v.std),
  };
}

/**
 * Two panels against tau (log axis): test accuracy, and spikes per neuron of the first hidden layer; one line
 * per spike cap, and per learning rate when those are swept.
 */
function sweepSvg(json: SweepJson): Promise<string> {
  const lines = json.grid.max_spikes.flatMap((k) =>
    gridLrs(json.grid).map((lr) => ({
      name: json.grid.lrs ? `${capLabel(k)}, lr ${lr}` : capLabel(k),
      row: json.points.filter((p) => p.max_spikes === k && p.lr === lr),
    }))
  );
  const series = (pick: (p: PointStats) => Spread) =>
    lines.map(({ name, row }) => bandSeries(name, row.map((p) => p.tau), row.map(pick)))
      .filter((s) => s.x.length > 0);
  // With --average-last, the mean weights' reading of each line: dashed in the line's colour, without a band,
  // over the taus that have it.
  const averaged: Series[] = lines.flatMap(({ name, row }) => {
    const have = row.filter((p) => p.averaged_test_accuracy !== undefined);
    if (have.length === 0) return [];
    return [{
      name: `${name}, averaged`,
      group: name,
      x: have.map((p) => p.tau),
      y: have.map((p) => p.averaged_test_accuracy!.mean),
      dashed: true,
    }];
  });
  const xLabel = json.grid.tau_mode === "s"
    ? "tau_s"
    : json.grid.tau_mode === "tied"
    ? "tau (= tau_m = tau_s)"
    : "tau_m";
  const seeds = json.grid.seeds.length;
  return multiPanelSvg([
    {
      title: `${json.grid.dataset}: test accuracy vs time constant (mean ± std over ${seeds} seed${
        seeds === 1 ? "" : "s"
      }${
        averaged.length > 0
          ? `; dashed: mean weights of the last ${json.grid.base.average_last_epochs} epochs`
          : ""
      })`,
      xLabel,
      yLabel: "test accuracy",
      series: [...series((p) => p.test_accuracy), ...averaged],
      logX: true,
    },
    {
      title: "Spikes per hidden neuron per sample (first hidden layer, test set)",
      xLabel,
      yLabel: "spikes per neuron",
      series: series((p) => p.spikes_per_neuron[0]),
      logX: true,
    },
  ]);
}

/** JSON.stringify replacer: NaN and infinities become null (JSON has neither). */
function finiteOrNull(_key: string, v: unknown): unknown {
  return typeof v === "number" && !Number.isFinite(v) ? null : v;
}
