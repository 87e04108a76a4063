/**
 * `multispike compare`: two fake run directories (summary.json and metrics.csv as `train --out` writes
 * them) compared through the command line, the default labels, and the errors for bad directories and flags.
 */
import assert from "node:assert/strict";
import { compareRows, defaultLabels, formatCompareTable } from "../src/cli/compare_command.ts";
import { readRunDir } from "../src/cli/run_records.ts";
import { UsageError } from "../src/cli/errors.ts";
import { parseCsv, toCsv } from "../src/report/csv.ts";
import { compareSvg } from "../src/report/compare_plot.ts";
import { assertUserError, CAN_RUN, cli, exists } from "./cli_helpers.ts";

/** What a fake run differs in; the rest is a Yin-Yang 5-8-3 run of 3 epochs. */
interface FakeRun {
  maxSpikes: number;
  lr?: number;
  tau0?: number;
  hidden?: number[];
  /** Test accuracy per epoch; the best validation is at epoch 2. */
  testAcc: number[];
  /** Spikes per neuron per epoch, (layers, epochs). */
  spikes: number[][];
}

function summaryOf(r: FakeRun) {
  const layers = r.spikes.length;
  return {
    format: "multispike-train-summary",
    version: 1,
    config: {
      dataset: "yinyang",
      hidden: r.hidden ?? [8],
      neuron: { tau_m: 5, tau_s: 5, theta: 1, t_max: 30, max_spikes: r.maxSpikes },
      t_in: 5,
      loss: { kind: "first-spike", tau0: r.tau0 ?? 0.1, vmax_weight: 1, hidden_vmax_weight: 0.001 },
      epochs: 3,
      batch_size: 32,
      lr: r.lr ?? 0.001,
      lr_decay: 0.95,
      seed: 0,
      device: "cpu",
      limit_train: 200,
      limit_test: 0,
      workers: 1,
    },
    sizes: [5, ...(r.hidden ?? [8]), 3],
    dataset: { name: "yinyang", source: "generated", train: 200, validation: 100, test: 100 },
    epochs_completed: 3,
    completed: true,
    best_epoch: 2,
    best_val_accuracy: 0.7,
    test_accuracy: r.testAcc[1],
    test_loss: 0.5,
    last_test_accuracy: r.testAcc[2],
    spikes_per_neuron: Array.from({ length: layers }, (_, l) => r.spikes[l][1]),
    layers: [],
  };
}

function metricsOf(r: FakeRun): string {
  return toCsv(r.testAcc.map((acc, e) => {
    const row: Record<string, number> = {
      epoch: e + 1,
      lr: 0.001,
      train_loss: 1 - e / 10,
      train_acc: 0.5 + e / 10,
      val_loss: 0.9 - e / 10,
      val_acc: [0.6, 0.7, 0.65][e],
      test_loss: 0.8,
      test_acc: acc,
    };
    r.spikes.forEach((s, l) => row[`spikes_per_neuron_l${l + 1}`] = s[e]);
    r.spikes.forEach((_, l) => row[`silent_fraction_l${l + 1}`] = 0.1);
    return row;
  }));
}

