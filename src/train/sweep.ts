/**
 * `sweep`: one training run per point of a grid of time constants x spike caps (x learning rates) x seeds, resumable (finished
 * points are skipped, unfinished ones continue from their checkpoint), splittable into shards for batch
 * schedulers (`--shard i/n`, e.g. Slurm job arrays or Kubernetes indexed jobs), and `mergeSweeps` to join
 * shard directories. Layout of a sweep directory:
 *
 * ```
 * out/sweep.json  sweep.csv  sweep.svg  sweep.png
 * out/points/<key>/  (a training run: summary.json, metrics.csv, model.json, checkpoint.json, ...)
 * ```
 * @module
 */
import type { Reporter } from "../report/progress.ts";
import { configDifference } from "./checkpoint.ts";
import type { TrainConfig } from "./config.ts";
import { defaultTrainConfig } from "./defaults.ts";
import { prepareOutDir } from "./files.ts";
import { TrainingError } from "./errors.ts";
import {
  type GridPoint,
  gridPoints,
  type GridSpec,
  gridSpec,
  shardPoints,
  type SweepConfig,
} from "./sweep_grid.ts";
import { type RunRecord, type SweepJson, writeSweepFiles } from "./sweep_report.ts";
import { train, type TrainOptions, type TrainSummary } from "./trainer.ts";

export type { ShardSpec, SweepConfig, TauMode } from "./sweep_grid.ts";
export { TAU_MODES } from "./sweep_grid.ts";

/** A named sweep: everything but the output directory and the shard. */
export interface SweepPreset extends Omit<SweepConfig, "out" | "shard"> {
  /** One line for `--help` and the README. */
  readonly description: string;
}

const MNIST_DEFAULTS = defaultTrainConfig("mnist");

/**
 * The presets. "yinyang-tau" is what `deno task sweep-tau` runs: the paper's question (does test accuracy
 * have an optimum over the time constant for multi-spike networks, and not for single-spike ones?) on
 * Yin-Yang, small enough to finish in minutes on a 2-core CPU. "mnist-tau" asks it on MNIST: days on a 2-core
 * CPU; on one NVIDIA H200, 5 shards side by side (`--shard i/5 --device gpu`) ran it in under 5 minutes.
 */
export const SWEEP_PRESETS: Readonly<Record<string, SweepPreset>> = Object.freeze(
  {
    "yinyang-tau": {
      description:
        "Yin-Yang 5-120-3, tau 0.5..20 (tied), max_spikes 1 vs 8, 3 seeds, 4 epochs; 5-8 min on a 2-core CPU",
      dataset: "yinyang",
      taus: [0.5, 1, 2, 5, 10, 20],
      tau_mode: "tied",
      max_spikes: [1, 8],
      seeds: [0, 1, 2],
      // Measured: 4 epochs of all 5000 samples take ~3 s (max_spikes 1) to ~12 s (8) per run on one core and
      // reach 79-90%; the whole preset took 458 s on a busy 2-core machine. 5-60-3 on 1500 samples for 8
      // epochs was as fast but failed outright on some seeds (output layer silent from the start).
      base: { ...defaultTrainConfig("yinyang"), epochs: 4 },
    },
    "mnist-tau": {
      description:
        "MNIST 784-800-10, tau 1..20 (tied), max_spikes 1 vs 8, 3 seeds, 5 epochs; days on a 2-core CPU, minutes on a GPU",
      dataset: "mnist",
      taus: [1, 2, 5, 10, 20],
      tau_mode: "tied",
      max_spikes: [1, 8],
      seeds: [0, 1, 2],
      // The schedule and readout the preset's published runs had (docs/RESULTS.md, on the GPU), not today's
      // MNIST defaults, so that the same command gives the same grid.
      base: { ...MNIST_DEFAULTS, epochs: 5, batch_size: 64, loss: { ...MNIST_DEFAULTS.loss, tau0: 0.5 } },
    },
  } satisfies Record<string, SweepPreset>,
);

/** Options of `runSweep` beyond the reporter. */
export interface SweepOptions {
  readonly signal?: AbortSignal;
  /** Engine factory passed to every `train` (tests). */
  readonly createEngine?: TrainOptions["createEngine"];
  /** Draw sweep.svg/.png at the end (default true; rendering a PNG takes about a second). */
  readonly plots?: boolean;
}

/** What `runSweep` did. */
export interface SweepResult {
  /** Points of this shard run now. */
  readonly ran: number;
  /** Points of this shard skipped because they had finished before. */
  readonly skipped: number;
  /** The aggregate over every finished point of the grid in `out` (other shards' included). */
  readonly sweep: SweepJson;
}

