/**
 * Warnings about a run read from its metrics, for the person watching it: today one, output neurons that
 * stay silent. A silent output neuron gets no timing gradient (MODEL.md section 4), only the pull of its
 * potential maximum towards threshold, so a network whose outputs fall silent learns slowly or not at all.
 * @module
 */
import type { MetricsRow } from "./checkpoint.ts";

/**
 * Fraction of output neurons silent on an average test sample above which a run is warned about. Runs that
 * train well stay far below it (docs/RESULTS.md, recorded sweeps): 0-0.6% on Fashion-MNIST at tau 10-40 and
 * on MNIST at tau 10-20, about 1% on MNIST at tau 5, 3-4% for multi-spike MNIST at tau 2 after 5 epochs.
 * Above it: MNIST at tau 1 (19-23%) and single-spike MNIST at tau 2 (12-21%), 4-14 points behind
 * tau 10; Yin-Yang at tau 0.5-1 for single-spike networks (31-62%); and the multi-spike Fashion-MNIST runs
 * at tau 40 that failed to train (seeds 0 and 3: 20% and 12% after their first epoch, with 56% and 45% of
 * the hidden layer silent too; 78% test at both where the seeds that trained reached 86%). Not every run
 * above it stays there: seed 4 at tau 40 (11% after epoch 1) recovered in epoch 2 and reached 86.5%, and
 * seeds 0 and 3 trained at `--lr 1e-3` (86.4-86.5%, 0.1% silent after epoch 1) and at the default rate with
 * `--lr-warmup 860` (one epoch of warm-up; 0.13-0.16% silent after epoch 1), so it warns of an epoch, not of
 * a run.
 */
export const SILENT_OUTPUT_LIMIT = 0.05;

/**
 * The run's warnings, oldest first: the first epoch whose output layer was silent above
 * {@link SILENT_OUTPUT_LIMIT}, and the last epoch too when it is later and still above it.
 * @param metrics metrics.csv rows, one per finished epoch
 * @param layers number of non-input layers (the output layer is the last)
 */
export function runWarnings(metrics: readonly MetricsRow[], layers: number): string[] {
  const key = `silent_fraction_l${layers}`;
  const silent = (r: MetricsRow) => r[key];
  const first = metrics.find((r) => silent(r) > SILENT_OUTPUT_LIMIT);
  if (!first) return [];
  const warnings = [silentOutputWarning(first.epoch, silent(first))];
  const last = metrics[metrics.length - 1];
  if (last.epoch > first.epoch && silent(last) > SILENT_OUTPUT_LIMIT) {
    // Short: the first warning said why it matters.
    warnings.push(`after epoch ${last.epoch}, still ${pct(silent(last))}% of the output neurons silent`);
  }
  return warnings;
}

function silentOutputWarning(epoch: number, fraction: number): string {
  return `after epoch ${epoch}, ${pct(fraction)}% of the output neurons stay silent on an average test ` +
    `sample (about 1% or less in runs that train well); silent outputs get no timing gradient, so accuracy ` +
    `suffers while it lasts (seen at very short tau, and at tau 30-40 on Fashion-MNIST, where some runs ` +
    `recovered and a smaller --lr or an --lr-warmup of about one epoch avoided it)`;
}

function pct(x: number): string {
  return (100 * x).toFixed(1);
}
