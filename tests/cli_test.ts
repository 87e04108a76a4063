/**
 * The command line as a user meets it: main.ts run as a subprocess.
 */
import assert from "node:assert/strict";
import { CpuEngine } from "../src/engine/cpu/cpu_engine.ts";
import { DEFAULT_LOSS } from "../src/engine/loss.ts";
import { DEFAULT_NEURON } from "../src/model/params.ts";
import { parseModel, readModelFile } from "../src/model/model_file.ts";
import { errorLine, isUserError, UsageError } from "../src/cli/errors.ts";
import { interruptedLine } from "../src/cli/interrupt.ts";
import { parseLayerSizes, parseNumber, parseShard } from "../src/cli/parsers.ts";
import { trainConfigFromOptions } from "../src/cli/train_command.ts";
import { sweepConfigFromOptions } from "../src/cli/sweep_command.ts";
import { SWEEP_PRESETS } from "../src/train/sweep.ts";
import { defaultTrainConfig } from "../src/train/defaults.ts";
import { configDifference } from "../src/train/checkpoint.ts";
import { loadDataset } from "../src/data/dataset.ts";
import { parseCsv } from "../src/report/csv.ts";
import { assertUserError, CAN_RUN, cli, cliCommand, exists } from "./cli_helpers.ts";
import { F32_TOLERANCE } from "./engine_cases.ts";

/** 2 inputs -> 3 hidden -> 2 outputs; tau_m != tau_s, several spikes per neuron. */
const MODEL = {
  format: "multispike-model",
  version: 1,
  neuron: { tau_m: 5, tau_s: 2.5, theta: 1, t_max: 30, max_spikes: 4 },
  layers: [
    { weights: [[3, 0.5, -1], [2.5, 4, 1.5]] },
    { weights: [[2, 1], [1.5, 2.5], [-0.5, 1]] },
  ],
};
/** Unsorted on purpose. */
const INPUT = [[1, 2.0], [0, 0.5], [0, 6], [1, 1]];

async function withFiles(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "multispike_cli_" });
  try {
    await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(MODEL));
    await Deno.writeTextFile(`${dir}/input.json`, JSON.stringify(INPUT));
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function inputOf(pairs: number[][]) {
  return {
    size: 1,
    offsets: Int32Array.of(0, pairs.length),
    neuron: Int32Array.from(pairs, (p) => p[0]),
    time: Float64Array.from(pairs, (p) => p[1]),
  };
}

Deno.test("train options override the dataset defaults field by field", () => {
  const base = defaultTrainConfig("yinyang");
  assert.deepEqual(trainConfigFromOptions(base, {}), base);
  const tied = trainConfigFromOptions(base, { tau: 2.5, hidden: [7, 3], epochs: 1, loss: "multi-spike" });
  assert.equal(tied.neuron.tau_m, 2.5);
  assert.equal(tied.neuron.tau_s, 2.5);
  assert.deepEqual(tied.hidden, [7, 3]);
  assert.equal(tied.epochs, 1);
  assert.equal(tied.loss.kind, "multi-spike");
  assert.equal(tied.loss.tau0, base.loss.tau0);
  assert.equal(tied.lr, base.lr);
  assert.ok(Object.isFrozen(tied));
  const split = trainConfigFromOptions(base, {
    tauM: 8,
    maxSpikes: 1,
    tMax: 12,
    tIn: 3,
    dataDir: "/d",
    workers: 1,
  });
  assert.equal(split.neuron.tau_m, 8);
  assert.equal(split.neuron.tau_s, base.neuron.tau_s);
  assert.equal(split.neuron.max_spikes, 1);
  assert.equal(split.neuron.t_max, 12);
  assert.equal(split.t_in, 3);
  assert.equal(split.data_dir, "/d");
  assert.equal(split.workers, 1);
  assert.equal(base.neuron.tau_m, defaultTrainConfig("yinyang").neuron.tau_m, "base untouched");
  // A base whose time constants differ (MNIST's with tau_s 10, tau_m 5): each flag moves only its own.
  const mnist = { ...defaultTrainConfig("mnist"), neuron: { ...DEFAULT_NEURON, tau_m: 5, tau_s: 10 } };
  const tauS5 = trainConfigFromOptions(mnist, { tauS: 5 }).neuron;
  assert.deepEqual([tauS5.tau_m, tauS5.tau_s], [mnist.neuron.tau_m, 5]);
  assert.equal(trainConfigFromOptions(mnist, { tauM: 8 }).neuron.tau_s, mnist.neuron.tau_s);
  assert.equal(trainConfigFromOptions(mnist, { tau: 3 }).neuron.tau_s, 3);
  // Off unless asked for, and then written down either way (--augment-flip / --no-augment-flip).
  assert.equal("augment_flip" in base, false);
  assert.equal(trainConfigFromOptions(base, { augmentFlip: true }).augment_flip, true);
  assert.equal(trainConfigFromOptions(base, { augmentFlip: false }).augment_flip, false);
  // The dataset's own validation split unless asked for, so that older checkpoints resume.
  assert.equal("validation_size" in base, false);
  assert.equal(trainConfigFromOptions(base, { validationSize: 0 }).validation_size, 0);
});

