/**
 * The training checkpoint: everything needed to continue a run bit-for-bit (weights, Adam moments, the
 * shuffling RNG's state, epochs done, metrics so far, the best model), written atomically after every
 * epoch. Float arrays are stored as base64 of little-endian float64 so that reading gives the same bits.
 * @module
 */
import type { AdamState } from "../engine/engine.ts";
import { decodeFloat64Base64, encodeFloat64Base64 } from "../model/model_file.ts";
import type { TrainConfig } from "./config.ts";
import { TrainingError } from "./errors.ts";
import { writeTextAtomic } from "../report/csv.ts";
import type { WeightAverage } from "./weight_average.ts";

/** Format name of checkpoint files. */
export const CHECKPOINT_FORMAT = "multispike-checkpoint";
/** Format version of checkpoint files. */
export const CHECKPOINT_VERSION = 1;
/** File name of the checkpoint inside a run's output directory. */
export const CHECKPOINT_FILE = "checkpoint.json";

/** One row of metrics.csv: column name -> value. */
export type MetricsRow = Record<string, number>;

/** The state of a run after `epoch` finished epochs. */
export interface Checkpoint {
  readonly config: TrainConfig;
  /** Epochs finished, e.g. 3 (the next epoch to run has index 3). */
  readonly epoch: number;
  /** State of the shuffling RNG after the last finished epoch. */
  readonly rngState: number;
  /** Per layer (sizes[l], sizes[l+1]). */
  readonly weights: Float64Array[];
  readonly adam: AdamState;
  /** The model with the best validation accuracy so far, and the epoch (1-based) it was reached in. */
  readonly best: { epoch: number; valAccuracy: number; weights: Float64Array[] } | null;
  /** The running sum of --average-last (absent or null when the run averages nothing yet). */
  readonly average?: WeightAverage | null;
  /** One row per finished epoch. */
  readonly metrics: MetricsRow[];
  /** Wall-clock seconds spent in finished epochs, summed over every session of the run. */
  readonly seconds: number;
  /** ISO time the run first started. */
  readonly startedAt: string;
}

/**
 * Config fields that may change between a run and its resumption without changing what it computes (the
 * averaging window is checked on its own, `resumedAverage`).
 */
const RESUMABLE_FIELDS = new Set(["epochs", "device", "workers", "data_dir", "average_last_epochs"]);

/** Serialises and atomically writes `ck` as `dir/checkpoint.json`. */
export async function writeCheckpoint(dir: string, ck: Checkpoint): Promise<void> {
  const b64 = (xs: readonly Float64Array[]) => xs.map(encodeFloat64Base64);
  const json = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    config: ck.config,
    epoch: ck.epoch,
    rng_state: ck.rngState,
    weights: b64(ck.weights),
    adam: { step: ck.adam.step, m: b64(ck.adam.m), v: b64(ck.adam.v) },
    best: ck.best &&
      { epoch: ck.best.epoch, val_accuracy: ck.best.valAccuracy, weights: b64(ck.best.weights) },
    average: ck.average ? { from: ck.average.from, count: ck.average.count, sum: b64(ck.average.sum) } : null,
    metrics: ck.metrics,
    seconds: ck.seconds,
    started_at: ck.startedAt,
  };
  await writeTextAtomic(`${dir}/${CHECKPOINT_FILE}`, JSON.stringify(json));
}

/**
 * Reads `dir/checkpoint.json`.
 * @returns the checkpoint, or null when the directory has none
 * @throws TrainingError when the file exists but is not a readable checkpoint
 */
