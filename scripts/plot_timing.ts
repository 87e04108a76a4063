/**
 * Draws the `eval --timing` results of several models in one figure: for each, the cumulative fraction of
 * its first hidden layer's spikes and of its decisions against time. Used for the README figure
 * `docs/mnist_decision_timing.png`.
 *
 *   deno run --allow-read --allow-write scripts/plot_timing.ts OUT NAME=EVAL_DIR [NAME=EVAL_DIR ...]
 *
 * writes OUT.svg and OUT.png (EVAL_DIR is an `eval --timing --out` directory; the model file its eval.json
 * names must still be there, for the time constants on the axis).
 * @module
 */
import { lineChartSvg, type Series } from "../src/report/plots.ts";
import { writePngOrSkip } from "../src/report/png.ts";
import { writeTextAtomic } from "../src/report/csv.ts";
import { cumulative } from "../src/train/spike_timing.ts";
import { readModelFile } from "../src/model/model_file.ts";

const [out, ...pairs] = Deno.args;
if (!out || pairs.length === 0 || pairs.some((p) => !p.includes("="))) {
  console.error("usage: plot_timing.ts OUT NAME=EVAL_DIR [NAME=EVAL_DIR ...]");
  Deno.exit(2);
}

const series: Series[] = [];
// The time axis is in units of the models' own constants: the label names them (one entry per setting).
const settings = new Set<string>();
for (const pair of pairs) {
  const [name, dir] = pair.split("=");
  const report = JSON.parse(await Deno.readTextFile(`${dir}/eval.json`));
  const t = report.timing;
  if (!t) throw new Error(`${dir}/eval.json has no timing (run eval with --timing)`);
  const { neuron } = (await readModelFile(report.model)).network;
  const taus = neuron.tau_m === neuron.tau_s
    ? `tau_m = tau_s = ${neuron.tau_m}`
    : `tau_m = ${neuron.tau_m}, tau_s = ${neuron.tau_s}`;
  settings.add(`${taus}, input window ${report.t_in}`);
  const ends = t.spike_histogram[0].map((_: number, b: number) => (b + 1) * t.bin_width);
  series.push({ name: `${name}: hidden spikes`, x: ends, y: cumulative(t.spike_histogram[0]) });
  series.push({ name: `${name}: decisions`, x: ends, y: cumulative(t.decision_histogram) });
}
// The window past the last decision and hidden spike holds nothing: cut the axis where every curve is at 1.
const last = Math.max(...series.map((s) => s.x[s.y.findIndex((y) => y >= 0.999)] ?? s.x[s.x.length - 1]));
const cut = series.map((s) => {
  const n = s.x.findIndex((x) => x > last + 1e-9);
  return n < 0 ? s : { ...s, x: s.x.slice(0, n), y: s.y.slice(0, n) };
});
const svg = await lineChartSvg({
  title: "When the readout decides: cumulative hidden spikes and decisions (first output spike)",
  xLabel: `time (time units; ${[...settings].join("; ")})`,
  yLabel: "cumulative fraction",
  series: cut,
  width: 520,
  height: 280,
});
await writeTextAtomic(`${out}.svg`, svg);
await writePngOrSkip(`${out}.png`, svg, { log: (line) => console.error(line) });
console.log(`written: ${out}.svg, ${out}.png`);
