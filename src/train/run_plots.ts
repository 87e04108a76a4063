/**
 * The plots of a training run: curves.svg/.png (accuracy, loss and spikes per neuron against epoch) and
 * raster.svg (the spikes of every layer for the first test sample, best model).
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import type { Engine, LayerSpikes, SpikeInput } from "../engine/engine.ts";
import { writeTextAtomic } from "../report/csv.ts";
import { multiPanelSvg, rasterSvg } from "../report/plots.ts";
import { layerNames } from "../report/layer_names.ts";
import { writePngOrSkip } from "../report/png.ts";
import type { TrainConfig } from "./config.ts";
import type { RunState } from "./run_summary.ts";

/**
 * Writes curves.svg, curves.png and raster.svg into `out`; leaves the engine holding the best weights.
 * When PNG rendering is unavailable (fonts, wasm) curves.png is skipped with one line through `log`.
 */
export async function writeRunPlots(
  out: string,
  engine: Engine,
  data: Dataset,
  config: TrainConfig,
  state: RunState,
  log: (line: string) => void,
): Promise<void> {
  const m = state.metrics;
  const epochs = m.map((r) => r.epoch);
  const col = (k: string) => m.map((r) => r[k]);
  // One line per split of a metric named `<split>_<metric>` in metrics.csv.
  const perSplit = (metric: string) =>
    (["train", "val", "test"] as const).map((split) => ({
      name: split === "val" ? "validation" : split,
      x: epochs,
      y: col(`${split}_${metric}`),
    }));
  const layers = engine.spec.sizes.length - 1;
  const names = layerNames(layers);
  const curves = await multiPanelSvg([
    { title: "Accuracy", xLabel: "epoch", yLabel: "accuracy", series: perSplit("acc") },
    { title: "Loss", xLabel: "epoch", yLabel: "loss per sample", series: perSplit("loss") },
    {
      title: "Spikes per neuron (test)",
      xLabel: "epoch",
      yLabel: "spikes per neuron per sample",
      series: Array.from({ length: layers }, (_, l) => ({
        name: names[l],
        x: epochs,
        y: col(`spikes_per_neuron_l${l + 1}`),
      })),
    },
  ]);
  await writeTextAtomic(`${out}/curves.svg`, curves);
  await writePngOrSkip(`${out}/curves.png`, curves, { log });
  if (data.test.size === 0 || !state.best) return;
  await engine.setWeights(state.best.weights);
  const input = data.test.encode([0], config.t_in);
  const fwd = await engine.forward(input);
  const raster = await rasterSvg({
    title: `${config.dataset}: test sample 0 (label ${data.test.labels[0]}), epoch ${state.best.epoch} model`,
    tMax: config.neuron.t_max,
    layers: [
      { name: "input", spikes: inputSpikes(input, engine.spec.sizes[0]) },
      ...fwd.layers.map((s, l) => ({
        name: names[l],
        spikes: layerSpikes(s),
      })),
    ],
  });
  await writeTextAtomic(`${out}/raster.svg`, raster);
}

/** Spike times per input neuron of sample 0 of `input`. */
function inputSpikes(input: SpikeInput, neurons: number): number[][] {
  const out: number[][] = Array.from({ length: neurons }, () => []);
  for (let e = input.offsets[0]; e < input.offsets[1]; e++) out[input.neuron[e]].push(input.time[e]);
  for (const t of out) t.sort((a, b) => a - b);
  return out;
}

/** Spike times per neuron of sample 0 of a layer. */
function layerSpikes(s: LayerSpikes): number[][] {
  return Array.from(
    { length: s.neurons },
    (_, i) => Array.from(s.time.subarray(i * s.capacity, i * s.capacity + s.count[i])),
  );
}
