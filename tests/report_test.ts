/**
 * Reporting: CSV quoting and atomic writes, chart and raster SVGs, PNG output, progress reporter.
 */
import assert from "node:assert/strict";
import { parseCsv, toCsv, writeCsv, writeTextAtomic } from "../src/report/csv.ts";
import { lineChartSvg, multiPanelSvg, rasterSvg, svgToPng } from "../src/report/plots.ts";
import { writePngOrSkip } from "../src/report/png.ts";
import { createReporter } from "../src/report/progress.ts";
import { ReportError } from "../src/report/errors.ts";
import { textWidth } from "../src/report/text_width.ts";

/** Number of spike ticks drawn in a raster SVG (paths inside Vega's rect-mark groups). */
function tickCount(svg: string): number {
  let n = 0;
  for (const g of svg.matchAll(/<g class="mark-rect role-mark[^>]*>(.*?)<\/g>/g)) {
    n += (g[1].match(/<path /g) ?? []).length;
  }
  return n;
}

/** Width and height of the root element of an SVG document. */
function rootSize(svg: string): [number, number] {
  const root = svg.match(/<svg\b[^>]*>/)![0];
  return [Number(root.match(/ width="([0-9.]+)"/)![1]), Number(root.match(/ height="([0-9.]+)"/)![1])];
}

/** Files in `dir`. */
function listDir(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

const EPOCHS = [1, 2, 3, 4, 5];

Deno.test("csv", async (t) => {
  await t.step("quoting round trip: commas, quotes, newlines, CRLF, null, booleans", () => {
    const rows = [
      { name: "plain", note: 'say "hi", then leave', n: 1.5, ok: true },
      { name: "multi\nline", note: "a,b,c", n: -0, ok: false },
      { name: "crlf\r\nfield", note: null, n: 1e-300, ok: null },
      { name: "", note: '""', n: NaN, ok: true },
    ];
    const text = toCsv(rows);
    assert.equal(text.split("\n")[0], "name,note,n,ok");
    assert.ok(text.endsWith("\n"));
    assert.ok(text.includes('"say ""hi"", then leave"'), "quotes are doubled inside a quoted field");
    const back = parseCsv(text);
    assert.equal(back.length, rows.length);
    assert.deepEqual(back[0], { name: "plain", note: 'say "hi", then leave', n: "1.5", ok: "true" });
    assert.equal(back[1].name, "multi\nline");
    assert.equal(back[1].note, "a,b,c");
    assert.equal(back[2].name, "crlf\r\nfield");
    assert.equal(back[2].note, "", "null becomes an empty field");
    assert.equal(Number(back[2].n), 1e-300, "numbers keep full precision");
    assert.equal(back[3].note, '""');
    assert.equal(back[3].n, "NaN");
  });

  await t.step("column order: given, or first appearance; header only without rows", () => {
    assert.equal(toCsv([{ b: 1, a: 2 }, { c: 3, a: 4 }]), "b,a,c\n1,2,\n,4,3\n");
    assert.equal(toCsv([{ b: 1, a: 2 }], ["a", "b"]), "a,b\n2,1\n");
    assert.equal(toCsv([], ["epoch", "loss"]), "epoch,loss\n");
    assert.equal(toCsv([]), "");
    assert.deepEqual(parseCsv("epoch,loss\n"), []);
  });

  await t.step("atomic writes leave no temporary file, also when they fail", async () => {
    const dir = await Deno.makeTempDir({ prefix: "report_test_" });
    try {
      const path = `${dir}/metrics.csv`;
      await writeCsv(path, [{ epoch: 1, loss: 0.5 }, { epoch: 2, loss: 0.25 }]);
      assert.deepEqual(listDir(dir), ["metrics.csv"]);
      assert.deepEqual(parseCsv(await Deno.readTextFile(path)), [
        { epoch: "1", loss: "0.5" },
        { epoch: "2", loss: "0.25" },
      ]);
      await writeTextAtomic(path, "replaced\n");
      assert.equal(await Deno.readTextFile(path), "replaced\n");
      assert.deepEqual(listDir(dir), ["metrics.csv"]);
      // The target is a directory: the rename fails after the temporary file was written.
      await Deno.mkdir(`${dir}/sub`);
      await Deno.writeTextFile(`${dir}/sub/x`, "");
      await assert.rejects(writeTextAtomic(`${dir}/sub`, "data"));
      assert.deepEqual(listDir(dir), ["metrics.csv", "sub"]);
      await assert.rejects(writeTextAtomic(`${dir}/missing/metrics.csv`, "x"), Deno.errors.NotFound);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("plots", async (t) => {
  await t.step("line chart names its title, axes and series, and draws bands", async () => {
    const svg = await lineChartSvg({
      title: "Accuracy",
      xLabel: "epoch",
      yLabel: "test accuracy",
      series: [
        { name: "train", x: EPOCHS, y: [0.5, 0.6, 0.7, 0.8, 0.85] },
        {
          name: "validation",
          x: EPOCHS,
          y: [0.45, 0.55, NaN, 0.75, 0.8], // a missing point is left out, not drawn at 0
          yLow: [0.4, 0.5, 0.6, 0.7, 0.75],
          yHigh: [0.5, 0.6, 0.7, 0.8, 0.85],
        },
      ],
    });
    assert.ok(svg.startsWith("<svg"));
    for (const text of ["Accuracy", "epoch", "test accuracy", "train", "validation"]) {
      assert.ok(svg.includes(`>${text}</text>`), `text "${text}" is in the SVG`);
    }
    const count = (re: RegExp) => (svg.match(re) ?? []).length;
    assert.equal(count(/aria-roledescription="area mark"/g), 1, "one band: only validation has a spread");
    assert.equal(count(/aria-roledescription="line mark"/g), 2, "two lines");
    assert.equal(count(/aria-roledescription="point"/g), 9, "markers: the NaN point is left out");
    assert.ok(!svg.includes("NaN"), "no NaN coordinates");
    assert.equal(count(/role-legend-symbol/g), 2, "one legend entry per series");
  });

  await t.step("a series' colour slot picks its palette colour; without one, its place does", async () => {
    const line = (name: string, colorSlot?: number) => ({ name, x: EPOCHS, y: [1, 2, 3, 4, 5], colorSlot });
    const strokes = (svg: string) => [...new Set(svg.match(/stroke="#[0-9a-f]{6}"/g) ?? [])];
    const slotted = await lineChartSvg({ title: "t", xLabel: "x", yLabel: "y", series: [line("a", 3)] });
    const placed = await lineChartSvg({ title: "t", xLabel: "x", yLabel: "y", series: [line("a")] });
    assert.ok(strokes(slotted).includes('stroke="#72b7b2"'), "slot 3: the palette's fourth colour");
    assert.ok(!strokes(slotted).includes('stroke="#4c78a8"'), "not the first colour");
    assert.ok(
      strokes(placed).includes('stroke="#4c78a8"'),
      "no slot: the first series takes the first colour",
    );
  });

  await t.step(
    "a series with no finite point gets no legend entry, and the others keep their colours",
    async () => {
      const line = (name: string, y: number[]) => ({ name, x: EPOCHS, y });
      const strokes = (svg: string) => [...new Set(svg.match(/stroke="#[0-9a-f]{6}"/g) ?? [])];
      const ones = [1, 2, 3, 4, 5];
      const svg = await lineChartSvg({
        title: "t",
        xLabel: "x",
        yLabel: "y",
        // As a run without a validation split writes its curves: train, validation (all NaN), test.
        series: [line("train", ones), line("validation", EPOCHS.map(() => NaN)), line("test", ones)],
      });
      assert.equal((svg.match(/role-legend-symbol/g) ?? []).length, 2, "train and test only");
      assert.ok(!svg.includes(">validation</text>"), "no legend entry for the empty series");
      assert.ok(!strokes(svg).includes('stroke="#f58518"'), "the second colour stays unused");
      assert.ok(
        strokes(svg).includes('stroke="#e45756"'),
        "test keeps the third colour, as with validation drawn",
      );
    },
  );

  await t.step("a legend too long for one row wraps into columns within the chart's width", async () => {
    const series = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ name: `k8 lr0.001 seed ${i}`, x: [5, 10], y: [0.8, 0.85] }));
    const few = await lineChartSvg({ title: "t", xLabel: "x", yLabel: "y", series: series(2) });
    const many = await lineChartSvg({ title: "t", xLabel: "x", yLabel: "y", series: series(18) });
    const [wFew, hFew] = rootSize(few);
    const [wMany, hMany] = rootSize(many);
    // 18 entries of ~140 px in one row would be ~2,500 px wide; wrapped, the chart keeps its width (plot
    // 360 px, axes and title room) and grows in height instead.
    assert.ok(wMany <= 480, `18 entries: ${wMany} px wide, within the plot and its margins`);
    assert.ok(Math.abs(wMany - wFew) <= 60, `as wide as with 2 entries (${wFew} px)`);
    assert.ok(hMany > hFew + 40, `taller instead: ${hMany} against ${hFew} px`);
    assert.equal((many.match(/role-legend-symbol/g) ?? []).length, 18, "every entry is still drawn");
  });

  await t.step("series of one group share a colour and a legend entry, and stay separate lines", async () => {
    const seeds = [0, 1, 2].map((seed) => ({
      name: `multi seed ${seed}`,
      group: "multi",
      x: [5, 10],
      y: [0.8 + seed / 100, 0.85],
    }));
    const svg = await lineChartSvg({
      title: "per seed",
      xLabel: "tau",
      yLabel: "accuracy",
      series: [...seeds, { name: "single", x: [5, 10], y: [0.7, 0.75] }],
    });
    const count = (re: RegExp) => (svg.match(re) ?? []).length;
    assert.equal(count(/aria-roledescription="line mark"/g), 4, "one line per series");
    assert.equal(count(/role-legend-symbol/g), 2, "one legend entry per group");
    assert.ok(svg.includes(">multi</text>") && svg.includes(">single</text>"), "legend names the groups");
    // Each line mark's aria-label names its group; its stroke is the group's colour.
    const strokeOf = (group: string) =>
      new Set(
        [...svg.matchAll(/aria-label="[^"]*group: (\w+);[^"]*"[^>]*line mark[^>]*stroke="(#[0-9a-f]+)"/g)]
          .filter((m) => m[1] === group).map((m) => m[2]),
      );
    assert.equal(strokeOf("multi").size, 1, "the three seeds of one group: one colour");
    const [multi] = strokeOf("multi"), [single] = strokeOf("single");
    assert.ok(multi && single && multi !== single, `two groups, two colours: ${multi}, ${single}`);
  });

  await t.step("log x axis with few values labels exactly those values", async () => {
    const tau = [0.5, 1, 2, 5, 10, 20];
    const svg = await lineChartSvg({
      title: "sweep",
      xLabel: "tau_m (time units)",
      yLabel: "test accuracy",
      logX: true,
      series: [{ name: "max_spikes 3", x: [0, ...tau], y: [0.1, ...tau.map((x) => 0.8 + x / 100)] }],
    });
    for (const v of ["0.5", "1", "2", "5", "10", "20"]) assert.ok(svg.includes(`>${v}</text>`), `tick ${v}`);
    assert.ok(!svg.includes(">100</text>"), "no rounding out to the next decade");
  });

  await t.step("multi-panel: panels side by side, ids kept unique, options or SVG accepted", async () => {
    const a = await lineChartSvg({ title: "Loss", xLabel: "epoch", yLabel: "loss", series: [] });
    const b = {
      title: "Spikes",
      xLabel: "epoch",
      yLabel: "spikes per neuron",
      series: [{ name: "l1", x: EPOCHS, y: EPOCHS }],
    };
    const svg = await multiPanelSvg([a, b, a]);
    const [w, h] = rootSize(svg);
    const [wa, ha] = rootSize(a);
    const [wb, hb] = rootSize(await lineChartSvg(b));
    assert.equal(w, 2 * wa + wb + 2 * 16);
    assert.equal(h, Math.max(ha, hb));
    assert.equal((svg.match(/<svg\b/g) ?? []).length, 4, "an outer SVG holding three panels");
    const ids = [...svg.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, "no duplicate ids");
    for (const m of svg.matchAll(/url\(#([^)]+)\)/g)) {
      assert.ok(ids.includes(m[1]), `reference #${m[1]} resolves`);
    }
  });

  await t.step("raster draws every spike up to maxPoints, then an even subset", async () => {
    const layers = [
      { name: "input", spikes: Array.from({ length: 50 }, (_, i) => [i % 10, 10 + (i % 7)]) }, // 100 spikes
      {
        name: "hidden 1",
        spikes: Array.from({ length: 20 }, (_, i) => (i % 2 ? [] : [5 + i / 4, Infinity])),
      }, // 10
      { name: "output", spikes: [[25], [], [12, 28]] }, // 3
    ];
    const all = await rasterSvg({ title: "sample 0", tMax: 30, layers });
    assert.equal(tickCount(all), 113);
    assert.ok(all.includes("(113 spikes)"));
    for (const n of ["input (50)", "hidden 1 (20)", "output (3)", "time (model time units)"]) {
      assert.ok(all.includes(`>${n}</text>`), n);
    }
    const thin = await rasterSvg({ title: "sample 0", tMax: 30, layers, maxPoints: 40 });
    assert.equal(tickCount(thin), 40);
    assert.ok(thin.includes("(40 of 113 spikes shown, evenly thinned)"));
    assert.ok(thin.length < all.length);
    // Evenly spread: every layer keeps about its share (100/113, 10/113, 3/113 of 40).
    const perLayer = [...thin.matchAll(/<g class="mark-rect role-mark[^>]*>(.*?)<\/g>/g)]
      .map((g) => (g[1].match(/<path /g) ?? []).length);
    const shares = [100, 10, 3].map((n) => (n * 40) / 113);
    perLayer.forEach((k, l) => assert.ok(Math.abs(k - shares[l]) < 1, `layer ${l}: ${k} of ~${shares[l]}`));
    await assert.rejects(rasterSvg({ title: "x", tMax: 0, layers }), RangeError);
    await assert.rejects(rasterSvg({ title: "x", tMax: 30, layers, maxPoints: -1 }), RangeError);
  });

  await t.step("text widths follow DejaVu Sans metrics", () => {
    assert.equal(textWidth("", 12, false), 0);
    assert.ok(Math.abs(textWidth("epoch", 10, false) - 30.46) < 1e-9); // 615+635+612+550+634 units
    assert.ok(textWidth("epoch", 10, true) > textWidth("epoch", 10, false));
    assert.equal(textWidth("τ", 10, false), 6.02);
  });
});

Deno.test("svgToPng", async (t) => {
  await t.step("renders a chart to a PNG of twice its size", async () => {
    const svg = await multiPanelSvg([
      {
        title: "Accuracy",
        xLabel: "epoch",
        yLabel: "accuracy",
        series: [{ name: "train", x: EPOCHS, y: EPOCHS }],
      },
      { title: "Loss", xLabel: "epoch", yLabel: "loss", series: [{ name: "train", x: EPOCHS, y: EPOCHS }] },
    ]);
    const png = await svgToPng(svg);
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const ihdr = new DataView(png.buffer, png.byteOffset + 16, 8);
    const [w, h] = rootSize(svg);
    assert.equal(ihdr.getUint32(0), 2 * w);
    assert.equal(ihdr.getUint32(4), 2 * h);
    assert.ok(png.length > 10_000 && png.length < 2_000_000, `plausible size: ${png.length} bytes`);
    const small = await svgToPng(svg, { scale: 1 });
    assert.equal(new DataView(small.buffer, small.byteOffset + 16, 8).getUint32(0), w);
  });

  await t.step("missing fonts are a one-line user error", async () => {
    const empty = await Deno.makeTempDir({ prefix: "report_test_fonts_" });
    try {
      const err = await svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>', {
        fontDirs: [empty],
      }).then(() => undefined, (e) => e);
      assert.ok(err instanceof ReportError);
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /DejaVuSans\.ttf.*fonts-dejavu-core/);
      assert.ok(!err.message.includes("\n"));
    } finally {
      await Deno.remove(empty);
    }
  });

  await t.step("writePngOrSkip: missing fonts log one line and write no file; a PNG otherwise", async () => {
    const dir = await Deno.makeTempDir({ prefix: "report_test_png_" });
    try {
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>';
      const lines: string[] = [];
      const log = (line: string) => lines.push(line);
      assert.equal(await writePngOrSkip(`${dir}/a.png`, svg, { log, fontDirs: [dir] }), false);
      assert.equal(lines.length, 1);
      assert.match(lines[0], /a\.png skipped \(the SVG is written\): cannot render PNG: fonts/);
      await assert.rejects(Deno.stat(`${dir}/a.png`), Deno.errors.NotFound);
      assert.equal(await writePngOrSkip(`${dir}/b.png`, svg, { log }), true);
      assert.equal(lines.length, 1);
      const png = await Deno.readFile(`${dir}/b.png`);
      assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("reporter", async (t) => {
  await t.step("plain lines: progress, log, summary, default summary", () => {
    const out: string[] = [];
    let clock = 1000; // ms; the test moves it, so the times below do not depend on the machine
    const r = createReporter({ tty: false, intervalMs: 0, write: (s) => out.push(s), now: () => clock });
    r.log("training yinyang 5-120-3 on cpu");
    r.start("epoch 1/2", 4);
    clock += 3000;
    r.update(2, { loss: 0.123456, acc: 0.75, lr: 0.001 });
    r.stop("epoch 1/2: loss 0.1 acc 80.00%");
    r.start("eval yinyang", 10);
    clock += 7000;
    r.stop();
    r.stop(); // a second stop adds nothing
    assert.ok(out.every((s) => s.endsWith("\n") && s.indexOf("\n") === s.length - 1), "whole lines");
    assert.equal(out[0], "training yinyang 5-120-3 on cpu\n");
    assert.match(out[1], /^epoch 1\/2: 2\/4 \(50%\) loss 0\.1235 acc 75\.00% lr 0\.001 \| 3 s, eta 3 s\n$/);
    assert.equal(out[2], "epoch 1/2: loss 0.1 acc 80.00%\n");
    assert.match(out[3], /^eval yinyang: done in 7 s\n$/);
    assert.equal(out.length, 4);
  });

  await t.step("plain lines are throttled", () => {
    const out: string[] = [];
    let clock = 0;
    // Default interval: at most one line per 2 s. 1,000 updates 10 ms apart span 10 s: lines at 2, 4, 6, 8, 10 s.
    const r = createReporter({ tty: false, write: (s) => out.push(s), now: () => clock });
    r.start("epoch 1/1", 1000);
    for (let i = 1; i <= 1000; i++) {
      clock += 10;
      r.update(i, { loss: 1 / i });
    }
    r.stop("done");
    assert.deepEqual(
      out.map((line) => line.match(/ (\d+\/1000) /)?.[1] ?? line),
      ["200/1000", "400/1000", "600/1000", "800/1000", "1000/1000", "done\n"],
    );
  });

  await t.step("quiet says nothing", () => {
    const out: string[] = [];
    const r = createReporter({ tty: false, quiet: true, intervalMs: 0, write: (s) => out.push(s) });
    r.log("x");
    r.start("a", 2);
    r.update(1, { loss: 1 });
    r.stop("summary");
    assert.deepEqual(out, []);
  });

  await t.step("terminal: a bar with the label and figures, logs above it, summary after it", () => {
    let text = "";
    const r = createReporter({ tty: true, write: (s) => (text += s) });
    r.start("epoch 3/20", 10);
    r.update(5, { loss: 0.5, acc: 0.9 });
    r.log("a note");
    r.update(10, { loss: 0.25, acc: 0.95 });
    r.stop("epoch 3/20: loss 0.25");
    r.log("after");
    assert.ok(text.includes("epoch 3/20 |"), "bar label");
    assert.ok(text.includes("loss 0.5 acc 90.00%"), "figures on the bar");
    assert.ok(text.includes("a note\n"));
    assert.ok(text.endsWith("epoch 3/20: loss 0.25\nafter\n"));
  });
});
