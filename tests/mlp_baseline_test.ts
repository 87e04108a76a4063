/**
 * The reference ANN of scripts/ann_baseline.ts (src/baseline/mlp.ts): its backpropagated gradient against
 * central finite differences of its own loss, its predictions against its logits, that Adam on it
 * learns, and the script end to end on a few MNIST images with its one-line errors.
 *
 * Tolerance. The loss is a sum of a few hundred f64 terms, noise eps_L ~ 1e-15; a central difference with
 * h = 1e-6 has rounding error eps_L / h ~ 1e-9 and truncation error h^2 L''' / 6 ~ 1e-12, and ReLU kinks
 * are crossed with probability ~ h / (spread of pre-activations), negligible at these sizes. So every entry
 * must agree to 1e-6 absolute + 1e-5 relative.
 */
import assert from "node:assert/strict";
import { Mlp } from "../src/baseline/mlp.ts";
import { ADAM_DEFAULTS, adamStep, newAdamState } from "../src/engine/adam.ts";
import { Rng } from "../src/util/rng.ts";
import { defaultTrainConfig } from "../src/train/defaults.ts";
import { CAN_RUN, runScript } from "./cli_helpers.ts";

/** A batch of inputs in [0, 1] with about a third exact zeros, as images have (the skipped path). */
function inputs(rng: Rng, batch: number, n: number): Float64Array {
  return Float64Array.from({ length: batch * n }, () => (rng.next() < 0.35 ? 0 : rng.next()));
}

/**
 * Runs `loss` once (which leaves its gradient in `net.grads`), then holds every parameter's entry to the
 * central difference of `loss` (tolerance: module comment).
 * @returns the backpropagated gradient
 */
function assertGradientsMatchDifferences(net: Mlp, loss: () => number): Float64Array[] {
  loss();
  const analytic = net.grads.map((g) => g.slice());
  const h = 1e-6;
  for (let p = 0; p < net.params.length; p++) {
    for (let i = 0; i < net.params[p].length; i++) {
      const w0 = net.params[p][i];
      net.params[p][i] = w0 + h;
      const up = loss();
      net.params[p][i] = w0 - h;
      const down = loss();
      net.params[p][i] = w0;
      const fd = (up - down) / (2 * h);
      assert.ok(
        Math.abs(fd - analytic[p][i]) <= 1e-6 + 1e-5 * Math.abs(fd),
        `param ${p}[${i}]: backprop ${analytic[p][i]}, finite difference ${fd}`,
      );
    }
  }
  return analytic;
}

Deno.test("Mlp gradient matches central finite differences (one and two hidden layers)", () => {
  for (const sizes of [[6, 5, 3], [7, 6, 4, 3]]) {
    const rng = new Rng(sizes.length);
    const net = new Mlp(sizes, rng);
    // Non-zero biases, so that their gradients are tested off the initial point too.
    for (let p = 1; p < net.params.length; p += 2) {
      for (let i = 0; i < net.params[p].length; i++) {
        net.params[p][i] = 0.1 * rng.normal();
      }
    }
    const batch = 5;
    const x = inputs(rng, batch, sizes[0]);
    const labels = Int32Array.from({ length: batch }, () => rng.int(sizes.at(-1)!));
    net.lossAndGradient(x, labels);
    const analytic = net.grads.map((g) => g.slice());
    const h = 1e-6;
    let compared = 0;
    for (let p = 0; p < net.params.length; p++) {
      for (let i = 0; i < net.params[p].length; i++) {
        const w0 = net.params[p][i];
        net.params[p][i] = w0 + h;
        const up = net.lossAndGradient(x, labels).loss;
        net.params[p][i] = w0 - h;
        const down = net.lossAndGradient(x, labels).loss;
        net.params[p][i] = w0;
        const fd = (up - down) / (2 * h);
        const g = analytic[p][i];
        assert.ok(
          Math.abs(fd - g) <= 1e-6 + 1e-5 * Math.abs(fd),
          `sizes ${sizes}, param ${p}[${i}]: backprop ${g}, finite difference ${fd}`,
        );
        compared++;
      }
    }
    assert.equal(compared, net.params.reduce((n, a) => n + a.length, 0));
    // The test would pass vacuously if every gradient were zero.
    assert.ok(analytic.some((g) => g.some((v) => Math.abs(v) > 1e-3)), "some gradient entries are non-zero");
  }
});