Deno.test("a run made under earlier defaults resumes when its settings are spelled out, off ones included", () => {
  const fashion = defaultTrainConfig("fashion-mnist");
  assert.deepEqual(
    [fashion.neuron.tau_m, fashion.neuron.tau_s, fashion.loss.tau0, fashion.lr_warmup_steps],
    [10, 10, 0.25, 860],
  );
  // The Fashion-MNIST defaults before tau 10: no warm-up field at all, as their checkpoints hold them.
  const { lr_warmup_steps: _, ...earlier } = {
    ...fashion,
    neuron: { ...fashion.neuron, tau_m: 5, tau_s: 5 },
    loss: { ...fashion.loss, tau0: 0.5 },
  };
  assert.equal(configDifference(earlier, fashion), "loss.tau0 (was 0.5, now 0.25)");
  const spelled = trainConfigFromOptions(fashion, { tau: 5, tau0: 0.5, lrWarmup: 0, workers: 1, epochs: 30 });
  assert.equal(spelled.lr_warmup_steps, 0);
  assert.equal(configDifference(earlier, spelled), null, "an off setting written out equals one left out");
  assert.equal(
    configDifference(earlier, { ...spelled, lr_warmup_steps: 860 }),
    "lr_warmup_steps (was 0, now 860)",
    "an absent setting reads as its off value",
  );
  // The same holds for the other settings that are off when absent, and nothing else is waved through.
  const offs = { ...earlier, weight_decay: 0, augment_shift: 0, augment_flip: false };
  assert.equal(configDifference(earlier, { ...offs, loss: { ...earlier.loss, t_ref_weight: 0 } }), null);
  assert.match(String(configDifference(earlier, { ...offs, weight_decay: 1e-4 })), /^weight_decay/);
  assert.match(String(configDifference(earlier, { ...offs, augment_flip: true })), /^augment_flip/);
  assert.match(String(configDifference(earlier, { ...earlier, seed: 1 })), /^seed/);
});

Deno.test("sweep options: preset, overrides, defaults, contradictions", () => {
  const preset = SWEEP_PRESETS["yinyang-tau"];
  const cfg = sweepConfigFromOptions({
    preset: "yinyang-tau",
    taus: [1, 2],
    epochs: 1,
    shard: { index: 1, count: 3 },
  });
  assert.equal(cfg.dataset, "yinyang");
  assert.deepEqual(cfg.taus, [1, 2]);
  assert.deepEqual(cfg.max_spikes, preset.max_spikes);
  assert.deepEqual(cfg.seeds, preset.seeds);
  assert.equal(cfg.tau_mode, preset.tau_mode);
  assert.equal(cfg.base.epochs, 1);
  assert.deepEqual(cfg.base.hidden, preset.base.hidden);
  assert.equal(cfg.base.limit_train, preset.base.limit_train);
  assert.equal(cfg.out, "runs/yinyang-tau");
  assert.deepEqual(cfg.shard, { index: 1, count: 3 });

  const own = sweepConfigFromOptions({ dataset: "yinyang", taus: [3], tauMode: "ratio", ratio: 4, out: "o" });
  assert.deepEqual(own.max_spikes, [1, 8]);
  assert.deepEqual(own.seeds, [0]);
  assert.equal(own.ratio, 4);
  assert.equal(own.base.dataset, "yinyang");
  assert.equal(own.shard, undefined);

  assert.throws(
    () => sweepConfigFromOptions({ preset: "nope" }),
    /unknown --preset 'nope'; presets: yinyang-tau/,
  );
  assert.throws(() => sweepConfigFromOptions({ dataset: "yinyang", out: "o" }), /needs --taus/);
  assert.throws(() => sweepConfigFromOptions({ dataset: "yinyang", taus: [1] }), /needs --out/);
  assert.throws(
    () => sweepConfigFromOptions({ preset: "yinyang-tau", dataset: "mnist" }),
    /--dataset mnist contradicts preset yinyang-tau \(dataset yinyang\); use --preset mnist-tau/,
  );
  const rates = sweepConfigFromOptions({ dataset: "yinyang", taus: [3], lrs: [0.001, 0.003], out: "o" });
  assert.deepEqual(rates.lrs, [0.001, 0.003]);
  assert.throws(
    () =>
      sweepConfigFromOptions({ dataset: "yinyang", taus: [3], lrs: [0.001], validationSize: 0, out: "o" }),
    /--lrs chooses each tau's rate on validation accuracy; it cannot go with --validation-size 0/,
  );
  const whole = sweepConfigFromOptions({ dataset: "yinyang", taus: [3], validationSize: 0, out: "o" });
  assert.equal(whole.base.validation_size, 0);
  assert.equal(own.lrs, undefined, "no --lrs: no learning-rate axis");
  assert.throws(
    () => sweepConfigFromOptions({ dataset: "yinyang", taus: [3], lr: 0.01, lrs: [0.001], out: "o" }),
    /give --lr .* or --lrs .*, not both/,
  );
});

