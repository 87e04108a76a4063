/**
 * metrics.csv of a training run: one row per epoch, columns in the order `epochRow` (trainer.ts) makes them.
 * @module
 */
import { csvFormat } from "d3-dsv";
import type { MetricsRow } from "./checkpoint.ts";

/** CSV text of `rows` (header from the first row's keys, in order); empty string for no rows. */
export function metricsCsv(rows: readonly MetricsRow[]): string {
  if (rows.length === 0) return "";
  return csvFormat(rows as MetricsRow[], Object.keys(rows[0])) + "\n";
}
