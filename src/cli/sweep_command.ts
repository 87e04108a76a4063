/**
 * `multispike sweep`: a preset or a grid given on the command line, the base training configuration
 * overridden like `train`'s, run (or one shard of it) with Ctrl-C handling; or `--merge` of shard dirs.
 * @module
 */
import type { DatasetName } from "../data/dataset.ts";
import { createReporter } from "../report/progress.ts";
import { defaultTrainConfig } from "../train/defaults.ts";
import {
  mergeSweeps,
  runSweep,
  type ShardSpec,
  SWEEP_PRESETS,
  type SweepConfig,
  type TauMode,
} from "../train/sweep.ts";
import type { BestTau, SweepJson } from "../train/sweep_report.ts";
import { UsageError } from "./errors.ts";
import { EXIT_INTERRUPTED, interruptedLine, runInterruptible } from "./interrupt.ts";
import { type ConfigOverrides, trainConfigFromOptions } from "./train_command.ts";

/** Options of `sweep` as commander parses them. */
export interface SweepCliOptions extends Omit<ConfigOverrides, "tau" | "maxSpikes" | "seed"> {
  readonly preset?: string;
  readonly dataset?: DatasetName;
  readonly taus?: number[];
  readonly tauMode?: TauMode;
  readonly ratio?: number;
  readonly maxSpikes?: number[];
  readonly lrs?: number[];
  readonly seeds?: number[];
  readonly shard?: ShardSpec;
  readonly out?: string;
  readonly merge?: string[];
  readonly quiet?: boolean;
}

/** Where a preset's sweep goes without --out: `runs/<preset>`. */
export function defaultSweepOut(preset: string): string {
  return `runs/${preset}`;
}

/**
 * The sweep the options ask for: the preset's (if any), with every option given replacing its part.
 * @param o parsed options (not `--merge`)
 * @returns the sweep configuration
 * @throws UsageError for an unknown preset, a missing grid or output directory, a dataset that contradicts
 *   the preset, --lr beside --lrs
 */
export function sweepConfigFromOptions(o: SweepCliOptions): SweepConfig {
  let preset;
  if (o.preset !== undefined) {
    preset = SWEEP_PRESETS[o.preset];
    if (!preset) {
      throw new UsageError(
        `unknown --preset '${o.preset}'; presets: ${Object.keys(SWEEP_PRESETS).join(", ")}`,
      );
    }
    if (o.dataset !== undefined && o.dataset !== preset.dataset) {
      const other = Object.entries(SWEEP_PRESETS).find(([, p]) => p.dataset === o.dataset)?.[0];
      throw new UsageError(
        `--dataset ${o.dataset} contradicts preset ${o.preset} (dataset ${preset.dataset})` +
          (other ? `; use --preset ${other}` : ""),
      );
    }
  }
  const dataset = preset?.dataset ?? o.dataset ?? "mnist";
  const taus = o.taus ?? preset?.taus;
  if (!taus) throw new UsageError("sweep needs --taus (e.g. --taus 1,2,5,10,20) or a --preset");
  const out = o.out ?? (o.preset !== undefined ? defaultSweepOut(o.preset) : undefined);
  if (out === undefined) {
    throw new UsageError("sweep needs --out DIR (or a --preset, which defaults to runs/<preset>)");
  }
  if (o.lr !== undefined && o.lrs !== undefined) {
    throw new UsageError("give --lr (one rate for every run) or --lrs (a grid of rates), not both");
  }
  // The grid sets max_spikes (a list here), the seed and, with --lrs, the lr of every run; the rest
  // overrides the base.
  const { maxSpikes: _grid, lrs: _lrs, ...overrides } = o;
  const base = trainConfigFromOptions(preset?.base ?? defaultTrainConfig(dataset), overrides);
  if ((o.lrs ?? preset?.lrs) !== undefined && base.validation_size === 0) {
    throw new UsageError(
      "--lrs chooses each tau's rate on validation accuracy; it cannot go with --validation-size 0",
    );
  }
  return {
    dataset,
    taus,
    tau_mode: o.tauMode ?? preset?.tau_mode ?? "tied",
    ...(o.ratio ?? preset?.ratio) !== undefined ? { ratio: o.ratio ?? preset?.ratio } : {},
    max_spikes: o.maxSpikes ?? preset?.max_spikes ?? [1, 8],
    ...(o.lrs ?? preset?.lrs) !== undefined ? { lrs: o.lrs ?? preset?.lrs } : {},
    seeds: o.seeds ?? preset?.seeds ?? [0],
    base,
    out,
    ...(o.shard ? { shard: o.shard } : {}),
  };
}

