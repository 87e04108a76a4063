/**
 * The grid of a sweep: time constants x spike caps (x learning rates) x seeds, the training configuration of
 * each point, its directory name, and the deterministic split of the grid into shards.
 * @module
 */
import type { DatasetName } from "../data/dataset.ts";
import type { TrainConfig } from "./config.ts";

/**
 * How one swept value `tau` sets the two time constants:
 * - "tied": tau_m = tau_s = tau (one time constant; the default, as in the paper's question);
 * - "ratio": tau_m = tau, tau_s = tau / ratio (`SweepConfig.ratio`, default 2);
 * - "m": tau_m = tau, tau_s from the base configuration;
 * - "s": tau_s = tau, tau_m from the base configuration.
 */
export type TauMode = "tied" | "ratio" | "m" | "s";

/** The tau modes, for CLI choices. */
export const TAU_MODES: readonly TauMode[] = ["tied", "ratio", "m", "s"];

/** One shard of a grid: `index` of `count`, 0-based. */
export interface ShardSpec {
  readonly index: number;
  readonly count: number;
}

/** A sweep: which grid, over which base training configuration, into which directory. */
export interface SweepConfig {
  readonly dataset: DatasetName;
  /** Time constants to sweep, e.g. [1, 2, 5, 10, 20]; how they set tau_m and tau_s is `tau_mode`. */
  readonly taus: readonly number[];
  readonly tau_mode: TauMode;
  /** tau_m / tau_s in "ratio" mode, e.g. 2. */
  readonly ratio?: number;
  /** Spike caps, e.g. [1, 8]: 1 is the single-spike (TTFS) network the multi-spike one is compared with. */
  readonly max_spikes: readonly number[];
  /**
   * Learning rates to sweep, e.g. [0.001, 0.003]; absent: every run uses the base's, and the grid, its keys and
   * files are those of a sweep without this axis. A fixed learning rate can fail at some time constants that
   * a smaller one trains (Fashion-MNIST, tau 30-40), so comparing time constants fairly may need a rate per tau.
   */
  readonly lrs?: readonly number[];
  /** Seeds of the repeated runs, e.g. [0, 1, 2]. */
  readonly seeds: readonly number[];
  /**
   * Everything else every run shares (its dataset must be `dataset`); each point overrides neuron.tau_m,
   * neuron.tau_s, neuron.max_spikes, seed and, with `lrs`, lr. t_max stays fixed across the sweep.
   */
  readonly base: TrainConfig;
  /** Output directory: runs go to `out/points/<key>/`, the sweep's files to `out/`. */
  readonly out: string;
  /** Run only this shard of the grid (default: all of it). */
  readonly shard?: ShardSpec;
}

/** One run of the grid. */
export interface GridPoint {
  /** Position in the canonical order (tau, then max_spikes, then learning rate, then seed). */
  readonly index: number;
  /** Directory name under points/, e.g. "tau-2_k-8_seed-0", or "tau-2_k-8_lr-0.001_seed-0" with `lrs`. */
  readonly key: string;
  readonly tau: number;
  readonly max_spikes: number;
  /** The run's learning rate (the base's when the grid has no `lrs`). */
  readonly lr: number;
  readonly seed: number;
  readonly config: TrainConfig;
}

/** The grid's definition as stored in sweep.json; shards of one sweep must agree on it. */
export interface GridSpec {
  readonly dataset: DatasetName;
  readonly taus: readonly number[];
  readonly tau_mode: TauMode;
  readonly ratio: number;
  readonly max_spikes: readonly number[];
  /** Present only when learning rates are swept (sweep.json files from before this axis have none). */
  readonly lrs?: readonly number[];
  readonly seeds: readonly number[];
  readonly base: TrainConfig;
}

/** The grid definition of `cfg` (defaults applied; out and shard left out). */
export function gridSpec(cfg: SweepConfig): GridSpec {
  return {
    dataset: cfg.dataset,
    taus: [...cfg.taus],
    tau_mode: cfg.tau_mode,
    ratio: cfg.ratio ?? 2,
    max_spikes: [...cfg.max_spikes],
    ...(cfg.lrs ? { lrs: [...cfg.lrs] } : {}),
    seeds: [...cfg.seeds],
    base: cfg.base,
  };
}

/** tau_m and tau_s for swept value `tau` (see `TauMode`). */
export function timeConstants(spec: GridSpec, tau: number): { tau_m: number; tau_s: number } {
  const n = spec.base.neuron;
  switch (spec.tau_mode) {
    case "tied":
      return { tau_m: tau, tau_s: tau };
    case "ratio":
      return { tau_m: tau, tau_s: tau / spec.ratio };
    case "m":
      return { tau_m: tau, tau_s: n.tau_s };
    case "s":
      return { tau_m: n.tau_m, tau_s: tau };
  }
}

/** The learning rates of the grid: the swept ones, else the base's alone. */
export function gridLrs(spec: GridSpec): readonly number[] {
  return spec.lrs ?? [spec.base.lr];
}

/** Every point of the grid, in canonical order: tau, then max_spikes, then learning rate, then seed. */
export function gridPoints(spec: GridSpec): GridPoint[] {
  const points: GridPoint[] = [];
  for (const tau of spec.taus) {
    for (const k of spec.max_spikes) {
      for (const lr of gridLrs(spec)) {
        for (const seed of spec.seeds) {
          const config: TrainConfig = {
            ...spec.base,
            dataset: spec.dataset,
            neuron: { ...spec.base.neuron, ...timeConstants(spec, tau), max_spikes: k },
            lr,
            seed,
          };
          // Without an lr axis the keys stay as they were, so older sweep directories resume and merge.
          const lrPart = spec.lrs ? `_lr-${lr}` : "";
          points.push({
            index: points.length,
            key: `tau-${tau}_k-${k}${lrPart}_seed-${seed}`,
            tau,
            max_spikes: k,
            lr,
            seed,
            config,
          });
        }
      }
    }
  }
  return points;
}

/**
 * The points of one shard: point i belongs to shard i mod count. Round-robin keeps shards balanced when run
 * time grows with tau or max_spikes; every machine computes the same split from the same flags.
 */
export function shardPoints(points: readonly GridPoint[], shard: ShardSpec | undefined): GridPoint[] {
  if (!shard) return [...points];
  return points.filter((p) => p.index % shard.count === shard.index);
}
