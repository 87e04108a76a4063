/**
 * The picture of `multispike compare`: several training runs' curves side by side, one line per run.
 * @module
 */
import { multiPanelSvg, type Series } from "./plots.ts";

/** The curves of one run, from its metrics.csv; `x[k]` is the epoch of every `*[k]`. */
export interface RunCurves {
  /** Legend entry, e.g. "max_spikes 8". */
  readonly label: string;
  /** Epochs, e.g. [1, 2, 3]. */
  readonly epochs: readonly number[];
  /** Test accuracy after each epoch. */
  readonly testAcc: readonly number[];
  /** Validation accuracy after each epoch. */
  readonly valAcc: readonly number[];
  /** (hidden layers, epochs): test-split spikes per neuron per sample of each hidden layer. */
  readonly hiddenSpikes: readonly (readonly number[])[];
}

/**
 * Three panels: test accuracy, validation accuracy and hidden-layer spikes per neuron against epoch, one
 * line per run (in the same colour in every panel while each run has one hidden layer). A run with several
 * hidden layers gets one spike line per layer, named "<label> (hidden l)".
 * @param runs the runs, drawn and coloured in this order; their labels must be distinct
 * @returns SVG text
 */
export async function compareSvg(runs: readonly RunCurves[]): Promise<string> {
  const line = (r: RunCurves, y: readonly number[], name = r.label): Series => ({
    name,
    x: [...r.epochs],
    y: [...y],
  });
  const spikes = runs.flatMap((r) =>
    r.hiddenSpikes.map((y, l) =>
      line(r, y, r.hiddenSpikes.length > 1 ? `${r.label} (hidden ${l + 1})` : r.label)
    )
  );
  return await multiPanelSvg([
    {
      title: "Test accuracy",
      xLabel: "epoch",
      yLabel: "accuracy",
      series: runs.map((r) => line(r, r.testAcc)),
    },
    {
      title: "Validation accuracy",
      xLabel: "epoch",
      yLabel: "accuracy",
      series: runs.map((r) => line(r, r.valAcc)),
    },
    {
      title: "Hidden-layer spikes per neuron (test)",
      xLabel: "epoch",
      yLabel: "spikes per neuron per sample",
      series: spikes,
    },
  ]);
}

/** The within-epoch curves of one run, from its steps.csv; `x[k]` is the position of every `*[k]` in epochs. */
export interface RunStepCurves {
  /** Legend entry, e.g. "batch 32". */
  readonly label: string;
  /** Epochs done at the end of each row, e.g. 0.5, 1, 1.5 for two rows per epoch. */
  readonly x: readonly number[];
  /** Training loss per sample over each row's steps. */
  readonly trainLoss: readonly number[];
  /** Training accuracy over each row's steps (on the augmented images). */
  readonly trainAcc: readonly number[];
  /** (hidden layers, rows): training-image spikes per neuron per sample of each hidden layer. */
  readonly hiddenSpikes: readonly (readonly number[])[];
}

/**
 * Three panels against epochs done, one line per run: training loss, training accuracy and hidden-layer
 * spikes per neuron over each steps.csv row (the figures inside an epoch that metrics.csv averages away).
 * @param runs the runs, drawn and coloured in this order; their labels must be distinct
 * @returns SVG text
 */
export async function compareStepsSvg(runs: readonly RunStepCurves[]): Promise<string> {
  const line = (r: RunStepCurves, y: readonly number[], name = r.label): Series => ({
    name,
    x: [...r.x],
    y: [...y],
  });
  const spikes = runs.flatMap((r) =>
    r.hiddenSpikes.map((y, l) =>
      line(r, y, r.hiddenSpikes.length > 1 ? `${r.label} (hidden ${l + 1})` : r.label)
    )
  );
  return await multiPanelSvg([
    {
      title: "Training loss, per steps.csv row",
      xLabel: "epochs done",
      yLabel: "loss per sample",
      series: runs.map((r) => line(r, r.trainLoss)),
    },
    {
      title: "Training accuracy, per steps.csv row",
      xLabel: "epochs done",
      yLabel: "accuracy",
      series: runs.map((r) => line(r, r.trainAcc)),
    },
    {
      title: "Hidden-layer spikes per neuron (training images)",
      xLabel: "epochs done",
      yLabel: "spikes per neuron per sample",
      series: spikes,
    },
  ]);
}
