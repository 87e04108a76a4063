/**
 * Draws test accuracy (mean and spread, and each seed) and hidden spikes per neuron against a tied tau
 * (`tau_m = tau_s`) from a table of points, for sweeps whose runs did not all live in one `sweep` directory
 * (runs made one by one with `train`, over several sessions, some of whose run directories are gone and
 * whose figures survive only as recorded in docs/RESULTS.md).
 * `sweep` draws the mean and spike panels from its own runs; use it where you can.
 *
 *   deno run --allow-read --allow-write scripts/plot_tau_table.ts TABLE.csv OUT [TITLE]
 *
 * TABLE.csv has one row per (tau, max_spikes) point: `tau`, `max_spikes`, `seeds` (space-separated),
 * `test_accuracy` (one per seed, space-separated, in the order of `seeds`), `spikes_per_neuron_l1` (the
 * mean over the seeds in `spikes_seeds`; blank where none was recorded), `source` (free text) and, optionally,
 * `lr` (the learning rate, when the table holds more than one: each (max_spikes, lr) gets its line). It writes
 * OUT.svg and OUT.png (mean ± sample standard deviation over seeds, and each seed's own line, since one
 * seed that fails to train moves a mean of three far) and prints each point's figures.
 * @module
 */
import { multiPanelSvg, type Series } from "../src/report/plots.ts";
import { writePngOrSkip } from "../src/report/png.ts";
import { parseCsv, writeTextAtomic } from "../src/report/csv.ts";
import { bandSeries, capLabel, type Spread, spread } from "../src/train/sweep_report.ts";

const [table, out, title = "test accuracy vs time constant"] = Deno.args;
if (!table || !out) {
  console.error("usage: plot_tau_table.ts TABLE.csv OUT [TITLE]");
  Deno.exit(2);
}

interface Point {
  tau: number;
  k: number;
  /** NaN when the table has no lr column (one rate throughout). */
  lr: number;
  seeds: number[];
  acc: number[];
  spikes: number;
}

const numbers = (s: string | undefined) => (s ?? "").trim().split(/\s+/).filter((x) => x !== "").map(Number);
const points: Point[] = parseCsv(await Deno.readTextFile(table)).map((r, i) => {
  const p = {
    tau: Number(r.tau),
    k: Number(r.max_spikes),
    lr: r.lr?.trim() ? Number(r.lr) : NaN,
    seeds: numbers(r.seeds),
    acc: numbers(r.test_accuracy),
    spikes: r.spikes_per_neuron_l1?.trim() ? Number(r.spikes_per_neuron_l1) : NaN,
  };
  const bad = !(p.tau > 0) || !(p.k >= 1) || !(Number.isNaN(p.lr) || p.lr > 0) || p.acc.length === 0 ||
    p.acc.length !== p.seeds.length ||
    p.acc.some((a) => !(a >= 0 && a <= 1));
  if (bad) {
    console.error(
      `${table}: row ${
        i + 2
      } needs tau > 0, max_spikes >= 1, lr blank or > 0 and one accuracy in [0, 1] per seed`,
    );
    Deno.exit(2);
  }
  return p;
});

/** One line per spike cap, and per learning rate where the table gives them (NaN: the table's one rate). */
const groups = [...new Map(points.map((p) => [`${p.k} ${p.lr}`, { k: p.k, lr: p.lr }])).values()]
  .sort((a, b) => a.k - b.k || a.lr - b.lr);
const sameLr = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
const inGroup = (g: { k: number; lr: number }) => (p: Point) => p.k === g.k && sameLr(p.lr, g.lr);
const groupName = (g: { k: number; lr: number }) =>
  Number.isNaN(g.lr) ? capLabel(g.k) : `${capLabel(g.k)}, lr ${g.lr}`;
const series = (pick: (p: Point) => Spread): Series[] =>
  groups.map((g) => {
    const row = points.filter(inGroup(g)).sort((a, b) => a.tau - b.tau);
    return bandSeries(groupName(g), row.map((p) => p.tau), row.map(pick));
  });

const seedsOf = [...new Set(points.flatMap((p) => p.seeds))].sort((a, b) => a - b);
const perSeed: Series[] = groups.flatMap((g) =>
  seedsOf.map((seed) => {
    const row = points.filter((p) => inGroup(g)(p) && p.seeds.includes(seed)).sort((a, b) => a.tau - b.tau);
    // Coloured as its group in the other panels (one legend entry per group), one line per seed.
    return {
      name: `${groupName(g)}, seed ${seed}`,
      group: groupName(g),
      x: row.map((p) => p.tau),
      y: row.map((p) => p.acc[p.seeds.indexOf(seed)]),
    };
  })
).filter((s) => s.x.length > 0);

for (const p of [...points].sort((a, b) => a.k - b.k || (a.lr - b.lr || 0) || a.tau - b.tau)) {
  const s = spread(p.acc);
  const pct = (x: number) => (100 * x).toFixed(2);
  console.log(
    `max_spikes ${p.k}${Number.isNaN(p.lr) ? "" : ` lr ${p.lr}`} tau ${p.tau}: ${pct(s.mean)} ± ${
      pct(s.std)
    }% (median ${pct(s.median)}%) over seeds ${p.seeds.join(",")} (${
      p.acc.map(pct).join(", ")
    }); spikes per hidden neuron ${Number.isFinite(p.spikes) ? p.spikes.toFixed(2) : "not recorded"}`,
  );
}

const seedCounts = [...new Set(points.map((p) => p.seeds.length))].sort((a, b) => a - b);
const svg = await multiPanelSvg([
  {
    title: `${title} (mean ± std over ${seedCounts.join(" to ")} seeds per point)`,
    xLabel: "tau (= tau_m = tau_s)",
    yLabel: "test accuracy",
    series: series((p) => spread(p.acc)),
    logX: true,
  },
  {
    title: "Test accuracy of each run (one line per seed, coloured as its spike cap and rate)",
    xLabel: "tau (= tau_m = tau_s)",
    yLabel: "test accuracy",
    series: perSeed,
    logX: true,
  },
  {
    title: "Spikes per hidden neuron per sample (test set, mean over the seeds recorded)",
    xLabel: "tau (= tau_m = tau_s)",
    yLabel: "spikes per neuron",
    series: series((p) => spread([p.spikes])),
    logX: true,
  },
]);
await writeTextAtomic(`${out}.svg`, svg);
await writePngOrSkip(`${out}.png`, svg, { log: (line) => console.error(line) });
console.log(`written: ${out}.svg, ${out}.png`);