/**
 * Runs the points of `cfg`'s grid (its shard of it) that have not finished, then writes the sweep's files
 * from every finished point found in `cfg.out`.
 * @param cfg grid, base configuration, output directory, shard
 * @param reporter progress of every run
 * @param options abort signal
 * @returns counts and the aggregate written to sweep.json
 * @throws TrainingError for an unusable output directory, a grid that differs from the one already in
 *   `out`, or a run that diverged; TrainingInterrupted when aborted (finished points stay finished)
 */
export async function runSweep(
  cfg: SweepConfig,
  reporter: Reporter,
  options: SweepOptions = {},
): Promise<SweepResult> {
  checkSweep(cfg);
  await prepareOutDir(`${cfg.out}/points`);
  const spec = gridSpec(cfg);
  await checkSameGrid(cfg.out, spec);
  const all = gridPoints(spec);
  const mine = shardPoints(all, cfg.shard);
  // sweep.json first: it marks the directory as a sweep of this grid even if the run is cut short.
  await writeSweepFiles(cfg.out, spec, all, await finishedRuns(cfg.out, all), false);
  const shardText = cfg.shard ? ` (shard ${cfg.shard.index}/${cfg.shard.count})` : "";
  reporter.log(`sweep ${cfg.dataset}: ${mine.length} of ${all.length} runs${shardText} into ${cfg.out}`);
  let ran = 0;
  let skipped = 0;
  for (const [n, point] of mine.entries()) {
    const dir = `${cfg.out}/points/${point.key}`;
    const lr = spec.lrs ? ` lr ${point.lr}` : "";
    const tag = `[${
      n + 1
    }/${mine.length}] tau ${point.tau} max_spikes ${point.max_spikes}${lr} seed ${point.seed}`;
    const done = await finishedSummary(dir, point.config);
    if (done) {
      skipped++;
      reporter.log(`${tag}: done before (test accuracy ${pct(done.test_accuracy)})`);
      continue;
    }
    const s = await train(point.config, {
      out: dir,
      resume: true,
      reporter,
      signal: options.signal,
      createEngine: options.createEngine,
      plots: false,
    });
    ran++;
    reporter.log(
      `${tag}: test accuracy ${pct(s.test_accuracy)}, ${s.spikes_per_neuron[0].toFixed(2)} spikes/neuron`,
    );
  }
  const runs = await finishedRuns(cfg.out, all);
  const plots = (options.plots ?? true) && { log: (line: string) => reporter.log(line) };
  const sweep = await writeSweepFiles(cfg.out, spec, all, runs, plots);
  return { ran, skipped, sweep };
}

/**
 * Joins the sweep directories `dirs` into `out`: shards of one grid, or sweeps of the same grid over other
 * seeds (seeds added later), whose seeds are joined. Copies every finished run not already there into
 * `out/points/`, then writes the sweep's files over all of them.
 * @param dirs shard directories
 * @param out destination (may be one of `dirs`)
 * @param options `plots: false` skips sweep.svg/.png; `log` gets the line saying a PNG was skipped (default
 *   stderr)
 * @returns the aggregate written to `out/sweep.json`
 * @throws TrainingError when a directory is not a sweep or the grids differ in more than their seeds
 */
export async function mergeSweeps(
  dirs: readonly string[],
  out: string,
  options: { readonly plots?: boolean; readonly log?: (line: string) => void } = {},
): Promise<SweepJson> {
  if (dirs.length === 0) throw new TrainingError("nothing to merge: give at least one sweep directory");
  let spec: GridSpec | undefined;
  for (const dir of dirs) {
    const s = await readGrid(dir);
    if (!s) throw new TrainingError(`${dir} is not a sweep directory (no sweep.json)`);
    if (spec) {
      const diff = gridDifference(spec, s, { seeds: false });
      if (diff) throw new TrainingError(`cannot merge ${dir}: its grid differs from ${dirs[0]}'s in ${diff}`);
      spec = { ...spec, seeds: [...new Set([...spec.seeds, ...s.seeds])].sort((x, y) => x - y) };
    } else spec = s;
  }
  await prepareOutDir(`${out}/points`);
  // `out` may already hold part of the merge (one of `dirs`, or an earlier merge over fewer seeds).
  await checkSameGrid(out, spec!, { fewerSeeds: true });
  const all = gridPoints(spec!);
  for (const dir of dirs) {
    if (await sameDir(dir, out)) continue;
    for (const point of all) {
      const from = `${dir}/points/${point.key}`;
      const to = `${out}/points/${point.key}`;
      if (!(await finishedSummary(from, point.config)) || (await finishedSummary(to, point.config))) continue;
      await Deno.remove(to, { recursive: true }).catch((e) => {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      });
      await copyDir(from, to);
    }
  }
  const plots = (options.plots ?? true) && { log: options.log ?? ((line: string) => console.error(line)) };
  return writeSweepFiles(out, spec!, all, await finishedRuns(out, all), plots);
}