async function writeRun(dir: string, r: FakeRun): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/summary.json`, JSON.stringify(summaryOf(r), null, 2));
  await Deno.writeTextFile(`${dir}/metrics.csv`, metricsOf(r));
  return dir;
}

const MULTI: FakeRun = {
  maxSpikes: 8,
  testAcc: [0.61, 0.72, 0.74],
  spikes: [[2.5, 2.25, 2], [1.5, 1.25, 1]],
};
const SINGLE: FakeRun = { maxSpikes: 1, testAcc: [0.51, 0.62, 0.6], spikes: [[0.75, 0.5, 0.25], [1, 1, 1]] };

async function withRuns(fn: (tmp: string, multi: string, single: string) => Promise<void>) {
  const tmp = await Deno.makeTempDir({ prefix: "multispike_compare_" });
  try {
    await fn(tmp, await writeRun(`${tmp}/k8`, MULTI), await writeRun(`${tmp}/k1`, SINGLE));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

Deno.test("compare writes compare.csv, .svg and .png and prints the table", {
  ignore: !CAN_RUN,
}, async () => {
  await withRuns(async (tmp, multi, single) => {
    const r = await cli("compare", multi, single, "--out", `${tmp}/out/`);
    assert.equal(r.code, 0, r.stderr);

    const rows = parseCsv(await Deno.readTextFile(`${tmp}/out/compare.csv`));
    assert.deepEqual(rows, [
      {
        label: "max_spikes 8",
        dir: multi,
        dataset: "yinyang",
        max_spikes: "8",
        epochs_completed: "3",
        best_epoch: "2",
        best_val_acc: "0.7",
        test_acc_at_best_val: "0.72",
        last_test_acc: "0.74",
        spikes_per_neuron_l1: "2.25",
        spikes_per_neuron_l2: "1.25",
      },
      {
        label: "max_spikes 1",
        dir: single,
        dataset: "yinyang",
        max_spikes: "1",
        epochs_completed: "3",
        best_epoch: "2",
        best_val_acc: "0.7",
        test_acc_at_best_val: "0.62",
        last_test_acc: "0.6",
        spikes_per_neuron_l1: "0.5",
        spikes_per_neuron_l2: "1",
      },
    ]);

    // The data behind the curves: each run's metrics.csv, every column as written, after its label.
    const epochs = parseCsv(await Deno.readTextFile(`${tmp}/out/compare_epochs.csv`));
    const expected = [["max_spikes 8", multi, MULTI], ["max_spikes 1", single, SINGLE]] as const;
    assert.deepEqual(epochs.map((e) => [e.label, e.epoch, e.test_acc]).slice(0, 4), [
      ["max_spikes 8", "1", "0.61"],
      ["max_spikes 8", "2", "0.72"],
      ["max_spikes 8", "3", "0.74"],
      ["max_spikes 1", "1", "0.51"],
    ]);
    assert.deepEqual(
      epochs,
      expected.flatMap(([label, dir, run]) => parseCsv(metricsOf(run)).map((m) => ({ label, dir, ...m }))),
    );

    const svg = await Deno.readTextFile(`${tmp}/out/compare.svg`);
    assert.match(svg, /^<svg /);
    for (const text of ["max_spikes 8", "max_spikes 1", "Test accuracy", "Validation accuracy"]) {
      assert.ok(svg.includes(text), `compare.svg shows "${text}"`);
    }

    // The same table on stdout: a header, one line per run with its figures, then the files.
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 4, r.stdout);
    assert.match(
      lines[0],
      /^label\s+dir\s+dataset\s+max_spikes\s+epochs_completed\s+best_epoch\s+best_val_acc/,
    );
    assert.match(
      lines[1],
      /^max_spikes 8\s+\S+k8\s+yinyang\s+8\s+3\s+2\s+0\.7000\s+0\.7200\s+0\.7400\s+2\.250\s+1\.250$/,
    );
    assert.match(
      lines[2],
      /^max_spikes 1\s+\S+k1\s+yinyang\s+1\s+3\s+2\s+0\.7000\s+0\.6200\s+0\.6000\s+0\.500\s+1$/,
    );
    assert.match(lines[3], /^files: .*compare\.csv, .*compare_epochs\.csv, .*compare\.svg/);

    // The PNG is written where the fonts are installed; elsewhere one line says why it is skipped.
    if (await exists(`${tmp}/out/compare.png`)) {
      assert.match(lines[3], /compare\.png$/);
      assert.equal(r.stderr, "");
    } else assert.match(r.stderr.trim(), /^\S*compare\.png skipped \(the SVG is written\): /);
  });
});

Deno.test("compare --labels names the lines; --out without a slash is a file prefix", {
  ignore: !CAN_RUN,
}, async () => {
  await withRuns(async (tmp, multi, single) => {
    const r = await cli("compare", multi, single, "--out", `${tmp}/cmp`, "--labels", "multi,single");
    assert.equal(r.code, 0, r.stderr);
    const rows = parseCsv(await Deno.readTextFile(`${tmp}/cmp.csv`));
    assert.deepEqual(rows.map((x) => x.label), ["multi", "single"]);
    const epochs = parseCsv(await Deno.readTextFile(`${tmp}/cmp_epochs.csv`));
    assert.deepEqual(epochs.map((x) => x.label), ["multi", "multi", "multi", "single", "single", "single"]);
    const svg = await Deno.readTextFile(`${tmp}/cmp.svg`);
    assert.ok(svg.includes(">multi<") && svg.includes(">single<"), "cmp.svg shows both labels");
  });
});

/** A steps.csv of 2 rows per epoch (4 steps each) for the fake run's 3 epochs: loss falls, spikes as given. */
function stepsOf(r: FakeRun): string {
  const rows = [];
  for (let e = 0; e < 3; e++) {
    for (const [first, last] of [[1, 2], [3, 4]]) {
      const row: Record<string, number> = {
        epoch: e + 1,
        first_step: first,
        last_step: last,
        samples: 64,
        lr: 0.001,
        train_loss: 1 - e / 10 - last / 100,
        train_acc: 0.5 + e / 10,
      };
      r.spikes.forEach((s, l) => row[`spikes_per_neuron_l${l + 1}`] = s[e]);
      rows.push(row);
    }
  }
  return toCsv(rows);
}

Deno.test("compare draws the steps.csv curves of the runs that have one, and says which lack it", {
  ignore: !CAN_RUN,
}, async () => {
  await withRuns(async (tmp, multi, single) => {
    await Deno.writeTextFile(`${multi}/steps.csv`, stepsOf(MULTI));
    const r = await cli("compare", multi, single, "--out", `${tmp}/cmp`, "--labels", "multi,single");
    assert.equal(r.code, 0, r.stderr);
    // Only the run with a steps.csv is in the steps files, row for row, after its label.
    const steps = parseCsv(await Deno.readTextFile(`${tmp}/cmp_steps.csv`));
    assert.equal(steps.length, 6);
    assert.ok(steps.every((x) => x.label === "multi" && x.dir === multi));
    assert.deepEqual(steps.map((x) => x.last_step), ["2", "4", "2", "4", "2", "4"]);
    const svg = await Deno.readTextFile(`${tmp}/cmp_steps.svg`);
    for (const text of ["Training loss, per steps.csv row", "epochs done", ">multi<"]) {
      assert.ok(svg.includes(text), `cmp_steps.svg shows "${text}"`);
    }
    assert.ok(!svg.includes(">single<"), "the run without steps.csv is not drawn");
    assert.match(r.stderr, /k1 has no steps\.csv; it is left out of \S+cmp_steps\.svg/);
    assert.match(r.stdout, /files: .*cmp_steps\.csv, \S+cmp_steps\.svg/);
    // A run keeps its colour when a run before it, without steps.csv, is left out of the steps figure:
    // second of two, it is drawn in the palette's second colour in both figures.
    const swapped = await cli("compare", single, multi, "--out", `${tmp}/swap`, "--labels", "single,multi");
    assert.equal(swapped.code, 0, swapped.stderr);
    const second = 'stroke="#f58518"', first = 'stroke="#4c78a8"';
    const swappedSteps = await Deno.readTextFile(`${tmp}/swap_steps.svg`);
    assert.ok(
      swappedSteps.includes(second) && !swappedSteps.includes(first),
      "multi keeps its colour in steps",
    );
    assert.ok((await Deno.readTextFile(`${tmp}/swap.svg`)).includes(second), "multi's colour in the epochs");
    // Without any steps.csv there are no steps files.
    const plain = await cli("compare", single, "--out", `${tmp}/plain`);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(await exists(`${tmp}/plain_steps.csv`), false);
    assert.doesNotMatch(plain.stdout, /steps/);
  });
});

Deno.test(
  "compare reads runs back from a compare_epochs.csv: the same table and figure, one run by its label",
  {
    ignore: !CAN_RUN,
  },
  async () => {
    await withRuns(async (tmp, multi, single) => {
      const first = await cli("compare", multi, single, "--out", `${tmp}/a`, "--labels", "multi,single");
      assert.equal(first.code, 0, first.stderr);
      const again = await cli("compare", `${tmp}/a_epochs.csv`, "--out", `${tmp}/b`);
      assert.equal(again.code, 0, again.stderr);
      // The figures come back from the epochs by the trainer's rule; dataset and max_spikes, which the file
      // does not hold, from the a.csv beside it.
      const before = parseCsv(await Deno.readTextFile(`${tmp}/a.csv`));
      const after = parseCsv(await Deno.readTextFile(`${tmp}/b.csv`));
      assert.deepEqual(after, before);
      assert.deepEqual(after.map((r) => [r.dataset, r.max_spikes]), [["yinyang", "8"], ["yinyang", "1"]]);
      // Alone, without a table beside it, the epochs file leaves them empty.
      await Deno.mkdir(`${tmp}/alone`);
      await Deno.copyFile(`${tmp}/a_epochs.csv`, `${tmp}/alone/a_epochs.csv`);
      const alone = await cli("compare", `${tmp}/alone/a_epochs.csv`, "--out", `${tmp}/e`);
      assert.equal(alone.code, 0, alone.stderr);
      const unknown = new Set(["dataset", "max_spikes"]);
      const strip = (rows: Record<string, string>[]) =>
        rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !unknown.has(k))));
      const aloneRows = parseCsv(await Deno.readTextFile(`${tmp}/e.csv`));
      assert.deepEqual(strip(aloneRows), strip(before));
      assert.deepEqual(aloneRows.map((r) => [r.dataset, r.max_spikes]), [["", ""], ["", ""]]);
      assert.equal(
        await Deno.readTextFile(`${tmp}/b_epochs.csv`),
        await Deno.readTextFile(`${tmp}/a_epochs.csv`),
      );
      assert.equal(await Deno.readTextFile(`${tmp}/b.svg`), await Deno.readTextFile(`${tmp}/a.svg`));

      // FILE#LABEL takes one run, beside a run directory (labelled as usual).
      const one = await cli("compare", `${tmp}/a_epochs.csv#single`, multi, "--out", `${tmp}/c`);
      assert.equal(one.code, 0, one.stderr);
      const rows = parseCsv(await Deno.readTextFile(`${tmp}/c.csv`));
      assert.deepEqual(rows.map((r) => [r.label, r.dir]), [["single", single], ["k8", multi]]);
      assertUserError(
        await cli("compare", `${tmp}/a_epochs.csv#double`, "--out", `${tmp}/d`),
        /a_epochs\.csv has no run labelled 'double'; it has: multi, single/,
      );
      assertUserError(
        await cli("compare", `${multi}/summary.json`, "--out", `${tmp}/d`),
        /summary\.json: not a compare_epochs\.csv/,
      );
      const bad = (await Deno.readTextFile(`${tmp}/a_epochs.csv`)).replace(/,0\.62,/, ",0.6x,");
      await Deno.writeTextFile(`${tmp}/bad_epochs.csv`, bad);
      assertUserError(
        await cli("compare", `${tmp}/bad_epochs.csv`, "--out", `${tmp}/d`),
        /bad_epochs\.csv \(run 'single'\): line 6: test_acc is '0\.6x', not a number/,
      );
    });
  },
);