Deno.test("parsers and error helpers", () => {
  assert.equal(parseNumber("1e-3"), 1e-3);
  assert.equal(parseNumber(".5"), 0.5);
  for (const bad of ["", " ", "0x10", "Infinity", "1,5", "NaN", "1e999"]) {
    assert.throws(() => parseNumber(bad), /not a number/, JSON.stringify(bad));
  }
  assert.deepEqual(parseLayerSizes("400, 200"), [400, 200]);
  assert.deepEqual(parseShard("2/8"), { index: 2, count: 8 });
  assert.throws(() => parseShard("8/8"), /0 <= i < n/);
  assert.equal(errorLine("error: bad\n(Did you mean x?)"), "multispike: error: bad (Did you mean x?)");
  assert.ok(isUserError(new UsageError("x")));
  assert.ok(!isUserError(new RangeError("x")), "a RangeError is a bug");
  assert.equal(
    interruptedLine(["train", "--out", "runs/a b"], "runs/a b", 3),
    "multispike: interrupted; the checkpoint after epoch 3 is kept in runs/a b; continue with: " +
      "multispike train --out 'runs/a b' --resume",
  );
  assert.equal(
    interruptedLine(["train", "--out", "r", "--resume"], "r", 0),
    "multispike: interrupted during epoch 1, before any checkpoint; start again with: multispike train --out r --resume",
  );
  assert.equal(
    interruptedLine(["sweep", "--preset", "yinyang-tau"], "runs/yinyang-tau"),
    "multispike: interrupted; finished runs and checkpoints are kept in runs/yinyang-tau; continue with: " +
      "multispike sweep --preset yinyang-tau",
  );
});

Deno.test("--help lists the commands and exits 0", { ignore: !CAN_RUN }, async () => {
  const r = await cli("--help");
  assert.equal(r.code, 0);
  for (const cmd of ["simulate", "train", "eval", "sweep", "compare", "info"]) {
    assert.match(r.stdout, new RegExp(`\\b${cmd}\\b`));
  }
  const t = await cli("train", "--help");
  assert.equal(t.code, 0);
  for (
    const flag of [
      "--tau-m",
      "--max-spikes",
      "--limit-train",
      "--resume",
      "--lr-decay",
      "--t-in",
      "--workers",
    ]
  ) {
    assert.ok(t.stdout.includes(flag), `train --help mentions ${flag}`);
  }
  const s = await cli("sweep", "--help");
  for (
    const flag of [
      "--merge",
      "--shard",
      "--preset",
      "--taus",
      "--tau-mode",
      "--lrs",
      "--seeds",
      "--average-last",
    ]
  ) {
    assert.ok(s.stdout.includes(flag), `sweep --help mentions ${flag}`);
  }
  for (const name of Object.keys(SWEEP_PRESETS)) {
    assert.ok(s.stdout.includes(name), `sweep --help names ${name}`);
  }
});