Deno.test("Mlp with dropout: the gradient through the batch's mask matches finite differences", () => {
  const sizes = [7, 6, 5, 3];
  const rng = new Rng(11);
  const net = new Mlp(sizes, rng);
  // Non-zero biases: a sample whose units below are all dropped would otherwise sit on a ReLU kink (z = 0).
  for (let p = 1; p < net.params.length; p += 2) {
    for (let i = 0; i < net.params[p].length; i++) net.params[p][i] = 0.1 * rng.normal();
  }
  const batch = 5;
  const x = inputs(rng, batch, sizes[0]);
  const labels = Int32Array.from({ length: batch }, () => rng.int(sizes.at(-1)!));
  // The same mask at every evaluation: a fresh stream from one seed draws it each time.
  const dropout = () => ({ rate: 0.4, rng: new Rng(5) });
  const hidden = net.forward(x, batch, dropout())[1];
  const plain = net.forward(x, batch)[1];
  let dropped = 0;
  for (let k = 0; k < plain.length; k++) {
    if (hidden[k] === 0 && plain[k] > 0) dropped++;
    // A kept unit is scaled by 1 / (1 - rate).
    else assert.ok(Math.abs(hidden[k] - plain[k] / 0.6) < 1e-12, `unit ${k}: ${hidden[k]} vs ${plain[k]}`);
  }
  assert.ok(dropped > 0, "the mask drops some active units");
  const analytic = assertGradientsMatchDifferences(net, () => net.lossAndGradient(x, labels, dropout()).loss);
  // The dropped units' gradient differs from the plain network's: the mask is in the backward pass.
  net.lossAndGradient(x, labels);
  assert.ok(net.grads.some((g, p) => g.some((v, i) => Math.abs(v - analytic[p][i]) > 1e-6)));
  assert.throws(() => net.lossAndGradient(x, labels, { rate: 1, rng }), /dropout rate/);
});

Deno.test("Mlp with label smoothing: the loss against the smoothed target, its gradient against finite differences", () => {
  const rng = new Rng(11);
  const net = new Mlp([6, 10, 4], rng);
  const batch = 5;
  const x = inputs(rng, batch, 6);
  const labels = Int32Array.from({ length: batch }, () => rng.int(4));
  const e = 0.1;
  // The loss written out: -sum_c target_c log softmax_c, target = (1 - e) one-hot + e / 4.
  const logits = net.forward(x, batch).at(-1)!;
  let expected = 0;
  for (let s = 0; s < batch; s++) {
    const row = Array.from(logits.subarray(4 * s, 4 * s + 4));
    const logSum = Math.log(row.reduce((a, z) => a + Math.exp(z), 0));
    row.forEach((z, c) => (expected -= ((c === labels[s] ? 1 - e : 0) + e / 4) * (z - logSum)));
  }
  assert.ok(Math.abs(net.lossAndGradient(x, labels, undefined, e).loss - expected / batch) < 1e-12);
  const analytic = assertGradientsMatchDifferences(
    net,
    () => net.lossAndGradient(x, labels, undefined, e).loss,
  );
  // Smoothing changes the gradient (it is not ignored), and 0 is the plain loss.
  net.lossAndGradient(x, labels);
  assert.ok(net.grads.some((g, p) => g.some((v, i) => Math.abs(v - analytic[p][i]) > 1e-6)));
  assert.equal(net.lossAndGradient(x, labels, undefined, 0).loss, net.lossAndGradient(x, labels).loss);
  assert.throws(() => net.lossAndGradient(x, labels, undefined, 1), /label smoothing/);
});

Deno.test("Mlp predict is the largest logit, and the loss is the softmax cross-entropy of the logits", () => {
  const rng = new Rng(3);
  const net = new Mlp([4, 8, 3], rng);
  const x = inputs(rng, 6, 4);
  const logits = net.forward(x, 6).at(-1)!;
  const pred = net.predict(x, 6);
  const labels = new Int32Array(6).fill(1);
  let loss = 0;
  for (let s = 0; s < 6; s++) {
    const row = Array.from(logits.subarray(3 * s, 3 * s + 3));
    assert.equal(pred[s], row.indexOf(Math.max(...row)));
    loss += Math.log(row.reduce((a, z) => a + Math.exp(z), 0)) - row[1];
  }
  assert.ok(Math.abs(net.lossAndGradient(x, labels).loss - loss / 6) < 1e-12);
  assert.throws(() => net.forward(x, 5), /6 samples|5 samples/);
  assert.throws(() => net.lossAndGradient(x, new Int32Array(6).fill(3)), /not a class/);
  assert.throws(() => new Mlp([4], rng), /at least two/);
});

