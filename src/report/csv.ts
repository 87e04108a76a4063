/**
 * CSV in and out (RFC 4180 quoting through d3-dsv) and atomic file writes, so that a run killed
 * mid-write never leaves half a metrics file behind.
 * @module
 */
import { csvFormat, csvParse } from "d3-dsv";

/** A cell of a CSV row; `null` becomes an empty field. */
export type CsvValue = string | number | boolean | null;

/** One CSV row keyed by column name. */
export type CsvRow = Readonly<Record<string, CsvValue>>;

/**
 * Formats rows as CSV text with a header line and a trailing newline.
 * Fields holding commas, quotes or line breaks are quoted (quotes doubled); numbers are written as
 * JavaScript prints them (full precision, `NaN`, `Infinity`).
 * @param rows the rows, e.g. `[{ epoch: 1, loss: 0.42 }]`
 * @param columns column order; default: every key in order of first appearance
 * @returns the CSV text, e.g. `"epoch,loss\n1,0.42\n"`; a header only when `rows` is empty
 * @example
 * ```ts
 * toCsv([{ name: "a,b", n: 1 }]); // 'name,n\n"a,b",1\n'
 * ```
 */
export function toCsv(rows: readonly CsvRow[], columns?: readonly string[]): string {
  const cols = columns ? [...columns] : columnsOf(rows);
  if (cols.length === 0) return "";
  // d3-dsv writes null/undefined as an empty field and stringifies the rest.
  const text = csvFormat(rows as Record<string, CsvValue>[], cols as string[]);
  return text + "\n";
}

/**
 * Parses CSV text with a header line into rows of strings (no type guessing: the caller knows the
 * columns). Quoted fields may hold commas, doubled quotes and line breaks.
 * @param text CSV text, e.g. `"a,b\n1,2\n"`
 * @returns one record per data line, e.g. `[{ a: "1", b: "2" }]`
 */
export function parseCsv(text: string): Record<string, string>[] {
  // csvParse returns an array that also carries a `columns` property; copy into plain objects.
  return csvParse(text).map((row) => ({ ...row }) as Record<string, string>);
}

/**
 * Writes `text` to `path` through a temporary file beside it and a rename, so that readers (and a run
 * killed mid-write) see the old file or the new one, never half of one. The temporary file is removed
 * if the write fails.
 * @param path destination, e.g. `runs/a/metrics.csv`; its directory must exist
 * @param text the full content
 */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await writeAtomic(path, new TextEncoder().encode(text));
}

/**
 * Like {@link writeTextAtomic} for bytes (PNG files).
 * @param path destination; its directory must exist
 * @param data the full content
 */
export async function writeAtomic(path: string, data: Uint8Array): Promise<void> {
  // Same directory as the target: rename is atomic only within one file system.
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {}); // best effort: the original error is the one to report
    throw e;
  }
}

/**
 * Writes rows as a CSV file atomically (see {@link toCsv} and {@link writeTextAtomic}).
 * @param path destination, e.g. `runs/a/metrics.csv`
 * @param rows the rows
 * @param columns column order; default: every key in order of first appearance
 */
export async function writeCsv(
  path: string,
  rows: readonly CsvRow[],
  columns?: readonly string[],
): Promise<void> {
  await writeTextAtomic(path, toCsv(rows, columns));
}

/** Every key of `rows` in order of first appearance. */
function columnsOf(rows: readonly CsvRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const k of Object.keys(row)) seen.add(k);
  return [...seen];
}
