/**
 * The picture of `multispike compare`: several training runs' curves side by side, one line per run.
 * @module
 */
import { multiPanelSvg, type Series } from "./plots.ts";

/** What every figure of `compare` draws of a run: its label, x values and hidden-layer spikes. */
export interface RunLines {
  /** Legend entry, e.g. "max_spikes 8". */
  readonly label: string;
  /** x of every `*[k]`: the epoch, e.g. [1, 2, 3], or epochs done (steps figure), e.g. [0.5, 1, 1.5]. */
  readonly x: readonly number[];
  /** (hidden layers, points): spikes per neuron per sample of each hidden layer. */
  readonly hiddenSpikes: readonly (readonly number[])[];
  /**
   * The run's place among all the runs compared, which picks its colour, so that it keeps the same one in
   * the steps figure, where the runs without a steps.csv are left out; default: its place in this figure.
   * Where any run has several hidden layers, the spike panel's lines take colours by their place, one each.
   */
  readonly colorSlot?: number;
}

/** The curves of one run from its metrics.csv (hidden spikes on the test split), x the epoch. */
export interface RunCurves extends RunLines {
  /** Test accuracy after each epoch. */
  readonly testAcc: readonly number[];
  /** Validation accuracy after each epoch. */
  readonly valAcc: readonly number[];
  /** The mean weights of the last epochs (`train --average-last`), drawn as a level segment over them. */
  readonly averaged?: { readonly epochs: readonly [number, number]; readonly test_acc: number } | null;
}

/**
 * Three panels: test accuracy, validation accuracy and hidden-layer spikes per neuron against epoch, one
 * line per run (in the same colour in every panel while each run has one hidden layer). A run with several
 * hidden layers gets one spike line per layer, named "<label> (hidden l)". The validation panel is left out
 * when no run has a validation split (`train --validation-size 0`: NaN in every epoch), where it would be empty.
 * A run with averaged weights (`train --average-last`) gets a level segment in its colour over the epochs
 * averaged, at their test accuracy.
 * @param runs the runs, drawn and coloured in this order; their labels must be distinct
 * @returns SVG text
 */
export async function compareSvg(runs: readonly RunCurves[]): Promise<string> {
  const anyAveraged = runs.some((r) => r.averaged);
  const test: RunPanel<RunCurves> = {
    title: anyAveraged
      ? "Test accuracy (level segments: mean weights of the epochs they span)"
      : "Test accuracy",
    yLabel: "accuracy",
    y: (r) => r.testAcc,
    extra: (r) =>
      r.averaged
        ? [{
          name: `${r.label}, mean weights`,
          group: r.label,
          dashed: true,
          x: [...r.averaged.epochs],
          y: [r.averaged.test_acc, r.averaged.test_acc],
        }]
        : [],
  };
  const validation: RunPanel<RunCurves> = {
    title: "Validation accuracy",
    yLabel: "accuracy",
    y: (r) => r.valAcc,
  };
  const spikes: RunPanel<RunCurves> = {
    title: "Hidden-layer spikes per neuron (test)",
    yLabel: "spikes per neuron per sample",
    y: "hidden",
  };
  const anyValidation = runs.some((r) => r.valAcc.some(Number.isFinite));
  return await runPanelsSvg(runs, "epoch", anyValidation ? [test, validation, spikes] : [test, spikes]);
}

/** The curves of one run from its steps.csv (hidden spikes on the training images), x the epochs done. */
export interface RunStepCurves extends RunLines {
  /** Training loss per sample over each row's steps. */
  readonly trainLoss: readonly number[];
  /** Training accuracy over each row's steps (on the augmented images). */
  readonly trainAcc: readonly number[];
}

/**
 * Three panels against epochs done, one line per run: training loss, training accuracy and hidden-layer
 * spikes per neuron over each steps.csv row (the figures inside an epoch that metrics.csv averages away).
 * @param runs the runs, drawn and coloured in this order; their labels must be distinct
 * @returns SVG text
 */
export async function compareStepsSvg(runs: readonly RunStepCurves[]): Promise<string> {
  return await runPanelsSvg(runs, "epochs done", [
    { title: "Training loss, per steps.csv row", yLabel: "loss per sample", y: (r) => r.trainLoss },
    { title: "Training accuracy, per steps.csv row", yLabel: "accuracy", y: (r) => r.trainAcc },
    {
      title: "Hidden-layer spikes per neuron (training images)",
      yLabel: "spikes per neuron per sample",
      y: "hidden",
    },
  ]);
}

/** One panel: a y value per x of each run, or "hidden" for one line per hidden layer of each run. */
interface RunPanel<R> {
  readonly title: string;
  readonly yLabel: string;
  readonly y: ((r: R) => readonly number[]) | "hidden";
  /** More lines of a run in this panel, in its colour and under its legend entry (their `group`). */
  readonly extra?: (r: R) => Series[];
}

/**
 * Panels side by side with one line per run (in the same colour in every panel while each run has one hidden
 * layer); a run with several hidden layers gets one spike line per layer, named "<label> (hidden l)".
 */
async function runPanelsSvg<R extends RunLines>(
  runs: readonly R[],
  xLabel: string,
  panels: readonly RunPanel<R>[],
): Promise<string> {
  const line = (r: R, y: readonly number[], name: string, colorSlot: number | undefined): Series => ({
    name,
    x: [...r.x],
    y: [...y],
    colorSlot,
  });
  // Layer lines ("<label> (hidden l)") each need a colour of their own, and a run's slot would be shared by
  // them and could fall on another run's: once any run has several, the spike panel colours all by place.
  const oneHidden = runs.every((r) => r.hiddenSpikes.length === 1);
  const series = (p: RunPanel<R>) =>
    p.y === "hidden"
      ? runs.flatMap((r) =>
        r.hiddenSpikes.map((y, l) =>
          line(
            r,
            y,
            r.hiddenSpikes.length > 1 ? `${r.label} (hidden ${l + 1})` : r.label,
            oneHidden ? r.colorSlot : undefined,
          )
        )
      )
      : runs.flatMap((r) => [
        line(r, (p.y as (r: R) => readonly number[])(r), r.label, r.colorSlot),
        ...(p.extra?.(r) ?? []).map((s) => ({ ...s, colorSlot: r.colorSlot })),
      ]);
  return await multiPanelSvg(
    panels.map((p) => ({ title: p.title, xLabel, yLabel: p.yLabel, series: series(p) })),
  );
}
