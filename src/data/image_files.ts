/**
 * Finding and reading the four IDX files of an MNIST-like dataset, and cutting them into the
 * train / validation / test splits.
 * @module
 */
import { join } from "node:path";
import { DatasetError } from "./errors.ts";
import { ImageSplit } from "./image_split.ts";
import { parseIdxImages, parseIdxLabels, readIdxBytes } from "./idx.ts";

/** The four files, by their standard names (each may also end in `.gz`). */
export const IDX_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** Validation samples taken from the end of the training file, e.g. the last 5000 of MNIST's 60000. */
export const FULL_VALIDATION = 5000;

/** How many samples each split gets. */
export interface SplitSizes {
  readonly train: number;
  readonly validation: number;
  readonly test: number;
}

/**
 * The split sizes for a training file of `trainTotal` samples and a test file of `testTotal`.
 * Validation is the last `validationSize` training samples when that is given (0: none, train on all), else
 * min(5000, trainTotal/10), or with `limitTrain` set min(that, max(100, limitTrain/10)) so that a short run
 * does not spend its time validating; train is the first `limitTrain` of the rest, test the first `limitTest`.
 * @param limitTrain 0 or undefined: no limit
 * @param limitTest 0 or undefined: no limit
 * @param validationSize undefined: the default above
 */
export function splitSizes(
  trainTotal: number,
  testTotal: number,
  limitTrain?: number,
  limitTest?: number,
  validationSize?: number,
): SplitSizes {
  let validation = Math.min(FULL_VALIDATION, Math.floor(trainTotal / 10));
  if (limitTrain) validation = Math.min(validation, Math.max(100, Math.floor(limitTrain / 10)));
  if (validationSize !== undefined) validation = validationSize;
  const rest = trainTotal - validation;
  return {
    train: limitTrain ? Math.min(limitTrain, rest) : rest,
    validation,
    test: limitTest ? Math.min(limitTest, testTotal) : testTotal,
  };
}

/** The path of `base` or `base.gz` in `dir`, or undefined when neither is a file. */
async function findFile(dir: string, base: string): Promise<string | undefined> {
  for (const name of [base, `${base}.gz`]) {
    const path = join(dir, name);
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) throw e;
    }
  }
  return undefined;
}

/**
 * The first of `dirs` that holds the training images, or undefined.
 * @param dirs candidate folders in order of preference
 */
export async function findIdxDir(dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) if (await findFile(dir, IDX_FILES.trainImages)) return dir;
  return undefined;
}

/** The three splits of an image dataset and what they were read from. */
export interface ImageSplits {
  readonly train: ImageSplit;
  readonly validation: ImageSplit;
  readonly test: ImageSplit;
  /** Pixels per image, e.g. 784. */
  readonly inputSize: number;
}

/**
 * Reads the four IDX files of `dir` and cuts them into splits (see `splitSizes`).
 * @param dir folder with the four files, plain or gzipped
 * @param classes labels must lie in 0 .. classes-1
 * @param limitTrain first N training samples (0: all)
 * @param limitTest first N test samples (0: all)
 * @param validationSize the last N training samples validate (undefined: the default of `splitSizes`)
 * @throws DatasetError naming the file when one is missing or malformed, or when files disagree or leave no
 *   training images
 */
export async function readImageSplits(
  dir: string,
  classes: number,
  limitTrain?: number,
  limitTest?: number,
  validationSize?: number,
): Promise<ImageSplits> {
  const paths: Record<keyof typeof IDX_FILES, string> = { ...IDX_FILES };
  for (const key of Object.keys(IDX_FILES) as (keyof typeof IDX_FILES)[]) {
    const found = await findFile(dir, IDX_FILES[key]);
    if (!found) throw new DatasetError(`${join(dir, IDX_FILES[key])}[.gz]: no such file`);
    paths[key] = found;
  }
  const trainImages = parseIdxImages(await readIdxBytes(paths.trainImages), paths.trainImages);
  const trainLabels = parseIdxLabels(await readIdxBytes(paths.trainLabels), paths.trainLabels, classes);
  const testImages = parseIdxImages(await readIdxBytes(paths.testImages), paths.testImages);
  const testLabels = parseIdxLabels(await readIdxBytes(paths.testLabels), paths.testLabels, classes);
  for (
    const [images, labels, ip, lp] of [
      [trainImages, trainLabels, paths.trainImages, paths.trainLabels],
      [testImages, testLabels, paths.testImages, paths.testLabels],
    ] as const
  ) {
    if (images.count !== labels.length) {
      throw new DatasetError(`${ip} has ${images.count} images but ${lp} has ${labels.length} labels`);
    }
  }
  if (trainImages.rows !== testImages.rows || trainImages.cols !== testImages.cols) {
    throw new DatasetError(
      `${paths.trainImages} has ${trainImages.rows}x${trainImages.cols} images but ${paths.testImages} ` +
        `has ${testImages.rows}x${testImages.cols}`,
    );
  }
  const d = trainImages.rows * trainImages.cols;
  const n = splitSizes(trainImages.count, testImages.count, limitTrain, limitTest, validationSize);
  const total = trainImages.count;
  if (n.train <= 0) {
    // With a validation size given, that alone leaves nothing to train on; else the file is too small.
    throw new DatasetError(
      validationSize !== undefined
        ? `${paths.trainImages}: a validation split of ${validationSize} leaves none of its ${total} images to train on`
        : `${paths.trainImages}: only ${total} images, too few to split`,
    );
  }
  const v0 = total - n.validation;
  return {
    inputSize: d,
    train: new ImageSplit(trainImages.pixels.subarray(0, n.train * d), trainLabels.subarray(0, n.train), d),
    validation: new ImageSplit(trainImages.pixels.subarray(v0 * d, total * d), trainLabels.subarray(v0), d),
    test: new ImageSplit(testImages.pixels.subarray(0, n.test * d), testLabels.subarray(0, n.test), d),
  };
}