Deno.test("Mlp with Adam learns a batch it can fit", () => {
  const rng = new Rng(7);
  const net = new Mlp([10, 16, 4], rng);
  const x = inputs(rng, 32, 10);
  const labels = Int32Array.from({ length: 32 }, () => rng.int(4));
  const state = newAdamState(net.params);
  const first = net.lossAndGradient(x, labels);
  let last = first;
  for (let step = 0; step < 300; step++) {
    adamStep(net.params, net.grads, state, { lr: 0.01, ...ADAM_DEFAULTS });
    last = net.lossAndGradient(x, labels);
  }
  assert.ok(last.loss < 0.1 * first.loss, `loss ${first.loss} -> ${last.loss}`);
  assert.equal(last.correct, 32);
});

const SCRIPT = new URL("../scripts/ann_baseline.ts", import.meta.url).pathname;

/** The script run to the end, as a user runs it. */
const script = (...args: string[]) => runScript(SCRIPT, ...args);

Deno.test({
  name:
    "scripts/ann_baseline.ts trains on MNIST images and writes its report; bad input is one line, non-zero",
  ignore: !CAN_RUN,
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      const run = await script(
        "--dataset=mnist",
        "--limit-train=600",
        "--limit-test=200",
        "--epochs=2",
        "--hidden=32",
        "--average-last=2",
        "--dropout=0.2",
        "--label-smoothing=0.1",
        "--augment-flip",
        `--out=${out}`,
      );
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(await Deno.readTextFile(`${out}/summary.json`));
      assert.equal(summary.network, "ANN 784-32-10, ReLU, softmax cross-entropy");
      // What an option leaves out is `multispike train`'s recommendation for the dataset.
      const mnist = defaultTrainConfig("mnist");
      assert.deepEqual(
        [summary.options.epochs, summary.options.batchSize, summary.options.lr, summary.options.lrDecay],
        [2, mnist.batch_size, mnist.lr, mnist.lr_decay],
      );
      assert.equal(summary.options.augmentShift, mnist.augment_shift);
      assert.equal(summary.options.dropout, 0.2);
      assert.equal(summary.options.labelSmoothing, 0.1);
      assert.equal(summary.options.augmentFlip, true);
      assert.match(run.stdout, /mirrored at random, dropout 0\.2 on hidden units, label smoothing 0\.1/);
      // 600 images and 2 epochs already lift a 32-unit network far above chance (10%) on MNIST.
      assert.ok(summary.test_accuracy > 0.5 && summary.test_accuracy <= 1, `test ${summary.test_accuracy}`);
      assert.ok([1, 2].includes(summary.best_epoch));
      assert.deepEqual(summary.averaged.epochs, [1, 2]);
      assert.ok(summary.averaged.test_accuracy > 0.5, `averaged ${summary.averaged.test_accuracy}`);
      const rows = (await Deno.readTextFile(`${out}/metrics.csv`)).trim().split("\n");
      assert.equal(rows.length, 3);
      assert.equal(rows[0], "epoch,lr,train_loss,train_acc,val_acc,test_acc,seconds");

      const yinyang = await script("--dataset=yinyang", `--out=${out}`);
      assert.equal(yinyang.code, 2);
      assert.equal(yinyang.stderr.trim().split("\n").length, 1);
      assert.match(yinyang.stderr, /--dataset must be mnist or fashion-mnist/);
      const unknown = await script("--no-such-flag", `--out=${out}`);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /unknown option/);
      // The project's option parsers: a batch of 0 would never step through the data.
      const noBatch = await script("--batch-size=0", `--out=${out}`);
      assert.notEqual(noBatch.code, 0);
      assert.match(noBatch.stderr, /--batch-size .* must be an integer >= 1/);
      const allDropped = await script("--dropout=1", `--out=${out}`);
      assert.notEqual(allDropped.code, 0);
      assert.match(allDropped.stderr, /--dropout .* must be a number in \[0, 1\)/);
      const allSmoothed = await script("--label-smoothing=1", `--out=${out}`);
      assert.notEqual(allSmoothed.code, 0);
      assert.match(allSmoothed.stderr, /--label-smoothing .* must be a number in \[0, 1\)/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
