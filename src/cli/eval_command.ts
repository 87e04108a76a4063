/**
 * `multispike eval`: `evaluateModel` with a progress reporter, and its headline figures on stdout.
 * @module
 */
import { createReporter } from "../report/progress.ts";
import { layerNames } from "../report/layer_names.ts";
import { type EvalReport, evaluateModel, type EvaluateOptions } from "../train/evaluate.ts";

/** Options of `eval` as commander parses them: those of `evaluateModel`, with `--quiet` for its reporter. */
export interface EvalCliOptions extends Omit<EvaluateOptions, "reporter"> {
  readonly quiet?: boolean;
}

/**
 * Runs `eval` for the command line.
 * @param o parsed options
 */
export async function evalCommand(o: EvalCliOptions): Promise<void> {
  const reporter = createReporter({ tty: Deno.stderr.isTerminal(), quiet: o.quiet ?? false });
  const { quiet: _quiet, ...options } = o;
  const report = await evaluateModel({ ...options, reporter });
  console.log(formatEvalReport(report, o.out));
}

/**
 * The headline of an evaluation, one fact per line.
 * @param r the report
 * @param out where the files went, if anywhere
 */
export function formatEvalReport(r: EvalReport, out?: string): string {
  const d = r.decision_time;
  const lines = [
    `model ${r.model} (${r.sizes.join("-")}) on ${r.dataset} test, ${r.samples} samples, device ${r.device}`,
    `accuracy ${r.accuracy.toFixed(4)} (${r.correct}/${r.samples}), loss ${r.loss.toFixed(4)}`,
    `spikes per neuron per sample: ${r.spikes_per_neuron.map((x) => x.toFixed(3)).join(", ")}`,
    `decision time: mean ${d.mean.toFixed(3)}, median ${d.median.toFixed(3)}, min ${d.min.toFixed(3)}, max ${
      d.max.toFixed(3)
    }`,
    `no output spike: ${r.no_output_spike} samples; ties: ${r.ties}`,
    `${r.samples_per_second.toFixed(0)} samples/s`,
  ];
  if (r.timing) {
    const names = layerNames(r.timing.layers.length);
    const firstSpike = r.timing.decision === "first output spike";
    const window = firstSpike ? "before the decision" : "in the window";
    // Before the first output spike the output layer has, by definition, not fired: list the hidden layers.
    const shown = firstSpike ? r.timing.layers.slice(0, -1) : r.timing.layers;
    shown.forEach((l, i) => {
      lines.push(
        `${names[i]}: ${(100 * l.fraction_before_decision).toFixed(1)}% of ${
          l.spikes.toFixed(1)
        } spikes per sample ` +
          `${window}; ${l.neurons_before_decision.toFixed(1)} neurons fire ${window}, ` +
          `${l.neurons_multi_before_decision.toFixed(1)} of them twice or more; ` +
          `${l.neurons_never_fired} of its ${l.neurons} neurons never fire on these samples, ` +
          `${l.neurons_never_before_decision} never ${window}`,
      );
    });
  }
  if (out !== undefined) {
    const timing = r.timing ? `, ${out}/timing.csv, ${out}/timing.svg` : "";
    lines.push(`written: ${out}/eval.json, ${out}/confusion.csv, ${out}/per_class.csv${timing}`);
  }
  return lines.join("\n");
}
