/**
 * Options that several commands share (`train`, `sweep`, `eval`, `info`), declared once so that their
 * names, parsers and help lines cannot drift apart. Factories, because a commander Option belongs to one
 * command.
 * @module
 */
import { Option } from "@commander-js/extra-typings";
import {
  parseFraction,
  parseLayerSizes,
  parseNonNegative,
  parseNonNegativeInt,
  parsePositive,
  parsePositiveInt,
  parseUnitInterval,
} from "./parsers.ts";

export const DEVICES = ["auto", "gpu", "cpu"] as const;
export const LOSSES = ["first-spike", "multi-spike"] as const;

/** --data-dir */
export const dataDirOption = () =>
  new Option("--data-dir <dir>", "directory with the dataset's files instead of the packaged ones");

/** --hidden */
export const hiddenOption = () =>
  new Option("--hidden <sizes>", "hidden layer sizes, comma-separated, e.g. 800 or 400,200").argParser(
    parseLayerSizes,
  );

/**
 * The training options `train` and `sweep` share: schedule, threshold and input window, readout and loss,
 * data limits, threads, quiet. In the order of `--help`.
 */
export const trainingOptions = {
  epochs: () =>
    new Option("--epochs <n>", "training epochs (per run in a sweep)").argParser(parsePositiveInt),
  batchSize: () => new Option("--batch-size <n>", "samples per step").argParser(parsePositiveInt),
  lr: () => new Option("--lr <rate>", "Adam learning rate").argParser(parsePositive),
  lrDecay: () =>
    new Option("--lr-decay <factor>", "learning rate multiplied by this after every epoch, in (0, 1]")
      .argParser(
        parseFraction,
      ),
  lrWarmup: () =>
    new Option(
      "--lr-warmup <steps>",
      "linear warm-up: the rate grows from lr / steps to lr over the run's first steps (0 = off)",
    ).argParser(parseNonNegativeInt),
  weightDecay: () =>
    new Option("--weight-decay <d>", "decoupled weight decay (AdamW): each step takes lr * d * w off w")
      .argParser(parseNonNegative),
  dropout: () =>
    new Option(
      "--dropout <rate>",
      "drop each hidden neuron's spikes from the next layer with this probability while training (0 = off)",
    ).argParser(parseUnitInterval),
  augmentShift: () =>
    new Option(
      "--augment-shift <px>",
      "images: move each training image by up to px pixels along each axis, anew every epoch (0 = off)",
    ).argParser(parseNonNegativeInt),
  augmentFlip: () =>
    new Option("--augment-flip", "images: mirror each training image left to right with probability 1/2"),
  noAugmentFlip: () =>
    new Option("--no-augment-flip", "images: no mirroring (where a dataset's default has it)"),
  theta: () => new Option("--theta <x>", "firing threshold").argParser(parsePositive),
  tIn: () =>
    new Option("--t-in <T>", "input window: a pixel of intensity x spikes at t_in * (1 - x)").argParser(
      parsePositive,
    ),
  loss: () => new Option("--loss <kind>", "readout and loss").choices(LOSSES),
  tau0: () => new Option("--tau0 <T>", "temperature of the readout, in time units").argParser(parsePositive),
  vmaxWeight: () =>
    new Option("--vmax-weight <w>", "weight of the pull on silent output neurons (MODEL.md 4)").argParser(
      parseNonNegative,
    ),
  hiddenVmaxWeight: () =>
    new Option("--hidden-vmax-weight <w>", "weight of the pull on silent hidden neurons").argParser(
      parseNonNegative,
    ),
  tRefWeight: () =>
    new Option(
      "--t-ref-weight <w>",
      "weight of the timing anchor (w/2)(t_first - t_ref)^2 on every firing output (0 = off)",
    ).argParser(parseNonNegative),
  tRef: () =>
    new Option("--t-ref <T>", "time the anchor holds the first output spikes at").argParser(parseNonNegative),
  labelSmoothing: () =>
    new Option(
      "--label-smoothing <e>",
      "the cross-entropy's target: 1 - e on the label plus e / outputs on every output (0 = off)",
    ).argParser(parseUnitInterval),
  limitTrain: () =>
    new Option("--limit-train <n>", "use only the first N training samples (0 = all)").argParser(
      parseNonNegativeInt,
    ),
  validationSize: () =>
    new Option(
      "--validation-size <n>",
      "samples that validate (images: the last N of the training file; default 5000, Yin-Yang 1000); " +
        "0 = none: train on all and keep the last epoch's model",
    ).argParser(parseNonNegativeInt),
  averageLast: () =>
    new Option(
      "--average-last <epochs>",
      "also keep the mean weights of the last N epochs (averaged_model.json), measured after the last epoch " +
        "(0 = off)",
    ).argParser(parseNonNegativeInt),
} as const;

/** --limit-test */
export const limitTestOption = () =>
  new Option("--limit-test <n>", "use only the first N test samples (0 = all)").argParser(
    parseNonNegativeInt,
  );

/** --workers */
export const workersOption = () =>
  new Option("--workers <n>", "CPU threads (0 = one per core)").argParser(parseNonNegativeInt);

/** -q, --quiet */
export const quietOption = () => new Option("-q, --quiet", "no progress output");
