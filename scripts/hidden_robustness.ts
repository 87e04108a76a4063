/**
 * How much a trained network leans on single hidden neurons: the test accuracy lost when one hidden neuron
 * at a time is silenced (its weights to the next layer set to 0; every other weight as trained), and the
 * test loss and accuracy of the trained network under dropout masks (`train --dropout`'s masks, at rates
 * it was not necessarily trained with). It says whether a dataset's networks have the redundancy that
 * dropout asks for, before a long run finds out (docs/RESULTS.md, "Dropout in the spiking network").
 *
 *   deno run --allow-read --allow-env scripts/hidden_robustness.ts runs/yy/model.json --samples 1000
 *
 * Only networks with one hidden layer; the CPU engine, one thread.
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { loadDataset } from "../src/data/dataset.ts";
import { CpuEngine } from "../src/engine/cpu/cpu_engine.ts";
import { readModelFile } from "../src/model/model_file.ts";
import { parseNonNegativeInt, parsePositiveInt } from "../src/cli/parsers.ts";

const cmd = new Command("hidden_robustness.ts")
  .description(
    "Accuracy lost by silencing single hidden neurons, and under dropout masks, of a trained model.",
  )
  .argument("<model>", "model.json written by train")
  .option("--samples <n>", "first N test samples", parsePositiveInt, 1000)
  .option("--stride <k>", "silence every k-th hidden neuron (1 = all)", parsePositiveInt, 1)
  .option("--rates <list>", "dropout rates to evaluate under, comma-separated", "0.01,0.05,0.1,0.2")
  .option("--mask-seeds <n>", "mask draws per rate (their mean is shown)", parseNonNegativeInt, 3)
  .parse();
const [path] = cmd.args;
const opts = cmd.opts();

const model = await readModelFile(path);
const cfg = model.config;
if (!cfg) throw new Error(`${path} has no training configuration: train writes one`);
const net = model.network;
if (net.sizes.length !== 3) throw new Error(`${path}: one hidden layer only, got sizes ${net.sizes}`);
const data = await loadDataset(cfg.dataset, cfg.data_dir ? { dataDir: cfg.data_dir } : {});
const n = Math.min(opts.samples, data.test.size);
const idx = Int32Array.from({ length: n }, (_, i) => i);
const input = data.test.batch(idx, cfg.t_in);
const labels = Int32Array.from(idx, (i) => data.test.labels[i]);
const [, hidden, outputs] = net.sizes;
const engine = new CpuEngine(net, { workers: 1 });
const pct = (x: number) => (100 * x).toFixed(2);
try {
  const base = await engine.evaluate(input, labels, cfg.loss);
  console.log(`${path}: ${net.sizes.join("-")}, first ${n} test samples: ${pct(base.correct / n)}% correct`);

  const rates = opts.rates.split(",").map(Number);
  for (const rate of rates) {
    let loss = 0;
    let correct = 0;
    for (let seed = 1; seed <= opts.maskSeeds; seed++) {
      const g = await engine.gradients(input, labels, cfg.loss, { rate, seed });
      loss += g.loss / n / opts.maskSeeds;
      correct += g.correct / n / opts.maskSeeds;
    }
    console.log(
      `  under dropout ${rate}: loss ${loss.toFixed(4)} (without: ${(base.loss / n).toFixed(4)}), ${
        pct(correct)
      }%`,
    );
  }

  const lost: number[] = [];
  for (let j = 0; j < hidden; j += opts.stride) {
    const w = net.weights.map((x) => new Float64Array(x));
    w[1].fill(0, j * outputs, (j + 1) * outputs);
    await engine.setWeights(w);
    const r = await engine.evaluate(input, labels, cfg.loss);
    lost.push(100 * (base.correct - r.correct) / n);
  }
  lost.sort((a, b) => b - a);
  const mean = lost.reduce((a, b) => a + b, 0) / lost.length;
  console.log(
    `  silencing one hidden neuron (${lost.length} of ${hidden}) costs ${
      mean.toFixed(2)
    } points on the mean, ` +
      `median ${lost[lost.length >> 1].toFixed(2)}, most ${
        lost.slice(0, 5).map((x) => x.toFixed(1)).join(", ")
      }`,
  );
} finally {
  engine.dispose();
}
