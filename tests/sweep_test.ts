/**
 * Sweeps: the grid and its shards, tau modes, aggregation, and a tiny real sweep (CPU engine) that is
 * resumable, split into shards and merged.
 */
import assert from "node:assert/strict";
import type { Reporter } from "../src/report/progress.ts";
import type { TrainConfig } from "../src/train/config.ts";
import { defaultTrainConfig } from "../src/train/defaults.ts";
import { TrainingError, TrainingInterrupted } from "../src/train/errors.ts";
import { mergeSweeps, runSweep, SWEEP_PRESETS, type SweepConfig } from "../src/train/sweep.ts";
import { type GridPoint, gridPoints, gridSpec, shardPoints, timeConstants } from "../src/train/sweep_grid.ts";
import { type RunRecord, spread, sweepCsv, type SweepJson, sweepJson } from "../src/train/sweep_report.ts";
import { formatSweep } from "../src/cli/sweep_command.ts";
import { parseCsv } from "../src/report/csv.ts";
import type { TrainSummary } from "../src/train/run_summary.ts";

const quiet: Reporter = { start() {}, update() {}, stop() {}, log() {} };
/** Rendering PNGs takes about a second each: only the merge draws them. */
const NO_PLOTS = { plots: false };

const BASE: TrainConfig = {
  ...defaultTrainConfig("yinyang"),
  hidden: [8],
  epochs: 1,
  limit_train: 64,
  limit_test: 64,
  device: "cpu",
  workers: 1,
};

function tiny(out: string, extra: Partial<SweepConfig> = {}): SweepConfig {
  return {
    dataset: "yinyang",
    taus: [2, 5],
    tau_mode: "tied",
    max_spikes: [1, 4],
    seeds: [0],
    base: BASE,
    out,
    ...extra,
  };
}

