/**
 * Trains a conventional ReLU network of the spiking network's shape (784-800-10 by default) on the same
 * images, with the same splits, Adam, batch size, learning-rate schedule, shifts and epochs as `multispike train`
 * (its recommended settings for the dataset, src/train/defaults.ts, unless an option overrides one), and
 * reports test accuracy of the best-validation model (or of the last epoch's with --validation-size 0): the
 * "non-convolutional ANN" the paper's accuracy claim refers to, measured here rather than quoted.
 *
 *   deno run --allow-read --allow-write --allow-env scripts/ann_baseline.ts --dataset fashion-mnist --out runs/ann
 *
 * writes OUT/metrics.csv (one row per epoch) and OUT/summary.json.
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { type DatasetName, loadDataset } from "../src/data/dataset.ts";
import type { ImageSplit } from "../src/data/image_split.ts";
import { flipImages, shiftImages, squareSide } from "../src/data/augment.ts";
import type { ImageBatch } from "../src/engine/engine.ts";
import { ADAM_DEFAULTS, adamStep, newAdamState } from "../src/engine/adam.ts";
import { Mlp } from "../src/baseline/mlp.ts";
import { Rng } from "../src/util/rng.ts";
import { writeTextAtomic } from "../src/report/csv.ts";
import {
  parseFraction,
  parseLayerSizes,
  parseNonNegative,
  parseNonNegativeInt,
  parsePositive,
  parsePositiveInt,
  parseUnitInterval,
} from "../src/cli/parsers.ts";
import { augmentSeed, dropoutSeed, flipSeed, shuffleSeed } from "../src/train/seeds.ts";
import { defaultTrainConfig } from "../src/train/defaults.ts";
import { addEpochWeights, averagedWeights, type WeightAverage } from "../src/train/weight_average.ts";

const opts = new Command("ann_baseline.ts")
  .description("Train a ReLU network of the spiking network's shape on the same images (a reference).")
  .option("--dataset <name>", "mnist or fashion-mnist", "mnist")
  .option("--data-dir <dir>", "directory with the dataset's IDX files")
  .requiredOption("--out <dir>", "output directory")
  .option("--hidden <sizes>", "hidden layer sizes, comma-separated", parseLayerSizes, [800])
  .option("--epochs <n>", "epochs (default: train's for the dataset)", parsePositiveInt)
  .option("--batch-size <n>", "samples per step (default: train's for the dataset)", parsePositiveInt)
  .option("--lr <rate>", "Adam learning rate (default: train's for the dataset)", parsePositive)
  .option(
    "--lr-decay <f>",
    "rate multiplied by this after every epoch (default: train's for the dataset)",
    parseFraction,
  )
  .option(
    "--augment-shift <px>",
    "move each training image by up to px pixels, anew every epoch (default: train's for the dataset)",
    parseNonNegativeInt,
  )
  .option(
    "--augment-flip",
    "mirror each training image left to right with probability 1/2, as train's option",
  )
  .option("--weight-decay <d>", "decoupled weight decay (AdamW)", parseNonNegative, 0)
  .option(
    "--dropout <rate>",
    "drop each hidden unit with this probability while training (inverted dropout; 0 = off)",
    parseUnitInterval,
    0,
  )
  .option(
    "--label-smoothing <e>",
    "train against the target (1 - e) on the class plus e / classes on every class (0 = off)",
    parseUnitInterval,
    0,
  )
  .option("--seed <s>", "seed of initialisation and shuffling", parseNonNegativeInt, 0)
  .option(
    "--validation-size <n>",
    "last N training images validate (0: none, keep the last epoch)",
    parseNonNegativeInt,
  )
  .option(
    "--average-last <epochs>",
    "also measure the mean parameters of the last N epochs, as train --average-last (0 = off)",
    parseNonNegativeInt,
    0,
  )
  .option("--limit-train <n>", "first N training images only (0 = all)", parseNonNegativeInt, 0)
  .option("--limit-test <n>", "first N test images only (0 = all)", parseNonNegativeInt, 0)
  .parse()
  .opts();

if (opts.dataset !== "mnist" && opts.dataset !== "fashion-mnist") {
  console.error(`ann_baseline.ts: error: --dataset must be mnist or fashion-mnist, got ${opts.dataset}`);
  Deno.exit(2);
}

// The schedule `multispike train` uses for this dataset, unless an option says otherwise: a bare
// `--dataset mnist` then compares with a bare `multispike train --dataset mnist`.
const recommended = defaultTrainConfig(opts.dataset as DatasetName);
const schedule = {
  epochs: opts.epochs ?? recommended.epochs,
  batchSize: opts.batchSize ?? recommended.batch_size,
  lr: opts.lr ?? recommended.lr,
  lrDecay: opts.lrDecay ?? recommended.lr_decay,
  augmentShift: opts.augmentShift ?? recommended.augment_shift ?? 0,
};

const data = await loadDataset(opts.dataset as DatasetName, {
  dataDir: opts.dataDir,
  limitTrain: opts.limitTrain,
  limitTest: opts.limitTest,
  validationSize: opts.validationSize,
});

/** Intensities x in [0, 1] of a batch of images, the ANN's input (the spiking net sees t_in (1 - x)). */
function intensities(batch: ImageBatch): Float64Array {
  const x = new Float64Array(batch.pixels.length);
  const scale = batch.pixels instanceof Uint8Array ? 1 / 255 : 1;
  for (let i = 0; i < x.length; i++) x[i] = batch.pixels[i] * scale;
  return x;
}

