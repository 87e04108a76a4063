/**
 * Publication-style plots as SVG text: line charts with spread bands, several charts side by side, and
 * spike rasters. Built as Vega-Lite specs and rendered headless (Vega's "none" renderer -> `toSVG()`);
 * `svgToPng` (re-exported from `png.ts`) rasterises any of them.
 * @module
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { FONT_FAMILY } from "./png.ts";
import { textWidth } from "./text_width.ts";

export { svgToPng } from "./png.ts";

/** One line of a chart; `yLow`/`yHigh` (same length as `y`) draw a shaded band, e.g. mean ± std. */
export interface Series {
  /** Legend entry, e.g. "validation". */
  name: string;
  /** x values, e.g. epochs `[1, 2, 3]`. */
  x: number[];
  /** y values, `y[k]` at `x[k]`; non-finite points are left out. */
  y: number[];
  /** Lower edge of the band at `x[k]`. */
  yLow?: number[];
  /** Upper edge of the band at `x[k]`. */
  yHigh?: number[];
  /**
   * Legend entry and colour shared by several lines (e.g. one line per seed of one configuration), so that
   * many lines stay tellable apart by what they have in common; default: the series' own name.
   */
  group?: string;
  /**
   * Which palette colour the series' group takes (0 = the first), so that a line keeps its colour in a
   * figure that leaves some of its neighbours out; default: the group's place among the chart's groups.
   */
  colorSlot?: number;
  /** Drawn dashed (a second reading of a line drawn solid in the same colour); default solid. */
  dashed?: boolean;
}

/** Options of {@link lineChartSvg}. */
export interface LineChartOptions {
  /** Chart title, e.g. "Accuracy"; long titles wrap. */
  title: string;
  /** x axis title with its unit, e.g. "epoch" or "tau_m (time units)". */
  xLabel: string;
  /** y axis title with its unit, e.g. "loss per sample". */
  yLabel: string;
  /** The lines, drawn and coloured in this order. */
  series: Series[];
  /** Logarithmic x axis (points with x <= 0 are left out). */
  logX?: boolean;
  /** Plot area width in pixels (axes and legend come on top), default 360. */
  width?: number;
  /** Plot area height in pixels, default 240. */
  height?: number;
}

/** One layer of a raster: `spikes[i]` holds the spike times of neuron i. */
export interface RasterLayer {
  /** e.g. "input", "hidden 1", "output". */
  name: string;
  /** Per neuron, its spike times (any order); non-finite times are left out. */
  spikes: number[][];
}

/** Options of {@link rasterSvg}. */
export interface RasterOptions {
  /** Chart title, e.g. "yinyang: test sample 0 (label 2)". */
  title: string;
  /** End of the time window: the x axis spans `[0, tMax]`. */
  tMax: number;
  /** Layers, drawn top to bottom. */
  layers: RasterLayer[];
  /** Most spikes drawn; above it an evenly spread subset is kept and the title says so. Default 10000. */
  maxPoints?: number;
  /** x axis title, default "time (model time units)". */
  timeLabel?: string;
  /** Plot width in pixels, default 480. */
  width?: number;
}

/** Colours of series and layers (Tableau 10, the Vega default; readable in print and for most colour-blind readers). */
const PALETTE = [
  "#4c78a8",
  "#f58518",
  "#e45756",
  "#72b7b2",
  "#54a24b",
  "#eeca3b",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
];

// Vega measures text with a canvas when it has one and otherwise guesses 0.8 em per character; neither
// holds here, so it gets the real widths of the one font the plots use (as vl-convert does).
// `textMetrics` is exported by vega-scenegraph (re-exported by vega) but missing from vega's typings.
const metrics = (vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } })
  .textMetrics;
metrics.width = (item: TextItem, text: unknown) => {
  const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
  const weight = item.fontWeight;
  const bold = weight === "bold" || weight === "bolder" || (typeof weight === "number" && weight >= 600);
  return textWidth(text == null ? "" : String(text).trim(), size, bold);
};

/** The fields of a Vega text item that its width depends on. */
interface TextItem {
  fontSize?: number;
  fontWeight?: string | number;
}

/** Pixels a title or legend line may take over a plot `width` wide: the plot and its y axis beside it. */
const textRoom = (width: number) => width + 60;