Deno.test("grid: canonical order, keys, per-point configs", () => {
  const points = gridPoints(gridSpec(tiny("x", { seeds: [0, 1] })));
  assert.equal(points.length, 8);
  assert.deepEqual(points.map((p) => p.index), [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(points[0].key, "tau-2_k-1_seed-0");
  assert.equal(points[3].key, "tau-2_k-4_seed-1");
  assert.equal(new Set(points.map((p) => p.key)).size, 8);
  const p = points[7];
  assert.deepEqual([p.tau, p.max_spikes, p.seed], [5, 4, 1]);
  assert.deepEqual(
    [p.config.neuron.tau_m, p.config.neuron.tau_s, p.config.neuron.max_spikes, p.config.seed],
    [5, 5, 4, 1],
  );
  assert.equal(p.config.neuron.t_max, BASE.neuron.t_max);
  assert.equal(p.config.hidden, BASE.hidden);
});

Deno.test("tau modes set the time constants as documented", () => {
  const base = { ...BASE, neuron: { ...BASE.neuron, tau_m: 7, tau_s: 3 } };
  const at = (mode: SweepConfig["tau_mode"], ratio?: number) =>
    timeConstants(gridSpec(tiny("x", { tau_mode: mode, ratio, base })), 4);
  assert.deepEqual(at("tied"), { tau_m: 4, tau_s: 4 });
  assert.deepEqual(at("ratio"), { tau_m: 4, tau_s: 2 });
  assert.deepEqual(at("ratio", 4), { tau_m: 4, tau_s: 1 });
  assert.deepEqual(at("m"), { tau_m: 4, tau_s: 3 });
  assert.deepEqual(at("s"), { tau_m: 7, tau_s: 4 });
});

Deno.test("shards split the grid into disjoint, covering, deterministic parts", () => {
  const points = gridPoints(gridSpec(tiny("x", { taus: [1, 2, 5], seeds: [0, 1, 2] })));
  for (const n of [1, 2, 3, 5, 18, 25]) {
    const parts = Array.from(
      { length: n },
      (_, i) => shardPoints(points, { index: i, count: n }).map((p) => p.key),
    );
    const all = parts.flat();
    assert.equal(all.length, points.length, `n = ${n}`);
    assert.equal(new Set(all).size, points.length, `n = ${n}`);
    const sizes = parts.map((p) => p.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `unbalanced for n = ${n}: ${sizes}`);
    assert.deepEqual(shardPoints(points, { index: 0, count: n }).map((p) => p.key), parts[0]);
  }
  assert.deepEqual(shardPoints(points, undefined), points);
});

Deno.test("spread: mean, sample standard deviation and median", () => {
  assert.deepEqual(spread([0.5]), { mean: 0.5, std: 0, median: 0.5 });
  const s = spread([4, 1, 3, 2]);
  assert.equal(s.mean, 2.5);
  assert.ok(Math.abs(s.std - Math.sqrt(5 / 3)) < 1e-12);
  assert.equal(s.median, 2.5);
  // Odd count: the middle value, whatever the order; one outlier moves the mean, not the median.
  assert.equal(spread([0.86, 0.78, 0.855]).median, 0.855);
  assert.ok(Number.isNaN(spread([]).mean) && Number.isNaN(spread([]).median));
});

/** A finished run of `point` whose summary holds only what sweepJson and sweepCsv read, with the given test accuracy. */
function recordOf(testAccuracy: (point: GridPoint) => number): (point: GridPoint) => RunRecord {
  return (point) => ({
    point,
    summary: {
      test_accuracy: testAccuracy(point),
      spikes_per_neuron: [1, 1],
      layers: [{ silent_fraction: 0.5 }, { silent_fraction: 0 }],
      seconds: 1,
      environment: { device: "cpu" },
    } as unknown as TrainSummary,
  });
}

Deno.test("best tau by the median: one failed seed does not make another tau look best", () => {
  // Made-up figures: flat across tau at the seeds that train, one seed failing at the longest tau. The mean
  // puts the best at tau 10, inside the grid; the median at 40, a trend rather than an optimum.
  const spec = gridSpec(tiny("unused", { taus: [5, 10, 40], max_spikes: [8], seeds: [0, 1, 2] }));
  const acc: Record<string, number> = {
    "5,0": 0.857,
    "5,1": 0.857,
    "5,2": 0.853,
    "10,0": 0.864,
    "10,1": 0.858,
    "10,2": 0.856,
    "40,0": 0.781,
    "40,1": 0.866,
    "40,2": 0.862,
  };
  const record = recordOf((p) => acc[`${p.tau},${p.seed}`]);
  const all = gridPoints(spec);
  const [best] = sweepJson(spec, all, all.map(record)).best_tau;
  assert.deepEqual([best.tau, best.interior], [10, true]);
  assert.deepEqual(best.by_median, { tau: 40, test_accuracy: 0.862, interior: false });
});

Deno.test("best tau per spike cap: an optimum inside the grid, a trend at its edge, nothing from one tau", () => {
  const spec = gridSpec(tiny("unused", { taus: [2, 5, 10], max_spikes: [1, 8], seeds: [0] }));
  // Test accuracy per (tau, cap): multi-spike peaks at 5, single-spike rises to the largest tau.
  const acc: Record<string, number> = {
    "2,8": 0.90,
    "5,8": 0.95,
    "10,8": 0.93,
    "2,1": 0.90,
    "5,1": 0.91,
    "10,1": 0.92,
  };
  const record = recordOf((p) => acc[`${p.tau},${p.max_spikes}`]);
  const all = gridPoints(spec);
  const full = sweepJson(spec, all, all.map(record));
  const bests = full.best_tau.map((b) => [b.max_spikes, b.tau, b.interior]);
  assert.deepEqual(bests, [[1, 10, false], [8, 5, true]]);
  // One seed per point: the median is the mean and picks the same tau.
  for (const b of full.best_tau) {
    assert.deepEqual([b.by_median.tau, b.by_median.interior], [b.tau, b.interior]);
  }
  // Only tau 5 finished for the multi-spike cap: one point is neither an optimum nor a trend.
  const partial = all.filter((p) => p.max_spikes === 1 || p.tau === 5);
  assert.deepEqual(sweepJson(spec, all, partial.map(record)).best_tau.map((b) => b.max_spikes), [1]);
  const one = gridSpec(tiny("unused", { taus: [10] }));
  assert.deepEqual(sweepJson(one, gridPoints(one), gridPoints(one).map(record)).best_tau, []);
});

Deno.test("learning rates as a grid axis: keys, per-point configs, and the old keys without the axis", () => {
  const points = gridPoints(
    gridSpec(tiny("x", { taus: [2], max_spikes: [8], lrs: [0.001, 0.003], seeds: [0, 1] })),
  );
  assert.deepEqual(points.map((p) => p.key), [
    "tau-2_k-8_lr-0.001_seed-0",
    "tau-2_k-8_lr-0.001_seed-1",
    "tau-2_k-8_lr-0.003_seed-0",
    "tau-2_k-8_lr-0.003_seed-1",
  ]);
  assert.deepEqual(points.map((p) => [p.lr, p.config.lr]), [[0.001, 0.001], [0.001, 0.001], [0.003, 0.003], [
    0.003,
    0.003,
  ]]);
  // No axis: every run has the base's rate and the keys of sweeps made before the axis existed.
  const plain = gridPoints(gridSpec(tiny("x", { taus: [2], max_spikes: [8] })));
  assert.deepEqual(plain.map((p) => [p.key, p.lr, p.config.lr]), [["tau-2_k-8_seed-0", BASE.lr, BASE.lr]]);
  assert.equal("lrs" in gridSpec(tiny("x")), false);
});

Deno.test("best tau with the learning rate tuned per tau: chosen on validation, not on test", () => {
  const spec = gridSpec(
    tiny("unused", { taus: [5, 10, 40], max_spikes: [8], lrs: [0.001, 0.003], seeds: [0] }),
  );
  // Made-up figures: at lr 0.003 tau 40 fails and the best is tau 10, inside the grid; at 0.001 tau 40 trains
  // and is best. At tau 10 the larger rate validates better but tests worse: the choice follows validation.
  const fig: Record<string, [val: number, test: number]> = {
    "5,0.001": [0.850, 0.851],
    "5,0.003": [0.855, 0.856],
    "10,0.001": [0.858, 0.866],
    "10,0.003": [0.860, 0.859],
    "40,0.001": [0.864, 0.863],
    "40,0.003": [0.780, 0.781],
  };
  const all = gridPoints(spec);
  const runs = all.map((point) => {
    const [val, test] = fig[`${point.tau},${point.lr}`];
    const r = recordOf(() => test)(point);
    return { point, summary: { ...r.summary, best_val_accuracy: val } };
  });
  const json = sweepJson(spec, all, runs);
  assert.deepEqual(json.points.map((p) => [p.tau, p.lr, p.best_val_accuracy.mean]), [
    [5, 0.001, 0.850],
    [5, 0.003, 0.855],
    [10, 0.001, 0.858],
    [10, 0.003, 0.860],
    [40, 0.001, 0.864],
    [40, 0.003, 0.780],
  ]);
  assert.deepEqual(json.best_tau.map((b) => [b.lr, b.tau, b.interior]), [[0.001, 10, true], [
    0.003,
    10,
    true,
  ]]);
  const [tuned] = json.best_tau_tuned_lr!;
  assert.deepEqual(tuned.per_tau.map((p) => [p.tau, p.lr]), [[5, 0.003], [10, 0.003], [40, 0.001]]);
  // Picking on test would have taken lr 0.001 at tau 10 (0.866) and called tau 10 an optimum.
  assert.deepEqual([tuned.tau, tuned.test_accuracy, tuned.interior], [40, 0.863, false]);
  assert.equal(tuned.by_median.tau, 40);
  // One rate swept, or none: nothing to tune.
  const one = gridSpec(tiny("unused", { taus: [5, 10], lrs: [0.001] }));
  const oneAll = gridPoints(one);
  assert.equal(sweepJson(one, oneAll, oneAll.map(recordOf(() => 0.5))).best_tau_tuned_lr, undefined);
});

Deno.test("averaged weights (--average-last): their own reading per point, best tau, csv columns, text", () => {
  const spec = gridSpec(tiny("unused", { taus: [2, 5, 10], max_spikes: [1, 8], seeds: [0, 1] }));
  // Made-up figures: the kept models of the multi-spike cap peak at tau 5 (one seed's bad epoch at tau 10),
  // their mean weights rise to tau 10. The single-spike cap lacks the averaged reading at tau 10.
  const kept: Record<string, number> = {
    "2,8": 0.90,
    "5,8": 0.93,
    "10,8": 0.92,
    "2,1": 0.9,
    "5,1": 0.9,
    "10,1": 0.9,
  };
  const mean: Record<string, [number, number]> = {
    "2,8": [0.910, 0.912],
    "5,8": [0.930, 0.932],
    "10,8": [0.940, 0.936],
    "2,1": [0.900, 0.900],
    "5,1": [0.910, 0.910],
  };
  const all = gridPoints(spec);
  const runs: RunRecord[] = all.map((point) => {
    const r = recordOf((p) => kept[`${p.tau},${p.max_spikes}`])(point);
    const m = mean[`${point.tau},${point.max_spikes}`];
    const averaged = m ? { epochs: [16, 20], test_accuracy: m[point.seed] } : undefined;
    return { point, summary: { ...r.summary, ...(averaged ? { averaged } : {}) } as TrainSummary };
  });
  const json = sweepJson(spec, all, runs);
  const multi = json.points.filter((p) => p.max_spikes === 8);
  assert.deepEqual(multi.map((p) => p.averaged_test_accuracy!.mean.toFixed(3)), ["0.911", "0.931", "0.938"]);
  assert.ok(Math.abs(multi[2].averaged_test_accuracy!.std - Math.SQRT2 * 0.002) < 1e-12);
  // A point whose runs lack the reading has none, and its cap gets no averaged best tau.
  const single = json.points.filter((p) => p.max_spikes === 1);
  assert.deepEqual(single.map((p) => p.averaged_test_accuracy !== undefined), [true, true, false]);
  const best = Object.fromEntries(json.best_tau.map((b) => [b.max_spikes, b]));
  assert.deepEqual([best[8].tau, best[8].interior], [5, true]);
  assert.deepEqual(best[8].averaged, { tau: 10, test_accuracy: 0.938, interior: false });
  assert.equal(best[1].averaged, undefined);

  const csv = parseCsv(sweepCsv(runs));
  assert.deepEqual(
    csv.filter((r) => r.max_spikes === "8" && r.tau === "10").map((
      r,
    ) => [r.averaged_epochs, r.averaged_test_accuracy]),
    [["16-20", "0.94"], ["16-20", "0.936"]],
  );
  assert.deepEqual(
    csv.filter((r) => r.max_spikes === "1" && r.tau === "10").map((r) => r.averaged_test_accuracy),
    [
      "",
      "",
    ],
  );
  // Without the option the table keeps its columns.
  assert.equal("averaged_test_accuracy" in parseCsv(sweepCsv(all.map(recordOf(() => 0.5))))[0], false);

  const text = formatSweep(
    { ...json, grid: { ...json.grid, base: { ...BASE, average_last_epochs: 5 } } },
    "d",
  );
  assert.match(
    text,
    /tau 10 \(tau_m 10, tau_s 10\) max_spikes 8: .*; mean weights of the last 5 epochs 0\.9380 \+- 0\.0028/,
  );
  assert.match(
    text,
    /max_spikes 8: best tau 5 .*; by the mean weights tau 10 \(0\.9380\), at the edge of the grid/,
  );
});

Deno.test("presets: the tau sweep compares multi-spike with single-spike over several seeds", () => {
  for (const name of ["yinyang-tau", "mnist-tau"]) {
    const p = SWEEP_PRESETS[name];
    assert.ok(p, name);
    assert.ok(p.max_spikes.includes(1) && p.max_spikes.some((k) => k > 1));
    assert.ok(p.seeds.length >= 3 && p.taus.length >= 4);
    assert.equal(p.base.dataset, p.dataset);
  }
});

Deno.test("presets: mnist-tau keeps the schedule and readout of its published grid when the defaults move", () => {
  const base = SWEEP_PRESETS["mnist-tau"].base;
  assert.deepEqual([base.epochs, base.batch_size, base.loss.tau0, base.augment_shift], [5, 64, 0.5, 1]);
});

Deno.test("a tiny sweep: shards, resumption, merge", async () => {
  const root = await Deno.makeTempDir({ prefix: "multispike_sweep_test_" });
  const [a, b, merged] = [`${root}/a`, `${root}/b`, `${root}/merged`];
  const ra = await runSweep(tiny(a, { shard: { index: 0, count: 2 } }), quiet, NO_PLOTS);
  assert.deepEqual([ra.ran, ra.skipped], [2, 0]);
  assert.equal(ra.sweep.runs_finished, 2);
  assert.equal(ra.sweep.runs_total, 4);
  // Shard 0 of 2 holds grid points 0 and 2: tau 2 and tau 5 with max_spikes 1.
  assert.deepEqual(ra.sweep.points.map((p) => [p.tau, p.max_spikes]), [[2, 1], [5, 1]]);

  // Run again: finished points are skipped, nothing is retrained.
  const mtime = (await Deno.stat(`${a}/points/tau-2_k-1_seed-0/summary.json`)).mtime;
  const again = await runSweep(tiny(a, { shard: { index: 0, count: 2 } }), quiet, NO_PLOTS);
  assert.deepEqual([again.ran, again.skipped], [0, 2]);
  assert.deepEqual((await Deno.stat(`${a}/points/tau-2_k-1_seed-0/summary.json`)).mtime, mtime);

  const rb = await runSweep(tiny(b, { shard: { index: 1, count: 2 } }), quiet, NO_PLOTS);
  assert.equal(rb.ran, 2);
  const m = await mergeSweeps([a, b], merged);
  assert.equal(m.runs_finished, 4);
  assert.deepEqual(m.points.map((p) => [p.tau, p.max_spikes]), [[2, 1], [2, 4], [5, 1], [5, 4]]);
  for (const p of m.points) {
    assert.equal(p.runs, 1);
    assert.ok(p.test_accuracy.mean >= 0 && p.test_accuracy.mean <= 1);
    assert.equal(p.test_accuracy.std, 0);
    assert.ok(p.spikes_per_neuron[0].mean >= 0 && p.spikes_per_neuron[0].mean <= p.max_spikes);
  }
  // Single-spike networks spike at most once per neuron.
  for (const p of m.points.filter((p) => p.max_spikes === 1)) assert.ok(p.spikes_per_neuron[0].mean <= 1);
  assert.equal(m.best_tau.length, 2);

  const csv = (await Deno.readTextFile(`${merged}/sweep.csv`)).trim().split("\n");
  assert.equal(csv.length, 5);
  assert.match(csv[0], /^key,dataset,tau,tau_m,tau_s,max_spikes,lr,seed,test_accuracy/);
  const json: SweepJson = JSON.parse(await Deno.readTextFile(`${merged}/sweep.json`));
  assert.deepEqual(json.grid.taus, [2, 5]);
  assert.equal(json.runs_finished, 4);
  assert.match(await Deno.readTextFile(`${merged}/sweep.svg`), /<svg/);
  assert.ok((await Deno.stat(`${merged}/sweep.png`)).size > 0);
  for (const key of ["tau-2_k-1_seed-0", "tau-5_k-4_seed-0"]) {
    assert.ok((await Deno.stat(`${merged}/points/${key}/summary.json`)).isFile);
  }
  // The merged sweep is complete: running the whole grid there trains nothing.
  const full = await runSweep(tiny(merged), quiet, NO_PLOTS);
  assert.deepEqual([full.ran, full.skipped], [0, 4]);

  // Another grid in the same directory, or shards of different grids, are refused.
  await assert.rejects(
    runSweep(tiny(a, { taus: [3] }), quiet, NO_PLOTS),
    (e) => e instanceof TrainingError && /taus/.test(e.message),
  );
  await runSweep(tiny(`${root}/c`, { seeds: [1], taus: [2], max_spikes: [1] }), quiet, NO_PLOTS);
  await assert.rejects(
    mergeSweeps([a, `${root}/c`], `${root}/d`, NO_PLOTS),
    (e) => e instanceof TrainingError,
  );

  // Seeds added later: the same grid over seed 1 merges into the finished sweep, whose seeds grow.
  const e = `${root}/e`;
  await runSweep(tiny(e, { seeds: [1] }), quiet, NO_PLOTS);
  const grown = await mergeSweeps([merged, e], merged, NO_PLOTS);
  assert.deepEqual(grown.grid.seeds, [0, 1]);
  assert.equal(grown.runs_finished, 8);
  for (const p of grown.points) assert.equal(p.runs, 2);
  const again2 = await runSweep(tiny(merged, { seeds: [0, 1] }), quiet, NO_PLOTS);
  assert.deepEqual([again2.ran, again2.skipped], [0, 8]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("an interrupted sweep keeps finished points and continues the cut one from its checkpoint", async () => {
  const out = await Deno.makeTempDir({ prefix: "multispike_sweep_test_" });
  const cfg = tiny(out, { taus: [2], base: { ...BASE, epochs: 2 } });
  const ctl = new AbortController();
  let starts = 0;
  // Abort in epoch 2 of the second point: one finished point, one with a checkpoint after epoch 1.
  const cutter: Reporter = {
    ...quiet,
    start(label: string) {
      if (label.startsWith("epoch 2/") && ++starts === 2) ctl.abort();
    },
  };
  await assert.rejects(
    runSweep(cfg, cutter, { signal: ctl.signal, plots: false }),
    (e) => e instanceof TrainingInterrupted && e.exitCode === 130,
  );
  const partial: SweepJson = JSON.parse(await Deno.readTextFile(`${out}/sweep.json`));
  assert.equal(partial.runs_total, 2);
  const lines: string[] = [];
  const again = await runSweep(cfg, { ...quiet, log: (l: string) => lines.push(l) }, NO_PLOTS);
  assert.deepEqual([again.ran, again.skipped], [1, 1]);
  assert.ok(lines.some((l) => l.startsWith("resuming") && l.includes("tau-2_k-4_seed-0")), lines.join("\n"));
  assert.equal(again.sweep.runs_finished, 2);
  await Deno.remove(out, { recursive: true });
});