/**
 * Runs `sweep` for the command line.
 * @param o parsed options
 * @param argv the command line without the program name, for the resume hint
 * @returns the exit code: 0, or 130 when Ctrl-C stopped the sweep
 */
export async function sweepCommand(o: SweepCliOptions, argv: readonly string[]): Promise<number> {
  if (o.merge !== undefined) {
    const gridOptions = Object.keys(o).filter((k) => !["merge", "out", "quiet"].includes(k));
    if (gridOptions.length > 0) {
      throw new UsageError(`--merge takes only --out; drop ${gridOptions.map(flagName).join(", ")}`);
    }
    if (o.out === undefined) {
      throw new UsageError("--merge needs --out DIR (it may be one of the merged dirs)");
    }
    const reporter = createReporter({ tty: Deno.stderr.isTerminal(), quiet: o.quiet ?? false });
    const sweep = await mergeSweeps(o.merge, o.out, { log: (line) => reporter.log(line) });
    console.log(formatSweep(sweep, o.out));
    return 0;
  }
  const cfg = sweepConfigFromOptions(o);
  const reporter = createReporter({ tty: Deno.stderr.isTerminal(), quiet: o.quiet ?? false });
  const outcome = await runInterruptible((signal) => runSweep(cfg, reporter, { signal }));
  if (outcome.interrupted) {
    console.error(interruptedLine(argv, cfg.out));
    return EXIT_INTERRUPTED;
  }
  const { ran, skipped, sweep } = outcome.value;
  console.log(`ran ${plural(ran, "run")}, skipped ${skipped} finished before`);
  console.log(formatSweep(sweep, cfg.out));
  return 0;
}

/**
 * A sweep's table: one line per (tau, max_spikes, lr) with mean and spread of test accuracy and spikes, then
 * the best tau per spike cap (and learning rate), and with swept rates the best tau with each tau's rate
 * chosen on validation accuracy.
 * @param s content of sweep.json
 * @param out the sweep directory
 */
export function formatSweep(s: SweepJson, out: string): string {
  const lines = [`${s.runs_finished} of ${s.runs_total} runs finished in ${out}`];
  const swept = s.grid.lrs !== undefined;
  for (const p of s.points) {
    const spikes = p.spikes_per_neuron.map((x) => x.mean.toFixed(2)).join("/");
    const lr = swept ? ` lr ${p.lr}` : "";
    const averaged = p.averaged_test_accuracy
      ? `; mean weights of the last ${s.grid.base.average_last_epochs} epochs ` +
        `${p.averaged_test_accuracy.mean.toFixed(4)} +- ${p.averaged_test_accuracy.std.toFixed(4)}`
      : "";
    lines.push(
      `tau ${p.tau} (tau_m ${p.tau_m}, tau_s ${p.tau_s}) max_spikes ${p.max_spikes}${lr}: test accuracy ` +
        `${p.test_accuracy.mean.toFixed(4)} +- ${p.test_accuracy.std.toFixed(4)}${
          p.runs >= 3 ? ` (median ${p.test_accuracy.median.toFixed(4)})` : ""
        } over ${plural(p.runs, "seed")}, ` +
        `spikes per neuron ${spikes}${averaged}`,
    );
  }
  const where = (interior: boolean) =>
    interior ? "an optimum inside the grid" : "at the edge of the grid (a trend, no optimum)";
  // A failed seed can move the mean's best tau; the median's is said beside it when the two differ.
  const median = (b: BestTau, m: BestTau) =>
    m.tau === b.tau
      ? ""
      : `; by the median over seeds tau ${m.tau} (${m.test_accuracy.toFixed(4)}), ${where(m.interior)}`;
  for (const b of s.best_tau) {
    const lr = b.lr !== undefined ? ` lr ${b.lr}` : "";
    lines.push(
      `max_spikes ${b.max_spikes}${lr}: best tau ${b.tau} (${b.test_accuracy.toFixed(4)}), ` +
        where(b.interior) + median(b, b.by_median) +
        (b.averaged
          ? `; by the mean weights tau ${b.averaged.tau} (${b.averaged.test_accuracy.toFixed(4)}), ` +
            where(b.averaged.interior)
          : ""),
    );
  }
  for (const t of s.best_tau_tuned_lr ?? []) {
    const rates = t.per_tau.map((p) => `${p.tau}: ${p.lr}`).join(", ");
    lines.push(
      `max_spikes ${t.max_spikes}, lr chosen per tau on validation (${rates}): best tau ${t.tau} ` +
        `(${t.test_accuracy.toFixed(4)}), ${where(t.interior)}` + median(t, t.by_median),
    );
  }
  lines.push(`files: ${out}/sweep.json, ${out}/sweep.csv, ${out}/sweep.svg`);
  return lines.join("\n");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}