/**
 * A horizontal legend grows the chart to the width of all its entries in one row, so a sweep with a line
 * per seed made a figure 6,000 px wide: past the chart's width the entries wrap into as many columns as fit.
 * @returns `{ columns }` when one row would be wider than the chart, else nothing (one row)
 */
function legendColumns(names: readonly string[], width: number): { columns?: number } {
  // Vega's legend entry: stroke symbol (~16 px) + 4 px offset + label, then 10 px column padding.
  const entry = (name: string) => 30 + textWidth(name, CONFIG.legend.labelFontSize, false);
  const room = textRoom(width);
  const oneRow = names.reduce((sum, n) => sum + entry(n), 0);
  if (oneRow <= room) return {};
  return { columns: Math.max(1, Math.floor(room / Math.max(...names.map(entry)))) };
}

/** Shared look: one font (the one the PNG renderer has), readable sizes, light grid. */
const CONFIG = {
  font: FONT_FAMILY,
  background: "white",
  title: { fontSize: 14, fontWeight: "bold", anchor: "start", offset: 8 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", gridColor: "#e6e6e6" },
  legend: { labelFontSize: 11, titleFontSize: 11, symbolStrokeWidth: 2 },
  view: { stroke: "#bbb" },
} as const;

/**
 * A line chart of one or more series, with a shaded band where a series has `yLow`/`yHigh`.
 * @param opts title, axis titles, series, optional log x axis and size
 * @returns SVG text (white background, fonts named "DejaVu Sans")
 * @example
 * ```ts
 * const svg = await lineChartSvg({
 *   title: "Loss", xLabel: "epoch", yLabel: "loss per sample",
 *   series: [{ name: "train", x: [1, 2, 3], y: [0.9, 0.6, 0.5] }],
 * });
 * ```
 */
export async function lineChartSvg(opts: LineChartOptions): Promise<string> {
  const width = opts.width ?? 360;
  const height = opts.height ?? 240;
  // One colour and legend entry per group; each series stays its own line (the `detail` channel).
  const groupOf = (s: Series) => s.group ?? s.name;
  const groups = [...new Set(opts.series.map(groupOf))];
  const slotOf = new Map<string, number>();
  for (const s of opts.series) {
    if (s.colorSlot !== undefined && !slotOf.has(groupOf(s))) slotOf.set(groupOf(s), s.colorSlot);
  }
  const okX = (x: number) => Number.isFinite(x) && (!opts.logX || x > 0);
  const points: { series: string; group: string; dash: string; x: number; y: number }[] = [];
  const band: { series: string; band: string; x: number; lo: number; hi: number }[] = [];
  for (const s of opts.series) {
    s.x.forEach((x, k) => {
      const y = s.y[k];
      if (okX(x) && Number.isFinite(y)) {
        points.push({ series: s.name, group: groupOf(s), dash: s.dashed ? "dashed" : "solid", x, y });
      }
      const lo = s.yLow?.[k], hi = s.yHigh?.[k];
      if (okX(x) && lo !== undefined && hi !== undefined && Number.isFinite(lo) && Number.isFinite(hi)) {
        band.push({ series: s.name, band: groupOf(s), x, lo, hi });
      }
    });
  }
  // A group with no drawable point (the all-NaN validation curve of a run without a validation split) gets no
  // legend entry; colours stay those of each group's place among all of them, so that no other is recoloured.
  const drawn = new Set([...points.map((p) => p.group), ...band.map((b) => b.band)]);
  const names = groups.filter((g) => drawn.has(g));
  const allX = points.map((p) => p.x);
  const distinctX = [...new Set(allX)].sort((a, b) => a - b);
  const integerX = allX.length > 0 && allX.every(Number.isInteger) && !opts.logX;
  // Markers help when there are few points (short runs, sweeps); on long curves they are clutter.
  const longest = Math.max(0, ...opts.series.map((s) => s.x.length));
  const color = {
    field: "group",
    type: "nominal",
    scale: {
      domain: names,
      range: names.map((n) => PALETTE[(slotOf.get(n) ?? groups.indexOf(n)) % PALETTE.length]),
    },
    legend: names.length > 0
      ? {
        title: null,
        orient: "bottom",
        direction: "horizontal",
        symbolType: "stroke",
        symbolOpacity: 1,
        labelLimit: 0,
        ...legendColumns(names, width),
      }
      : null,
  };
  // The band fills through its own scale (same colours) so that its faded swatch stays out of the legend.
  // (A field of another name, because Vega-Lite merges the legends of channels that share a field.)
  const bandFill = { field: "band", type: "nominal", scale: color.scale, legend: null };
  const x = {
    field: "x",
    type: "quantitative",
    title: opts.xLabel,
    // A log axis rounded out to decades wastes most of the width on a sweep of 0.5..20: pad instead.
    scale: opts.logX
      ? { type: "log", nice: false, padding: 12 }
      : { type: "linear", zero: false, nice: true },
    axis: integerX
      ? { format: "d", tickMinStep: 1 }
      // A sweep has few x values: label exactly those on a log axis.
      : opts.logX && distinctX.length <= 12
      ? { format: "~g", values: distinctX }
      : { format: "~g" },
  };
  const layers: unknown[] = [];
  if (band.length > 0) {
    layers.push({
      data: { values: band },
      mark: { type: "area", opacity: 0.2 },
      encoding: {
        x,
        y: { field: "lo", type: "quantitative" },
        y2: { field: "hi" },
        fill: bandFill,
        detail: { field: "series" },
      },
    });
  }
  layers.push({
    data: { values: points },
    mark: { type: "line", strokeWidth: 2, point: longest <= 40 ? { size: 30, filled: true } : false },
    encoding: {
      x,
      y: {
        field: "y",
        type: "quantitative",
        title: opts.yLabel,
        scale: { zero: false },
        axis: { format: "~r" },
      },
      color,
      detail: { field: "series" },
      // Only where a series asks for it, so that every other chart's spec stays as it was.
      ...(opts.series.some((s) => s.dashed)
        ? {
          strokeDash: {
            field: "dash",
            type: "nominal",
            scale: { domain: ["solid", "dashed"], range: [[1, 0], [6, 3]] },
            legend: null,
          },
        }
        : {}),
    },
  });
  return await render({
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: wrap(opts.title, textRoom(width)) },
    width,
    height,
    layer: layers,
    config: CONFIG,
  } as unknown as TopLevelSpec);
}