/** The images at `indices`, unchanged. */
function inputs(split: ImageSplit, indices: ArrayLike<number>): Float64Array {
  return intensities(split.batch(indices, 1));
}

function accuracy(net: Mlp, split: ImageSplit): number {
  if (split.size === 0) return NaN;
  let correct = 0;
  for (let from = 0; from < split.size; from += 500) {
    const idx = Int32Array.from({ length: Math.min(500, split.size - from) }, (_, i) => from + i);
    const pred = net.predict(inputs(split, idx), idx.length);
    for (let s = 0; s < idx.length; s++) if (pred[s] === split.labels[idx[s]]) correct++;
  }
  return correct / split.size;
}

const train = data.train as ImageSplit;
const side = squareSide(data.inputSize);
const net = new Mlp([data.inputSize, ...opts.hidden, data.classes], new Rng(opts.seed));
const adam = newAdamState(net.params);
const shuffle = new Rng(shuffleSeed(opts.seed));
// Its own stream, so that a run with --dropout 0 shuffles, shifts and initialises exactly as one without it.
const dropout = opts.dropout > 0 ? { rate: opts.dropout, rng: new Rng(dropoutSeed(opts.seed)) } : undefined;
await Deno.mkdir(opts.out, { recursive: true });
const rows = ["epoch,lr,train_loss,train_acc,val_acc,test_acc,seconds"];
let best = { epoch: 0, val: -1, test: NaN };
let lastTest = NaN;
let average: WeightAverage | null = null;
console.log(
  `ANN ${
    net.sizes.join("-")
  } (ReLU, softmax) on ${data.name}: ${train.size} training, ${data.validation.size} ` +
    `validation, ${data.test.size} test images; Adam lr ${schedule.lr} x ${schedule.lrDecay}/epoch, batch ${schedule.batchSize}` +
    (schedule.augmentShift > 0 ? `, shifts up to ${schedule.augmentShift} px` : "") +
    (opts.augmentFlip ? ", mirrored at random" : "") +
    (opts.dropout > 0 ? `, dropout ${opts.dropout} on hidden units` : "") +
    (opts.labelSmoothing > 0 ? `, label smoothing ${opts.labelSmoothing}` : ""),
);
for (let epoch = 1; epoch <= schedule.epochs; epoch++) {
  const started = performance.now();
  const lr = schedule.lr * Math.pow(schedule.lrDecay, epoch - 1);
  const order = shuffle.shuffle(Int32Array.from({ length: train.size }, (_, i) => i));
  const shiftRng = new Rng(augmentSeed(opts.seed, epoch - 1));
  const flipRng = new Rng(flipSeed(opts.seed, epoch - 1));
  let lossSum = 0;
  let correct = 0;
  for (let from = 0; from < order.length; from += schedule.batchSize) {
    const idx = order.subarray(from, Math.min(from + schedule.batchSize, order.length));
    const labels = Int32Array.from(idx, (i) => train.labels[i]);
    let batch = train.batch(idx, 1);
    if (schedule.augmentShift > 0) batch = shiftImages(batch, side, schedule.augmentShift, shiftRng);
    if (opts.augmentFlip) batch = flipImages(batch, side, flipRng);
    const r = net.lossAndGradient(intensities(batch), labels, dropout, opts.labelSmoothing);
    if (!Number.isFinite(r.loss)) {
      console.error(
        `ann_baseline.ts: error: the loss diverged (${r.loss}) in epoch ${epoch}; try a smaller --lr`,
      );
      Deno.exit(1);
    }
    lossSum += r.loss * idx.length;
    correct += r.correct;
    adamStep(net.params, net.grads, adam, { lr, ...ADAM_DEFAULTS, weight_decay: opts.weightDecay });
  }
  average = addEpochWeights(average, net.params, epoch, schedule.epochs, opts.averageLast);
  const val = accuracy(net, data.validation as ImageSplit);
  const test = accuracy(net, data.test as ImageSplit);
  lastTest = test;
  // Without a validation split the last epoch's network is the one reported, as in `multispike train`.
  if (Number.isNaN(val) || val > best.val) best = { epoch, val: Number.isNaN(val) ? -1 : val, test };
  const seconds = (performance.now() - started) / 1000;
  rows.push([epoch, lr, lossSum / train.size, correct / train.size, val, test, seconds.toFixed(1)].join(","));
  await writeTextAtomic(`${opts.out}/metrics.csv`, rows.join("\n") + "\n");
  console.log(
    `epoch ${epoch}/${schedule.epochs}: loss ${(lossSum / train.size).toFixed(4)}, train ${
      (100 * correct / train.size).toFixed(2)
    }%, ${Number.isNaN(val) ? "" : `validation ${(100 * val).toFixed(2)}%, `}test ${
      (100 * test).toFixed(2)
    }% (${seconds.toFixed(0)} s)`,
  );
}
let averaged = null;
if (average) {
  // The last epoch's parameters are no longer needed: the network takes the mean ones to be measured.
  averagedWeights(average).forEach((p, i) => net.params[i].set(p));
  const epochs = [average.from, average.from + average.count - 1];
  averaged = {
    epochs,
    val_accuracy: accuracy(net, data.validation as ImageSplit),
    test_accuracy: accuracy(net, data.test as ImageSplit),
  };
  console.log(
    `mean parameters of epochs ${epochs[0]}-${epochs[1]}: test ${(100 * averaged.test_accuracy).toFixed(2)}%`,
  );
}
const summary = {
  network: `ANN ${net.sizes.join("-")}, ReLU, softmax cross-entropy`,
  dataset: data.name,
  options: { ...opts, ...schedule },
  best_epoch: best.epoch,
  test_accuracy: best.test,
  last_test_accuracy: lastTest,
  ...(averaged ? { averaged } : {}),
};
await writeTextAtomic(`${opts.out}/summary.json`, JSON.stringify(summary, null, 2) + "\n");
console.log(
  `test accuracy ${(100 * best.test).toFixed(2)}% (epoch ${best.epoch}; after the last epoch ${
    (100 * lastTest).toFixed(2)
  }%); written: ${opts.out}/metrics.csv, ${opts.out}/summary.json`,
);
