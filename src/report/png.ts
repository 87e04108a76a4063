/**
 * SVG -> PNG with resvg compiled to WebAssembly (no native code, no extra permissions). resvg has no
 * fonts of its own: it gets the DejaVu Sans faces from the system (Debian: `fonts-dejavu-core`), and
 * the plots name that family, so text looks the same in the SVG and the PNG.
 * @module
 */
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { writeAtomic } from "./csv.ts";
import { ReportError } from "./errors.ts";

/** The font family every plot names; {@link svgToPng} loads its regular and bold faces. */
export const FONT_FAMILY = "DejaVu Sans";

/** Font files needed, looked for in each of {@link FONT_DIRS}. */
const FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"];

/** Where distributions put DejaVu (Debian/Ubuntu, Fedora, Arch, Alpine, macOS Homebrew). */
const FONT_DIRS = [
  "/usr/share/fonts/truetype/dejavu",
  "/usr/share/fonts/dejavu-sans-fonts",
  "/usr/share/fonts/dejavu",
  "/usr/share/fonts/TTF",
  "/usr/share/fonts/ttf-dejavu",
  "/opt/homebrew/share/fonts",
  "/usr/local/share/fonts",
];

/** Options of {@link svgToPng}. */
export interface PngOptions {
  /** Pixels per SVG unit, default 2 (sharp on screens and in print). */
  scale?: number;
  /** Directories searched for the fonts instead of $MULTISPIKE_FONT_DIR and the usual system places. */
  fontDirs?: readonly string[];
}

let wasmReady: Promise<void> | undefined;
/** Font buffers by search path, read once per process. */
const fontCache = new Map<string, Promise<Uint8Array[]>>();

/**
 * Rasterises SVG text (e.g. from `lineChartSvg`) to a PNG image on a white background.
 * @param svg an SVG document
 * @param opts scale (default 2), font directories
 * @returns the PNG file's bytes
 * @throws ReportError when the DejaVu Sans fonts cannot be found (set MULTISPIKE_FONT_DIR or install
 *   `fonts-dejavu-core`)
 */
export async function svgToPng(svg: string, opts: PngOptions = {}): Promise<Uint8Array> {
  const dirs = opts.fontDirs ? [...opts.fontDirs] : [...fontDirFromEnv(), ...FONT_DIRS];
  const fonts = await cached(fontCache, dirs.join("\n"), () => readFonts(dirs));
  wasmReady ??= readWasm().then((bytes) => initWasm(bytes));
  await wasmReady;
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: opts.scale ?? 2 },
    background: "white",
    font: {
      fontBuffers: fonts,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
  });
  try {
    const image = resvg.render();
    try {
      return image.asPng();
    } finally {
      image.free();
    }
  } finally {
    resvg.free(); // wasm memory is not garbage-collected
  }
}

/** Options of {@link writePngOrSkip}. */
export interface PngFileOptions extends PngOptions {
  /** Receives the one-line reason when the PNG is skipped, e.g. `(line) => reporter.log(line)`. */
  log: (line: string) => void;
}

/**
 * Writes the PNG of `svg` to `path` unless the environment cannot render it (no fonts, no wasm): then it
 * says so through `opts.log` in one line and returns false, because a missing PNG must not fail a
 * finished run whose SVG is already written. Any other error is a bug and propagates.
 * @param path destination, e.g. `runs/a/curves.png`; its directory must exist
 * @param svg the SVG document
 * @param opts where the skip line goes, scale, font directories
 * @returns whether the PNG was written
 */
export async function writePngOrSkip(path: string, svg: string, opts: PngFileOptions): Promise<boolean> {
  let png: Uint8Array;
  try {
    png = await svgToPng(svg, opts);
  } catch (e) {
    if (!(e instanceof ReportError)) throw e;
    opts.log(`${path} skipped (the SVG is written): ${e.message}`);
    return false;
  }
  await writeAtomic(path, png);
  return true;
}

/** `cache.get(key)`, made by `make` on a miss; a failed promise is dropped so that a later call retries. */
function cached<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let p = cache.get(key);
  if (!p) {
    p = make();
    cache.set(key, p);
    p.catch(() => cache.delete(key)); // the caller still sees the rejection through `p`
  }
  return p;
}

/**
 * The resvg wasm binary: from the npm package (deno run, deno compile), else from $MULTISPIKE_RESVG_WASM or
 * a `resvg.wasm` beside the main module (a `deno bundle` file cannot resolve npm files at run time).
 */
async function readWasm(): Promise<Uint8Array> {
  const places: string[] = [];
  try {
    places.push(new URL(import.meta.resolve("@resvg/resvg-wasm/index_bg.wasm")).href);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e; // bundled: the bare specifier is not resolvable any more
  }
  if (Deno.permissions.querySync({ name: "env", variable: "MULTISPIKE_RESVG_WASM" }).state === "granted") {
    const env = Deno.env.get("MULTISPIKE_RESVG_WASM");
    if (env) places.push(env);
  }
  places.push(new URL("resvg.wasm", Deno.mainModule).href);
  for (const place of places) {
    try {
      return await Deno.readFile(place.startsWith("file:") ? new URL(place) : place);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  throw new ReportError(
    `cannot render PNG: the resvg wasm binary is not in ${places.join(", ")}; set MULTISPIKE_RESVG_WASM to ` +
      `the index_bg.wasm of npm:@resvg/resvg-wasm@2.6.2`,
  );
}

async function readFonts(dirs: readonly string[]): Promise<Uint8Array[]> {
  for (const dir of dirs) {
    try {
      return await Promise.all(FONT_FILES.map((f) => Deno.readFile(`${dir}/${f}`)));
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  throw new ReportError(
    `cannot render PNG: fonts ${FONT_FILES.join(" and ")} not found in ${
      dirs.join(", ") || "(no directory)"
    }; ` +
      `install them (Debian/Ubuntu: apt-get install fonts-dejavu-core) or set MULTISPIKE_FONT_DIR`,
  );
}

function fontDirFromEnv(): string[] {
  // Without --allow-env this is simply skipped rather than prompting or failing.
  if (Deno.permissions.querySync({ name: "env", variable: "MULTISPIKE_FONT_DIR" }).state !== "granted") {
    return [];
  }
  const dir = Deno.env.get("MULTISPIKE_FONT_DIR");
  return dir ? [dir] : [];
}