export async function readCheckpoint(dir: string): Promise<Checkpoint | null> {
  const path = `${dir}/${CHECKPOINT_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new TrainingError(`cannot read checkpoint ${path}: ${e instanceof Error ? e.message : e}`);
  }
  const bad = (why: string): never => {
    throw new TrainingError(`checkpoint ${path} is unusable (${why}); delete it or choose another --out`);
  };
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch {
    return bad("not valid JSON");
  }
  if (raw.format !== CHECKPOINT_FORMAT || raw.version !== CHECKPOINT_VERSION) {
    bad(`expected format ${CHECKPOINT_FORMAT} version ${CHECKPOINT_VERSION}`);
  }
  const arrays = (x: unknown, what: string): Float64Array[] => {
    if (!Array.isArray(x) || !x.every((s) => typeof s === "string")) return bad(`${what} missing`);
    try {
      return x.map(decodeFloat64Base64);
    } catch (e) {
      if (e instanceof SyntaxError) return bad(`${what}: ${e.message}`);
      throw e;
    }
  };
  const adam = raw.adam as Record<string, unknown> | undefined;
  if (typeof raw.epoch !== "number" || typeof raw.rng_state !== "number" || !adam) bad("fields missing");
  const best = raw.best as Record<string, unknown> | null;
  const average = raw.average as Record<string, unknown> | null | undefined;
  if (average && (typeof average.from !== "number" || typeof average.count !== "number")) {
    bad("average.from or average.count missing");
  }
  return {
    config: raw.config as TrainConfig,
    epoch: raw.epoch as number,
    rngState: raw.rng_state as number,
    weights: arrays(raw.weights, "weights"),
    adam: { step: adam!.step as number, m: arrays(adam!.m, "adam.m"), v: arrays(adam!.v, "adam.v") },
    best: best
      ? {
        epoch: best.epoch as number,
        // JSON writes the Infinity key of a run without a validation split (`bestKey`) as null.
        valAccuracy: (best.val_accuracy as number | null) ?? Infinity,
        weights: arrays(best.weights, "best"),
      }
      : null,
    average: average
      ? { from: average.from as number, count: average.count as number, sum: arrays(average.sum, "average") }
      : null,
    // JSON writes NaN (the validation figures of a run without a validation split) as null.
    metrics: ((raw.metrics as Record<string, number | null>[]) ?? []).map((row) =>
      Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v ?? NaN]))
    ) as unknown as MetricsRow[],
    seconds: (raw.seconds as number) ?? 0,
    startedAt: String(raw.started_at ?? ""),
  };
}

/**
 * The first setting in which `saved` and `current` differ, ignoring those that do not change what is
 * computed (epochs may grow, device, workers, data_dir, average_last_epochs), as a dotted path; null when
 * they agree.
 */
export function configDifference(saved: TrainConfig, current: TrainConfig): string | null {
  const a = JSON.parse(JSON.stringify(saved)) as Record<string, unknown>;
  const b = JSON.parse(JSON.stringify(current)) as Record<string, unknown>;
  for (const k of RESUMABLE_FIELDS) {
    delete a[k];
    delete b[k];
  }
  return firstDifference(withOffValues(a), withOffValues(b), "");
}

/**
 * Optional settings whose absence means off, with their off value: a configuration that spells one out as off
 * (`--lr-warmup 0` against a dataset default that warms up, to resume a run made before) computes the same as
 * one that leaves it out, and a difference names the off value rather than "undefined".
 */
const OFF_VALUES: Record<string, unknown> = {
  lr_warmup_steps: 0,
  weight_decay: 0,
  dropout: 0,
  augment_shift: 0,
  augment_flip: false,
};
const LOSS_OFF_VALUES: Record<string, unknown> = { t_ref_weight: 0, label_smoothing: 0 };

function withOffValues(c: Record<string, unknown>): Record<string, unknown> {
  const out = { ...OFF_VALUES, ...c };
  if (typeof c.loss === "object" && c.loss !== null) out.loss = { ...LOSS_OFF_VALUES, ...c.loss };
  return out;
}

function firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        path ? `${path}.${k}` : k,
      );
      if (d !== null) return d;
    }
    return null;
  }
  return a === b ? null : `${path} (was ${JSON.stringify(a)}, now ${JSON.stringify(b)})`;
}