Deno.test("default labels: the config fields that differ, else the directory names", async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "multispike_compare_" });
  try {
    const read = async (path: string, r: FakeRun) => await readRunDir(await writeRun(`${tmp}/${path}`, r));
    const multi = await read("k8", MULTI);
    const single = await read("k1", SINGLE);
    await t.step("one field", () => {
      assert.deepEqual(defaultLabels([multi, single]), ["max_spikes 8", "max_spikes 1"]);
    });
    await t.step("two fields", async () => {
      const other = await read("lr", { ...SINGLE, lr: 0.01 });
      assert.deepEqual(defaultLabels([multi, other]), ["max_spikes 8, lr 0.001", "max_spikes 1, lr 0.01"]);
    });
    await t.step("three fields: directory names", async () => {
      const other = await read("many", { ...SINGLE, lr: 0.01, tau0: 0.5 });
      assert.deepEqual(defaultLabels([multi, other]), ["k8", "many"]);
    });
    await t.step("hidden sizes and a second hidden layer", async () => {
      const deep = await read("deep", { ...MULTI, hidden: [8, 4], spikes: [...MULTI.spikes, [1, 1, 1]] });
      assert.equal(deep.layers, 3);
      assert.deepEqual(defaultLabels([multi, deep]), ["hidden 8", "hidden 8,4"]);
    });
    await t.step("same configuration: directory names; repeated names: the paths", async () => {
      const twin = await read("twin/k8", MULTI);
      assert.deepEqual(defaultLabels([multi, await read("again", MULTI)]), ["k8", "again"]);
      assert.deepEqual(defaultLabels([multi, twin]), [`${tmp}/k8`, `${tmp}/twin/k8`]);
      assert.deepEqual(defaultLabels([multi, multi]), [`${tmp}/k8`, `${tmp}/k8 (2)`]);
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a run without a validation split reads with NaN validation accuracy and prints it as -", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "multispike_compare_" });
  try {
    const dir = `${tmp}/noval`;
    await Deno.mkdir(dir);
    // As the trainer writes them: NaN in metrics.csv, null (JSON's NaN) in summary.json.
    await Deno.writeTextFile(
      `${dir}/summary.json`,
      JSON.stringify({ ...summaryOf(MULTI), best_val_accuracy: null }),
    );
    const rows = parseCsv(metricsOf(MULTI)).map((r) => ({ ...r, val_loss: "NaN", val_acc: "NaN" }));
    await Deno.writeTextFile(`${dir}/metrics.csv`, toCsv(rows));
    const run = await readRunDir(dir);
    assert.ok(Number.isNaN(run.figures.best_val_acc));
    assert.equal(run.figures.test_acc_at_best_val, MULTI.testAcc[1]);
    const table = formatCompareTable(compareRows([run], ["no validation"]));
    assert.match(table.split("\n")[1], /^no validation\s+\S+\s+yinyang\s+8\s+3\s+2\s+-\s+0\.7200/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("the figure leaves out the validation panel only when no run has a validation split", async () => {
  const run = (label: string, valAcc: number[]) => ({
    label,
    x: [1, 2],
    hiddenSpikes: [[1.5, 2]],
    testAcc: [0.9, 0.95],
    valAcc,
  });
  const noValidation = await compareSvg([run("all images", [NaN, NaN])]);
  assert.ok(
    noValidation.includes("Test accuracy") && noValidation.includes("Hidden-layer spikes per neuron"),
  );
  assert.ok(!noValidation.includes("Validation accuracy"), "no empty validation panel");
  const mixed = await compareSvg([run("all images", [NaN, NaN]), run("55k images", [0.91, 0.96])]);
  assert.ok(mixed.includes("Validation accuracy"), "one run with a split keeps the panel");
});

Deno.test("a run with averaged weights adds its columns and a dashed segment; they survive a CSV read-back", {
  ignore: !CAN_RUN,
}, async () => {
  await withRuns(async (tmp, multi, single) => {
    // As train --average-last 2 writes it: the mean of epochs 2-3 measured after the last epoch.
    const summary = JSON.parse(await Deno.readTextFile(`${multi}/summary.json`));
    await Deno.writeTextFile(
      `${multi}/summary.json`,
      JSON.stringify({ ...summary, averaged: { epochs: [2, 3], val_accuracy: 0.7, test_accuracy: 0.77 } }),
    );
    const r = await cli("compare", multi, single, "--out", `${tmp}/a`, "--labels", "multi,single");
    assert.equal(r.code, 0, r.stderr);
    const rows = parseCsv(await Deno.readTextFile(`${tmp}/a.csv`));
    assert.deepEqual(rows.map((x) => [x.averaged_epochs, x.averaged_test_acc]), [["2-3", "0.77"], ["", ""]]);
    assert.match(r.stdout, /averaged_epochs\s+averaged_test_acc\n.*2-3\s+0\.7700\n.*-\s+-/);
    const svg = await Deno.readTextFile(`${tmp}/a.svg`);
    assert.match(svg, /mean weights of the epochs they span/);
    assert.match(svg, /stroke-dasharray="6,3"/);
    // Read back from the epochs file, the reading comes from the compare.csv beside it, and the figure is the same.
    const again = await cli("compare", `${tmp}/a_epochs.csv`, "--out", `${tmp}/b`);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(parseCsv(await Deno.readTextFile(`${tmp}/b.csv`)), rows);
    assert.equal(await Deno.readTextFile(`${tmp}/b.svg`), svg);
    // Runs without averaged weights keep the table and figure of before.
    const plain = await cli("compare", single, "--out", `${tmp}/c`);
    assert.ok(!plain.stdout.includes("averaged"));
    assert.ok(!(await Deno.readTextFile(`${tmp}/c.svg`)).includes("stroke-dasharray"));
    await Deno.writeTextFile(
      `${multi}/summary.json`,
      JSON.stringify({ ...summary, averaged: { epochs: [2], test_accuracy: 0.77 } }),
    );
    assertUserError(
      await cli("compare", multi, "--out", `${tmp}/d`),
      /summary\.json: averaged must hold epochs \[first, last\] and a test_accuracy number/,
    );
  });
});

Deno.test("malformed run directories are refused with a UsageError naming the file", async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "multispike_compare_" });
  try {
    const good = metricsOf(MULTI);
    const summary = JSON.stringify(summaryOf(MULTI));
    // The files each directory holds.
    const cases: [string, Record<string, string>, RegExp][] = [
      ["no summary.json", { "metrics.csv": good }, /has no summary\.json/],
      ["no metrics.csv", { "summary.json": summary }, /has no metrics\.csv/],
      [
        "summary.json not JSON",
        { "summary.json": "{", "metrics.csv": good },
        /summary\.json is not valid JSON/,
      ],
      [
        "another format",
        { "summary.json": "{}", "metrics.csv": good },
        /summary\.json: not a training summary/,
      ],
      [
        "header only",
        { "summary.json": summary, "metrics.csv": good.split("\n")[0] },
        /metrics\.csv: no epochs/,
      ],
      [
        "missing column",
        { "summary.json": summary, "metrics.csv": good.replace("test_acc", "test_accuracy") },
        /metrics\.csv: missing column test_acc$/,
      ],
      [
        "truncated line",
        { "summary.json": summary, "metrics.csv": good.trimEnd().slice(0, -40) },
        /metrics\.csv: line 4: val_acc is empty/,
      ],
      [
        "not a number",
        { "summary.json": summary, "metrics.csv": good.replace(",0.72,", ",abc,") },
        /metrics\.csv: line 3: test_acc is 'abc', not a number/,
      ],
      [
        "epochs out of order",
        { "summary.json": summary, "metrics.csv": good.replace("\n2,", "\n1,") },
        /metrics\.csv: line 3: epoch 1 does not follow epoch 1/,
      ],
    ];
    for (const [name, files, pattern] of cases) {
      await t.step(name, async () => {
        const dir = `${tmp}/${name.replaceAll(" ", "_")}`;
        await Deno.mkdir(dir);
        for (const [f, text] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${f}`, text);
        await assert.rejects(() => readRunDir(dir), (e: unknown) => {
          assert.ok(e instanceof UsageError, String(e));
          assert.match(e.message, pattern);
          assert.ok(e.message.includes(dir), `the message names ${dir}: ${e.message}`);
          return true;
        });
      });
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("compare errors: one line, exit 2, nothing written", { ignore: !CAN_RUN }, async (t) => {
  await withRuns(async (tmp, multi, single) => {
    const empty = `${tmp}/empty`;
    await Deno.mkdir(empty);
    const corrupt = await writeRun(`${tmp}/corrupt`, SINGLE);
    await Deno.writeTextFile(`${corrupt}/metrics.csv`, metricsOf(SINGLE).replace(",0.62,", ",0.6x,"));
    const badSteps = await writeRun(`${tmp}/badsteps`, SINGLE);
    await Deno.writeTextFile(`${badSteps}/steps.csv`, stepsOf(SINGLE).replace(/\n[^\n]*\n$/, "\n3,3,"));
    const noMetrics = await writeRun(`${tmp}/nometrics`, SINGLE);
    await Deno.remove(`${noMetrics}/metrics.csv`);
    const out = `${tmp}/out/`;
    const cases: [string[], RegExp][] = [
      [[multi, empty], /run directory \S+empty has no summary\.json/],
      [[multi, noMetrics], /run directory \S+nometrics has no metrics\.csv/],
      [[multi, corrupt], /corrupt\/metrics\.csv: line 3: test_acc is '0\.6x', not a number/],
      [[multi, badSteps], /badsteps\/steps\.csv: line 7: \w+ is empty \(a cut-off line\?\)/],
      [[multi, `${tmp}/missing`], /run directory \S+missing: No such file or directory/],
      [[multi, single, "--bogus"], /unknown option '--bogus'/],
      [[multi, single, "--labels", "a"], /--labels has 1 label for 2 runs/],
      [[multi, single, "--labels", "a,a"], /--labels must be distinct; 'a' appears twice/],
      [[multi, single, "--labels", "a,"], /--labels.*non-empty labels/],
    ];
    for (const [args, pattern] of cases) {
      await t.step(args.map((a) => a.replace(tmp, "TMP")).join(" "), async () => {
        assertUserError(await cli("compare", ...args, "--out", out), pattern);
        assert.equal(await exists(out), false, "no output directory is created");
      });
    }
    await t.step("a file prefix in a missing directory", async () => {
      assertUserError(
        await cli("compare", multi, "--out", `${tmp}/nowhere/cmp`),
        /--out \S+nowhere\/cmp: directory \S+nowhere does not exist/,
      );
    });
  });
});