Deno.test("--version and info", { ignore: !CAN_RUN }, async () => {
  const meta = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const v = await cli("--version");
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), meta.version);
  const r = await cli("info");
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^multispike ${meta.version.replaceAll(".", "\\.")}\n`));
  assert.match(r.stdout, new RegExp(`deno ${Deno.version.deno.replaceAll(".", "\\.")}`));
  assert.match(r.stdout, /^webgpu hardware adapter: /m);
  assert.match(r.stdout, /^--device auto uses: (gpu|cpu)$/m);
  // Yin-Yang is generated, so it is always there; the others depend on the machine.
  assert.match(r.stdout, /^dataset yinyang: available/m);
  for (const name of ["mnist", "fashion-mnist"]) {
    assert.match(r.stdout, new RegExp(`^dataset ${name}: (available|missing)`, "m"));
  }
});

Deno.test("no command: help on stderr, exit 2", { ignore: !CAN_RUN }, async () => {
  const r = await cli();
  assert.equal(r.code, 2);
  assert.match(r.stderr, /Usage: multispike/);
});

Deno.test("unknown flags and commands: one line, exit 2", { ignore: !CAN_RUN }, async () => {
  assertUserError(await cli("info", "--bogus"), /unknown option '--bogus'/);
  assertUserError(await cli("train", "--out", "x", "--bogus", "1"), /unknown option '--bogus'/);
  assertUserError(await cli("trian"), /unknown command 'trian'/);
});

Deno.test("bad option values: one line, exit 2", { ignore: !CAN_RUN }, async (t) => {
  const cases: [string[], RegExp][] = [
    [["train", "--out", "x", "--tau", "0"], /--tau.*'0'.*> 0/],
    [["train", "--out", "x", "--tau-m", "-1"], /--tau-m.*> 0/],
    [["train", "--out", "x", "--tau-s", "abc"], /--tau-s.*not a number/],
    [["train", "--out", "x", "--max-spikes", "0"], /--max-spikes.*>= 1/],
    [["train", "--out", "x", "--max-spikes", "2.5"], /--max-spikes.*not an integer/],
    [["train", "--out", "x", "--hidden", ""], /--hidden.*comma-separated/],
    [["train", "--out", "x", "--hidden", "0"], /--hidden.*>= 1/],
    [["train", "--out", "x", "--hidden", "10,,5"], /--hidden/],
    [["train", "--out", "x", "--lr", "1e"], /--lr.*not a number/],
    [["train", "--out", "x", "--lr-decay", "1.5"], /--lr-decay.*\(0, 1\]/],
    [["train", "--out", "x", "--augment-shift", "1.5"], /--augment-shift.*not an integer/],
    [["train", "--out", "x", "--weight-decay", "-1"], /--weight-decay/],
    [["train", "--out", "x", "--label-smoothing", "1"], /--label-smoothing.*\[0, 1\)/],
    [["train", "--out", "x", "--dropout", "1"], /--dropout.*\[0, 1\)/],
    [["sweep", "--label-smoothing", "-0.1"], /--label-smoothing.*\[0, 1\)/],
    [["train", "--out", "x", "--validation-size", "-5"], /--validation-size.*>= 0/],
    [["train", "--out", "x", "--epochs", "Infinity"], /--epochs/],
    [["train", "--out", "x", "--tau", "1", "--tau-m", "2"], /--tau.*cannot be used with.*--tau-m/],
    [["train", "--out", "x", "--device", "tpu"], /--device.*Allowed choices are auto, gpu, cpu/],
    [["train", "--out", "x", "--dataset", "cifar"], /--dataset.*Allowed choices/],
    [["train", "--out", "x", "--loss", "mse"], /--loss.*Allowed choices/],
    [["train"], /required option '--out <dir>'/],
    [["sweep", "--shard", "3/2"], /--shard.*0 <= i < n/],
    [["sweep", "--taus", "1,-2"], /--taus.*item '-2'.*> 0/],
    [["sweep", "--max-spikes", "1,0"], /--max-spikes.*item '0'/],
    [["sweep", "--tau-mode", "both"], /--tau-mode.*Allowed choices are tied, ratio, m, s/],
    [["simulate", "--model", "m", "--input", "i", "--out", "o", "--label", "-1"], /--label/],
    [["simulate", "--model", "m", "--input", "i", "--out", "o", "--device", "auto"], /--device.*cpu, gpu/],
  ];
  for (const [args, pattern] of cases) {
    await t.step(args.join(" "), async () => assertUserError(await cli(...args), pattern));
  }
});

Deno.test("simulate writes the engine's spike times and gradients", { ignore: !CAN_RUN }, async () => {
  await withFiles(async (dir) => {
    const r = await cli(
      "simulate",
      ...["--model", `${dir}/model.json`, "--input", `${dir}/input.json`, "--out", `${dir}/out.json`],
      ...["--label", "1", "--grad", `${dir}/grads.json`],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /device: cpu/);
    const out = JSON.parse(await Deno.readTextFile(`${dir}/out.json`));
    const grads = JSON.parse(await Deno.readTextFile(`${dir}/grads.json`));

    // The same network and sample, in this process.
    const { network } = parseModel(MODEL, "MODEL");
    const engine = new CpuEngine(network, { workers: 1 });
    try {
      const ref = await engine.gradients(inputOf(INPUT), Int32Array.of(1), DEFAULT_LOSS);
      assert.equal(out.layers.length, 2);
      let total = 0;
      ref.forward.layers.forEach((layer, l) => {
        assert.equal(out.layers[l].length, layer.neurons);
        for (let i = 0; i < layer.neurons; i++) {
          const want = Array.from(
            layer.time.subarray(i * layer.capacity, i * layer.capacity + layer.count[i]),
          );
          assert.deepEqual(out.layers[l][i], want, `layer ${l} neuron ${i}`);
          for (let k = 1; k < want.length; k++) assert.ok(want[k] > want[k - 1], "ascending");
          total += want.length;
        }
      });
      assert.ok(total >= 4, `the test network should spike a few times, got ${total}`);
      assert.ok(out.layers[0].some((ts: number[]) => ts.length >= 2), "some neuron spikes more than once");

      assert.equal(grads.loss, ref.loss);
      assert.ok(grads.loss > 0);
      assert.equal(grads.layers.length, 2);
      ref.weightGrads.forEach((g, l) => {
        const nOut = network.sizes[l + 1];
        const rows = grads.layers[l].weights as number[][];
        assert.equal(rows.length, network.sizes[l]);
        rows.forEach((row, i) => assert.deepEqual(row, Array.from(g.subarray(i * nOut, (i + 1) * nOut))));
      });
      assert.ok(ref.weightGrads.some((g) => g.some((x) => x !== 0)), "gradients are not all zero");
      assert.deepEqual(grads.input_grads, Array.from(ref.inputGrads));
    } finally {
      engine.dispose();
    }
  });
});

Deno.test("simulate without --label writes spikes only; an empty input gives silent layers", {
  ignore: !CAN_RUN,
}, async () => {
  await withFiles(async (dir) => {
    await Deno.writeTextFile(`${dir}/empty.json`, "[]");
    const r = await cli(
      "simulate",
      ...["--model", `${dir}/model.json`, "--input", `${dir}/empty.json`, "--out", `${dir}/out.json`],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/out.json`)), {
      layers: [[[], [], []], [[], []]],
    });
    assert.match(r.stdout, /prediction: none/);
  });
});

Deno.test("simulate --raster draws an SVG", {
  ignore: !CAN_RUN,
}, async () => {
  await withFiles(async (dir) => {
    const r = await cli(
      "simulate",
      ...["--model", `${dir}/model.json`, "--input", `${dir}/input.json`, "--out", `${dir}/out.json`],
      ...["--raster", `${dir}/raster.svg`],
    );
    assert.equal(r.code, 0, r.stderr);
    const svg = await Deno.readTextFile(`${dir}/raster.svg`);
    assert.match(svg, /^<svg|<svg /);
  });
});