/**
 * Charts side by side in one SVG, e.g. accuracy | loss | spikes per neuron.
 * @param panels each one either the options of {@link lineChartSvg} or an SVG it (or any Vega chart) returned
 * @returns SVG text of the panels in a row, top-aligned, on a white background
 */
export async function multiPanelSvg(panels: readonly (LineChartOptions | string)[]): Promise<string> {
  const svgs = await Promise.all(panels.map((p) => (typeof p === "string" ? p : lineChartSvg(p))));
  const gap = 16;
  let x = 0;
  let height = 0;
  const parts: string[] = [];
  svgs.forEach((svg, i) => {
    const { width: w, height: h } = svgSize(svg);
    // Ids (clip paths, gradients) must stay unique once several documents share one.
    const body = prefixIds(svg.replace(/^\s*<\?xml[^>]*>\s*/, ""), `p${i}-`);
    parts.push(body.replace(/^<svg\b/, `<svg x="${x}" y="0"`));
    x += w + gap;
    height = Math.max(height, h);
  });
  const width = Math.max(0, x - gap);
  return `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" ` +
    `width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<rect width="${width}" height="${height}" fill="white"/>${parts.join("")}</svg>`;
}

/**
 * A spike raster: one row per neuron, one tick per spike, a panel and colour per layer stacked top to
 * bottom on a shared time axis `[0, tMax]`. Above `maxPoints` spikes an evenly spread subset is drawn
 * (so the picture keeps its density pattern) and the title says how many are shown.
 * @param opts title, time window, layers, spike budget
 * @returns SVG text
 */