/** The summary of a run that finished with `config` (extra epochs count as unfinished), else null. */
async function finishedSummary(dir: string, config: TrainConfig): Promise<TrainSummary | null> {
  let s: TrainSummary;
  try {
    s = JSON.parse(await Deno.readTextFile(`${dir}/summary.json`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof SyntaxError) return null;
    throw e;
  }
  if (!s.completed || s.epochs_completed < config.epochs) return null;
  return configDifference(s.config, config) === null ? s : null;
}

async function finishedRuns(out: string, all: readonly GridPoint[]): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  for (const point of all) {
    const summary = await finishedSummary(`${out}/points/${point.key}`, point.config);
    if (summary) runs.push({ point, summary });
  }
  return runs;
}

async function readGrid(dir: string): Promise<GridSpec | null> {
  try {
    return (JSON.parse(await Deno.readTextFile(`${dir}/sweep.json`)) as SweepJson).grid;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    if (e instanceof SyntaxError) throw new TrainingError(`${dir}/sweep.json is not valid JSON`);
    throw e;
  }
}

/**
 * Refuses to mix two different grids in one directory (a sweep's files describe one grid); with
 * `fewerSeeds`, a grid over a subset of the seeds is the same grid, grown.
 */
async function checkSameGrid(
  out: string,
  spec: GridSpec,
  opts: { fewerSeeds?: boolean } = {},
): Promise<void> {
  const old = await readGrid(out);
  if (!old) return;
  const grown = opts.fewerSeeds && old.seeds.every((s) => spec.seeds.includes(s));
  const diff = gridDifference(old, spec, { seeds: !grown });
  if (diff) {
    throw new TrainingError(`${out} holds a sweep over another grid (${diff}); choose another --out`);
  }
}

/**
 * The first grid setting that differs, ignoring what may change between sessions (device, workers), and the
 * seeds with `seeds: false`.
 */
function gridDifference(a: GridSpec, b: GridSpec, opts: { seeds?: boolean } = {}): string | null {
  for (const k of ["dataset", "taus", "tau_mode", "ratio", "max_spikes", "lrs", "seeds"] as const) {
    if (k === "seeds" && opts.seeds === false) continue;
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) {
      return `${k}: ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`;
    }
  }
  const d = configDifference({ ...a.base, epochs: 0 }, { ...b.base, epochs: 0 });
  return d === null
    ? (a.base.epochs === b.base.epochs ? null : `epochs: ${a.base.epochs} vs ${b.base.epochs}`)
    : `base.${d}`;
}

function checkSweep(cfg: SweepConfig): void {
  const bad = (what: string) => {
    throw new TrainingError(`invalid sweep: ${what}`);
  };
  if (cfg.taus.length === 0 || !cfg.taus.every((t) => Number.isFinite(t) && t > 0)) {
    bad(`taus must be numbers > 0, got [${cfg.taus}]`);
  }
  if (cfg.max_spikes.length === 0 || !cfg.max_spikes.every((k) => Number.isInteger(k) && k >= 1)) {
    bad(`max_spikes must be integers >= 1, got [${cfg.max_spikes}]`);
  }
  if (cfg.lrs && (cfg.lrs.length === 0 || !cfg.lrs.every((r) => Number.isFinite(r) && r > 0))) {
    bad(`learning rates must be numbers > 0, got [${cfg.lrs}]`);
  }
  if (cfg.seeds.length === 0 || !cfg.seeds.every((s) => Number.isInteger(s) && s >= 0)) {
    bad(`seeds must be integers >= 0, got [${cfg.seeds}]`);
  }
  if (cfg.ratio !== undefined && !(Number.isFinite(cfg.ratio) && cfg.ratio > 0)) {
    bad(`ratio must be > 0, got ${cfg.ratio}`);
  }
  if (cfg.shard && !(cfg.shard.count >= 1 && cfg.shard.index >= 0 && cfg.shard.index < cfg.shard.count)) {
    bad(`shard must be i/n with 0 <= i < n, got ${cfg.shard.index}/${cfg.shard.count}`);
  }
  if (cfg.base.dataset !== cfg.dataset) {
    bad(`base configuration is for ${cfg.base.dataset}, not ${cfg.dataset}`);
  }
}

/** Whether two existing directories are the same. */
async function sameDir(a: string, b: string): Promise<boolean> {
  return (await Deno.realPath(a)) === (await Deno.realPath(b));
}

async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyDir(`${from}/${e.name}`, `${to}/${e.name}`);
    else if (e.isFile) await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