Deno.test("simulate rejects malformed files with one line naming the file; writes nothing", {
  ignore: !CAN_RUN,
}, async (t) => {
  await withFiles(async (dir) => {
    const files: Record<string, string> = {
      "notjson.json": "[[0, 1],",
      "notarray.json": '{"spikes": []}',
      "pair.json": "[[0, 1, 2]]",
      "neuron.json": "[[0, 1], [2, 1]]",
      "fraction.json": "[[0.5, 1]]",
      "negtime.json": "[[0, -1]]",
      "nulltime.json": "[[0, null]]",
      "badversion.json": JSON.stringify({ ...MODEL, version: 3 }),
      "ragged.json": JSON.stringify({ ...MODEL, layers: [{ weights: [[1, 2], [3]] }] }),
      "mismatch.json": JSON.stringify({ ...MODEL, layers: [MODEL.layers[0], { weights: [[1]] }] }),
      "badtau.json": JSON.stringify({ ...MODEL, neuron: { ...MODEL.neuron, tau_s: 0 } }),
    };
    for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${name}`, text);
    const m = `${dir}/model.json`;
    const i = `${dir}/input.json`;
    const o = `${dir}/never.json`;
    const cases: [string, string[], RegExp][] = [
      ["missing model", ["--model", `${dir}/nope.json`, "--input", i], /cannot read model file .*nope\.json/],
      [
        "model version",
        ["--model", `${dir}/badversion.json`, "--input", i],
        /model file .*badversion\.json: unsupported "version" 3/,
      ],
      ["ragged model", ["--model", `${dir}/ragged.json`, "--input", i], /ragged\.json: .*ragged/],
      [
        "layer mismatch",
        ["--model", `${dir}/mismatch.json`, "--input", i],
        /mismatch\.json: layers\[1\] has 1 input rows/,
      ],
      ["bad tau", ["--model", `${dir}/badtau.json`, "--input", i], /badtau\.json: neuron\.tau_s must be/],
      ["missing input", ["--model", m, "--input", `${dir}/nope.json`], /cannot read input file .*nope\.json/],
      [
        "input not JSON",
        ["--model", m, "--input", `${dir}/notjson.json`],
        /input file .*notjson\.json is not valid JSON/,
      ],
      [
        "input not array",
        ["--model", m, "--input", `${dir}/notarray.json`],
        /notarray\.json: expected an array/,
      ],
      [
        "not a pair",
        ["--model", m, "--input", `${dir}/pair.json`],
        /pair\.json: entry 0 must be a \[neuron, time\] pair/,
      ],
      [
        "neuron range",
        ["--model", m, "--input", `${dir}/neuron.json`],
        /neuron\.json: entry 1: neuron must be an integer in 0\.\.1/,
      ],
      [
        "neuron fraction",
        ["--model", m, "--input", `${dir}/fraction.json`],
        /fraction\.json: entry 0: neuron/,
      ],
      [
        "negative time",
        ["--model", m, "--input", `${dir}/negtime.json`],
        /negtime\.json: entry 0: time must be a finite number >= 0, got -1/,
      ],
      [
        "null time",
        ["--model", m, "--input", `${dir}/nulltime.json`],
        /nulltime\.json: entry 0: time .*got null/,
      ],
      ["label range", ["--model", m, "--input", i, "--label", "2"], /--label 2 is not a class of this model/],
      ["grad without label", ["--model", m, "--input", i, "--grad", `${dir}/g.json`], /--grad needs --label/],
    ];
    for (const [name, args, pattern] of cases) {
      await t.step(name, async () => {
        assertUserError(await cli("simulate", ...args, "--out", o), pattern);
        assert.ok(!await exists(o), "no output written");
      });
    }
    await t.step("output directory missing", async () => {
      assertUserError(
        await cli("simulate", "--model", m, "--input", i, "--out", `${dir}/no/such/dir/out.json`),
        /cannot write output file .*out\.json/,
      );
    });
  });
});

Deno.test("train on yinyang writes metrics, summary and a model that simulate and eval read", {
  ignore: !CAN_RUN,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "multispike_train_" });
  try {
    const out = `${dir}/run`;
    const r = await cli(
      "train",
      ...["--dataset", "yinyang", "--limit-train", "200", "--limit-test", "100", "--epochs", "1"],
      ...["--hidden", "20", "--device", "cpu", "--workers", "1", "--seed", "3", "--out", out],
      ...["--average-last", "1"],
    );
    assert.equal(r.code, 0, r.stderr);
    // The mean of one epoch's weights is that epoch's model, and train says where it is.
    assert.match(r.stdout, /test accuracy [\d.]+ \(mean weights of epochs 1-1\); .*averaged_model\.json/);
    assert.deepEqual(
      (await readModelFile(`${out}/averaged_model.json`)).network.weights,
      (await readModelFile(`${out}/last_model.json`)).network.weights,
    );
    const metrics = (await Deno.readTextFile(`${out}/metrics.csv`)).trim().split("\n");
    assert.equal(metrics.length, 2, "header + one epoch");
    const summary = JSON.parse(await Deno.readTextFile(`${out}/summary.json`));
    assert.ok(summary.test_accuracy >= 0 && summary.test_accuracy <= 1);
    const model = await readModelFile(`${out}/model.json`);
    assert.deepEqual(model.network.sizes.slice(1), [20, 3]);
    assert.equal(model.config?.seed, 3);
    assert.deepEqual(model.config?.hidden, [20]);
    await Deno.writeTextFile(`${dir}/yy.json`, "[[0, 0.5], [1, 1.2], [2, 0.3], [3, 1.7], [4, 0]]");
    const sim = await cli(
      "simulate",
      ...["--model", `${out}/model.json`, "--input", `${dir}/yy.json`, "--out", `${dir}/yy_out.json`],
    );
    assert.equal(sim.code, 0, sim.stderr);
    const spikes = JSON.parse(await Deno.readTextFile(`${dir}/yy_out.json`));
    assert.deepEqual(spikes.layers.map((l: number[][]) => l.length), [20, 3]);

    {
      const e = await cli(
        "eval",
        ...["--model", `${out}/model.json`, "--dataset", "yinyang", "--device", "cpu", "--limit-test", "100"],
        ...["--out", `${dir}/eval`, "--timing"],
      );
      assert.equal(e.code, 0, e.stderr);
      assert.match(e.stdout, /accuracy/i);
      assert.match(e.stdout, /hidden 1: [\d.]+% of [\d.]+ spikes per sample before the decision/);
      // The timing pass is a second forward pass over the same samples: its spike totals must be the ones
      // the evaluation counted, and the histograms must hold every spike.
      const report = JSON.parse(await Deno.readTextFile(`${dir}/eval/eval.json`));
      const sizes = [20, 3];
      report.timing.layers.forEach((l: { spikes: number; fraction_before_decision: number }, i: number) => {
        assert.ok(Math.abs(l.spikes - report.layers[i].spikes_per_neuron * sizes[i]) < 1e-9 * (1 + l.spikes));
        const binned = report.timing.spike_histogram[i].reduce((a: number, b: number) => a + b, 0);
        assert.ok(Math.abs(binned - l.spikes) < 1e-9 * (1 + l.spikes));
      });
      assert.equal(report.timing.layers[1].spikes_before_decision, 0, "no output spike precedes the first");
      const csv = (await Deno.readTextFile(`${dir}/eval/timing.csv`)).trim().split("\n");
      assert.equal(csv[0], "t_from,t_to,hidden_1_spikes,output_spikes,decisions");
      assert.equal(csv.length, 61);
      assert.ok((await Deno.stat(`${dir}/eval/timing.svg`)).size > 0);
    }
    {
      // A test sample straight from the dataset: the spikes and loss the engine gives for it, encoded as eval
      // encodes it, scored with the model's own loss, for the sample's own label.
      const index = 7;
      const sim = await cli(
        "simulate",
        ...["--model", `${out}/model.json`, "--dataset", "yinyang", "--sample", String(index)],
        ...["--out", `${dir}/s_out.json`, "--grad", `${dir}/s_grads.json`, "--raster", `${dir}/s.png`],
      );
      assert.equal(sim.code, 0, sim.stderr);
      const data = await loadDataset("yinyang");
      const label = data.test.labels[index];
      assert.match(
        sim.stdout,
        new RegExp(`input: yinyang test sample ${index}, \\d+ spikes, label ${label}\n`),
      );
      const engine = new CpuEngine(model.network, { workers: 1 });
      try {
        const input = data.test.encode([index], model.t_in!);
        assert.ok(input.neuron.length > 0);
        const ref = await engine.gradients(input, Int32Array.of(label), model.config!.loss);
        const spikes = JSON.parse(await Deno.readTextFile(`${dir}/s_out.json`));
        ref.forward.layers.forEach((layer, l) => {
          for (let i = 0; i < layer.neurons; i++) {
            const want = Array.from(
              layer.time.subarray(i * layer.capacity, i * layer.capacity + layer.count[i]),
            );
            assert.deepEqual(spikes.layers[l][i], want, `layer ${l} neuron ${i}`);
          }
        });
        const grads = JSON.parse(await Deno.readTextFile(`${dir}/s_grads.json`));
        assert.equal(grads.loss, ref.loss);
        assert.notEqual(
          model.config!.loss.tau0,
          DEFAULT_LOSS.tau0,
          "the model's loss is not the default one",
        );
      } finally {
        engine.dispose();
      }
      const png = await Deno.readFile(`${dir}/s.png`);
      assert.deepEqual(Array.from(png.subarray(0, 4)), [0x89, 0x50, 0x4e, 0x47], "a PNG file");
      assertUserError(
        await cli(
          "simulate",
          "--model",
          `${out}/model.json`,
          "--dataset",
          "yinyang",
          "--sample",
          "1000",
          "--out",
          `${dir}/x.json`,
        ),
        /--sample 1000 is not a test sample of yinyang \(it has 1000: 0\.\.999\)/,
      );
      assertUserError(
        await cli("simulate", "--model", `${out}/model.json`, "--out", `${dir}/x.json`),
        /--input FILE or as --sample N/,
      );
      assert.ok(!await exists(`${dir}/x.json`), "nothing written");
    }
    // A model whose inputs do not fit the dataset is a user error.
    await Deno.writeTextFile(`${dir}/small.json`, JSON.stringify(MODEL));
    {
      assertUserError(
        await cli("eval", "--model", `${dir}/small.json`, "--dataset", "yinyang", "--device", "cpu"),
        /input/,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Ctrl-C during train keeps the last checkpoint, says how to resume, exits 130", {
  ignore: !CAN_RUN,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "multispike_sigint_" });
  try {
    const out = `${dir}/run`;
    const args = [
      ...["train", "--dataset", "yinyang", "--limit-train", "300", "--limit-test", "50", "--epochs", "500"],
      ...["--hidden", "10", "--device", "cpu", "--workers", "1", "--out", out],
    ];
    const child = cliCommand(args).spawn();
    let exited = false;
    const outputP = child.output().finally(() => exited = true);
    // Wait for the first epoch's checkpoint, then interrupt. The deadline only keeps a broken build from
    // hanging the suite: an epoch here takes about a second, and no outcome depends on how long it takes.
    const deadline = Date.now() + 600_000;
    while (!exited && !await exists(`${out}/checkpoint.json`) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill("SIGINT");
    const r = await outputP;
    const stderr = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 130, stderr);
    const last = stderr.trimEnd().split("\n").at(-1)!;
    assert.match(
      last,
      /^multispike: interrupted; the checkpoint after epoch \d+ is kept in .*run; continue with: multispike train .*--resume$/,
    );
    const ck = JSON.parse(await Deno.readTextFile(`${out}/checkpoint.json`));
    assert.ok(ck.epoch >= 1, "at least one epoch checkpointed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Ctrl-C in the middle of a long epoch on one CPU thread is heard before the epoch ends", {
  ignore: !CAN_RUN,
}, async () => {
  // The one-thread CPU engine computes inside promises that resolve at once; without turns of the event loop
  // the SIGINT listener only ran at the end of the epoch (seen on a 6-minute MNIST epoch).
  const dir = await Deno.makeTempDir({ prefix: "multispike_sigint_long_" });
  try {
    const out = `${dir}/run`;
    const args = [
      ...["train", "--dataset", "mnist", "--limit-train", "20000", "--limit-test", "100", "--epochs", "1"],
      ...["--hidden", "100", "--batch-size", "16", "--device", "cpu", "--workers", "1", "--out", out],
    ];
    const child = cliCommand(args, "null").spawn();
    // Interrupt once the first progress line of epoch 1 is out: the epoch has many minutes left.
    let stderr = "";
    const decoder = new TextDecoder();
    const reader = child.stderr.getReader();
    let signalled = false;
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += decoder.decode(value, { stream: true });
      if (!signalled && /epoch 1\/1: \d+\/\d+/.test(stderr)) {
        child.kill("SIGINT");
        signalled = true;
      }
    }
    const status = await child.status;
    assert.ok(signalled, stderr);
    assert.equal(status.code, 130, stderr);
    assert.match(
      stderr.trimEnd().split("\n").at(-1)!,
      /^multispike: interrupted during epoch 1, before any checkpoint/,
    );
    assert.equal(await exists(`${out}/checkpoint.json`), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test(
  "sweep over learning rates reports each tau's rate chosen on validation",
  { ignore: !CAN_RUN },
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "multispike_sweep_lrs_" });
    try {
      const r = await cli(
        ...["sweep", "--dataset", "yinyang", "--taus", "1,3", "--max-spikes", "4", "--lrs", "0.001,0.01"],
        ...["--epochs", "1", "--hidden", "5", "--limit-train", "60", "--limit-test", "30", "--device", "cpu"],
        ...["--workers", "1", "--quiet", "--out", dir],
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /ran 4 runs/);
      assert.match(r.stdout, /tau 3 \(tau_m 3, tau_s 3\) max_spikes 4 lr 0\.01: test accuracy/);
      assert.match(r.stdout, /max_spikes 4 lr 0\.001: best tau [13] /);
      assert.match(
        r.stdout,
        /max_spikes 4, lr chosen per tau on validation \(1: 0\.0?01, 3: 0\.0?01\): best tau/,
      );
      const sweep = JSON.parse(await Deno.readTextFile(`${dir}/sweep.json`));
      assert.deepEqual(sweep.grid.lrs, [0.001, 0.01]);
      assert.equal(sweep.best_tau_tuned_lr.length, 1);
      const summary = JSON.parse(
        await Deno.readTextFile(`${dir}/points/tau-3_k-4_lr-0.01_seed-0/summary.json`),
      );
      assert.equal(summary.config.lr, 0.01, "the run trained at its grid point's rate");
      assertUserError(
        await cli(
          "sweep",
          "--dataset",
          "yinyang",
          "--taus",
          "1",
          "--lr",
          "0.01",
          "--lrs",
          "0.001",
          "--out",
          dir,
        ),
        /give --lr .* or --lrs .*, not both/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test(
  "sweep --average-last: each run keeps its mean weights, and the sweep reads them beside the kept models",
  { ignore: !CAN_RUN },
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "multispike_sweep_avg_" });
    try {
      const r = await cli(
        ...["sweep", "--dataset", "yinyang", "--taus", "1,3", "--max-spikes", "4", "--average-last", "2"],
        ...["--epochs", "2", "--hidden", "5", "--limit-train", "60", "--limit-test", "30", "--device", "cpu"],
        ...["--workers", "1", "--quiet", "--out", dir],
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        /max_spikes 4: test accuracy .*; mean weights of the last 2 epochs 0\.\d{4} \+- 0\.0000/,
      );
      assert.match(r.stdout, /max_spikes 4: best tau [13] .*; by the mean weights tau [13] /);
      const sweep = JSON.parse(await Deno.readTextFile(`${dir}/sweep.json`));
      assert.equal(sweep.grid.base.average_last_epochs, 2);
      const csv = parseCsv(await Deno.readTextFile(`${dir}/sweep.csv`));
      for (const [i, tau] of [1, 3].entries()) {
        const summary = JSON.parse(
          await Deno.readTextFile(`${dir}/points/tau-${tau}_k-4_seed-0/summary.json`),
        );
        assert.deepEqual(summary.averaged.epochs, [1, 2]);
        // The sweep's figures are the runs' own, not measured again.
        assert.equal(sweep.points[i].averaged_test_accuracy.mean, summary.averaged.test_accuracy);
        assert.equal(Number(csv[i].averaged_test_accuracy), summary.averaged.test_accuracy);
        assert.equal(csv[i].averaged_epochs, "1-2");
      }
      assert.match(await Deno.readTextFile(`${dir}/sweep.svg`), /stroke-dasharray="6,3"/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

Deno.test("sweep in two shards, then --merge joins them", { ignore: !CAN_RUN }, async () => {
  const dir = await Deno.makeTempDir({ prefix: "multispike_sweep_" });
  try {
    const grid = [
      ...[
        "sweep",
        "--dataset",
        "yinyang",
        "--taus",
        "1,3",
        "--max-spikes",
        "1",
        "--seeds",
        "0",
        "--epochs",
        "1",
      ],
      ...["--hidden", "5", "--limit-train", "60", "--limit-test", "30", "--device", "cpu", "--workers", "1"],
    ];
    for (const i of [0, 1]) {
      const r = await cli(...grid, "--shard", `${i}/2`, "--out", `${dir}/s${i}`);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /ran 1 run, skipped 0/);
    }
    const again = await cli(...grid, "--shard", "0/2", "--out", `${dir}/s0`);
    assert.match(again.stdout, /ran 0 runs, skipped 1 finished before/, "finished points are skipped");
    const m = await cli("sweep", "--merge", `${dir}/s0`, `${dir}/s1`, "--out", `${dir}/all`);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /2 of 2 runs finished/);
    const sweep = JSON.parse(await Deno.readTextFile(`${dir}/all/sweep.json`));
    assert.equal(sweep.runs_finished, 2);
    assert.deepEqual(sweep.points.map((p: { tau: number }) => p.tau), [1, 3]);
    assertUserError(
      await cli("sweep", "--merge", `${dir}/s0`, "--taus", "1", "--out", `${dir}/x`),
      /--merge takes only --out; drop --taus/,
    );
    assertUserError(
      await cli("sweep", "--merge", `${dir}/nope`, "--out", `${dir}/x`),
      /nope is not a sweep directory/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Whether a WebGPU adapter exists, asked in a subprocess: this test process must not open WebGPU itself, as
 * its teardown at exit beside the worker threads aborted the process now and then (glibc "corrupted size vs.
 * prev_size") after every test had passed.
 */
async function hasAdapter(): Promise<boolean> {
  if (!CAN_RUN) return false;
  const probe = "const a = 'gpu' in navigator ? await navigator.gpu.requestAdapter() : null; " +
    "console.log(a ? 'adapter' : 'none');";
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", probe],
    stdout: "piped",
    stderr: "null",
  })
    .output();
  return new TextDecoder().decode(out.stdout).includes("adapter");
}
const HAS_ADAPTER = await hasAdapter();

Deno.test(
  "simulate --device gpu agrees with the CPU engine to f32 precision",
  { ignore: !CAN_RUN || !HAS_ADAPTER },
  async () => {
    await withFiles(async (dir) => {
      const files = (
        d: string,
      ) => ["--out", `${dir}/out_${d}.json`, "--grad", `${dir}/grads_${d}.json`, "--device", d];
      const common = [
        "simulate",
        "--model",
        `${dir}/model.json`,
        "--input",
        `${dir}/input.json`,
        "--label",
        "1",
      ];
      for (const d of ["cpu", "gpu"]) {
        const r = await cli(...common, ...files(d));
        assert.equal(r.code, 0, r.stderr);
      }
      const read = async (name: string) => JSON.parse(await Deno.readTextFile(`${dir}/${name}`));
      const [outCpu, outGpu, gCpu, gGpu] = await Promise.all(
        ["out_cpu.json", "out_gpu.json", "grads_cpu.json", "grads_gpu.json"].map(read),
      );
      // F32_TOLERANCE (tests/engine_cases.ts, justified there), applied as the parity suite does: the loss
      // relative, each gradient relative to its layer's largest entry plus to itself.
      const { time: tolTime, grad: tolGrad } = F32_TOLERANCE;
      const closeTo = (a: number, b: number, tol: number, what: string) =>
        assert.ok(Math.abs(a - b) <= tol, `${what}: cpu ${a}, gpu ${b}`);
      outCpu.layers.forEach((layer: number[][], l: number) =>
        layer.forEach((ts, i) => {
          assert.equal(outGpu.layers[l][i].length, ts.length, `spike count of layer ${l} neuron ${i}`);
          ts.forEach((t, k) =>
            closeTo(t, outGpu.layers[l][i][k], tolTime, `layer ${l} neuron ${i} spike ${k}`)
          );
        })
      );
      closeTo(gCpu.loss, gGpu.loss, tolGrad * (1 + Math.abs(gCpu.loss)), "loss");
      gCpu.layers.forEach((layer: { weights: number[][] }, l: number) => {
        const largest = Math.max(...layer.weights.flat().map(Math.abs));
        assert.ok(largest > 0, `dW${l} is not all zero`);
        layer.weights.forEach((row, i) =>
          row.forEach((g, j) =>
            closeTo(g, gGpu.layers[l].weights[i][j], tolGrad * (largest + Math.abs(g)), `dW${l}[${i}][${j}]`)
          )
        );
      });
    });
  },
);
