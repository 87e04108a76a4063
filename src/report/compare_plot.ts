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