export async function rasterSvg(opts: RasterOptions): Promise<string> {
  if (!(opts.tMax > 0 && Number.isFinite(opts.tMax))) {
    throw new RangeError(`rasterSvg: tMax must be > 0, got ${opts.tMax}`);
  }
  const maxPoints = opts.maxPoints ?? 10000;
  if (!(maxPoints >= 0)) throw new RangeError(`rasterSvg: maxPoints must be >= 0, got ${maxPoints}`);
  const width = opts.width ?? 480;
  const total = opts.layers.reduce((n, l) => n + l.spikes.reduce((m, ts) => m + countFinite(ts), 0), 0);
  const keep = thinner(total, maxPoints);
  let index = 0; // running number of the spike over all layers, for the even thinning
  let shown = 0;
  const panels = opts.layers.map((layer, l) => {
    const values: { n: number; t: number }[] = [];
    layer.spikes.forEach((ts, n) => {
      for (const t of ts) {
        if (!Number.isFinite(t)) continue;
        if (keep(index++)) values.push({ n, t });
      }
    });
    shown += values.length;
    const rows = Math.max(1, layer.spikes.length);
    // Panel height grows with the neuron count but stays readable for 10 outputs and 784 inputs.
    const height = Math.round(Math.min(260, Math.max(50, rows * 4)));
    const last = l === opts.layers.length - 1;
    return {
      data: { values },
      width,
      height,
      mark: {
        type: "tick",
        orient: "vertical",
        thickness: 1.5,
        opacity: 0.9,
        aria: false, // per-tick accessibility labels would double the size of a large raster
        size: Math.max(3, Math.min(10, (height / rows) * 0.8)),
      },
      encoding: {
        x: {
          field: "t",
          type: "quantitative",
          title: last ? (opts.timeLabel ?? "time (model time units)") : null,
          scale: { domain: [0, opts.tMax], nice: false },
          axis: { labels: last, grid: true, format: "~g" },
        },
        y: {
          field: "n",
          type: "quantitative",
          title: `${layer.name} (${layer.spikes.length})`,
          scale: { domain: [-0.5, rows - 0.5], nice: false, zero: false },
          axis: { format: "d", tickMinStep: 1, grid: false, titleAngle: -90 },
        },
        color: { value: PALETTE[l % PALETTE.length] },
      },
    };
  });
  const title = shown < total
    ? [opts.title, `(${shown} of ${total} spikes shown, evenly thinned)`]
    : [opts.title, `(${total} spikes)`];
  return await render({
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title.flatMap((t) => wrap(t, textRoom(width))) },
    vconcat: panels,
    spacing: 6,
    config: { ...CONFIG, concat: { spacing: 6 } },
  } as unknown as TopLevelSpec);
}

/** Compiles a Vega-Lite spec and renders it headless to SVG. */
async function render(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize(); // releases timers and listeners so that tests see no leaks
  }
}

/**
 * A predicate on spike numbers 0..total-1 that keeps exactly min(total, max) of them, evenly spread:
 * spike i is kept when floor(i * max / total) steps up.
 */
function thinner(total: number, max: number): (i: number) => boolean {
  if (total <= max) return () => true;
  const m = Math.max(0, Math.floor(max));
  return (i) => Math.floor(((i + 1) * m) / total) > Math.floor((i * m) / total);
}

function countFinite(ts: number[]): number {
  let n = 0;
  for (const t of ts) if (Number.isFinite(t)) n++;
  return n;
}

/** Splits a title into lines that fit `px` pixels in the title font (14 px bold). */
function wrap(text: string, px: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && textWidth(`${line} ${word}`, CONFIG.title.fontSize, true) > px) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.length > 0 ? lines : [""];
}

/** Width and height of an SVG document's root element, from its attributes or viewBox. */
function svgSize(svg: string): { width: number; height: number } {
  const root = svg.match(/<svg\b[^>]*>/)?.[0];
  if (!root) throw new TypeError("multiPanelSvg: a panel is not an SVG document");
  const attr = (name: string) => Number(root.match(new RegExp(`\\s${name}="([0-9.]+)`))?.[1]);
  let width = attr("width"), height = attr("height");
  if (!(width > 0 && height > 0)) {
    const vb = root.match(/viewBox="[-0-9.]+[ ,]+[-0-9.]+[ ,]+([0-9.]+)[ ,]+([0-9.]+)"/);
    width = Number(vb?.[1]);
    height = Number(vb?.[2]);
  }
  if (!(width > 0 && height > 0)) throw new TypeError("multiPanelSvg: a panel's SVG has no width and height");
  return { width, height };
}

/** Renames every `id="x"` to `id="<prefix>x"` and the references `url(#x)` / `href="#x"` with it. */
function prefixIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}$1"`);
}
