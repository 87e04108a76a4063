/**
 * Value parsers for command-line options. Each rejects what the program cannot use (non-numbers,
 * tau <= 0, max-spikes < 1, empty or zero layer sizes) with a message that commander turns into one line.
 * @module
 */
import { InvalidArgumentError } from "@commander-js/extra-typings";

// Strict forms: Number() would accept "", " ", "0x10" and "Infinity".
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** Parses a finite decimal number; throws `InvalidArgumentError` otherwise. */
export function parseNumber(text: string): number {
  const x = Number(text);
  if (!DECIMAL.test(text.trim()) || !Number.isFinite(x)) throw new InvalidArgumentError("not a number.");
  return x;
}

/** A number > 0, e.g. a time constant or a learning rate. */
export function parsePositive(text: string): number {
  const x = parseNumber(text);
  if (x <= 0) throw new InvalidArgumentError("must be a number > 0.");
  return x;
}

/** A number >= 0. */
export function parseNonNegative(text: string): number {
  const x = parseNumber(text);
  if (x < 0) throw new InvalidArgumentError("must be a number >= 0.");
  return x;
}

/** A number in [0, 1), e.g. a dropout rate or a label smoothing. */
export function parseUnitInterval(text: string): number {
  const x = parseNumber(text);
  if (x < 0 || x >= 1) throw new InvalidArgumentError("must be a number in [0, 1).");
  return x;
}

/** A fraction in (0, 1], e.g. a learning-rate decay per epoch. */
export function parseFraction(text: string): number {
  const x = parseNumber(text);
  if (x <= 0 || x > 1) throw new InvalidArgumentError("must be a number in (0, 1].");
  return x;
}

/** An integer >= `min` (safe-integer range). */
export function integerAtLeast(min: number): (text: string) => number {
  return (text: string) => {
    const x = Number(text);
    if (!INTEGER.test(text.trim()) || !Number.isSafeInteger(x)) {
      throw new InvalidArgumentError("not an integer.");
    }
    if (x < min) throw new InvalidArgumentError(`must be an integer >= ${min}.`);
    return x;
  };
}

/** An integer >= 1, e.g. epochs, batch size, max spikes. */
export const parsePositiveInt: (text: string) => number = integerAtLeast(1);
/** An integer >= 0, e.g. a seed, a sample limit (0 = all), workers (0 = one per core). */
export const parseNonNegativeInt: (text: string) => number = integerAtLeast(0);

/** Comma-separated list parsed item by item; an empty list or item is rejected. */
export function listOf<T>(item: (text: string) => T, what: string): (text: string) => T[] {
  return (text: string) => {
    const parts = text.split(",").map((s) => s.trim());
    if (parts.length === 0 || parts.some((s) => s === "")) {
      throw new InvalidArgumentError(`must be a comma-separated list of ${what}, e.g. ${example(what)}.`);
    }
    return parts.map((s) => {
      try {
        return item(s);
      } catch (e) {
        if (e instanceof InvalidArgumentError) {
          throw new InvalidArgumentError(`item '${s}': ${e.message}`);
        }
        throw e;
      }
    });
  };
}

/** Hidden layer sizes, e.g. "800" or "400,200"; each >= 1. */
export const parseLayerSizes: (text: string) => number[] = listOf(parsePositiveInt, "integers >= 1");
/** Time constants, e.g. "1,2,5,10"; each > 0. */
export const parsePositiveList: (text: string) => number[] = listOf(parsePositive, "numbers > 0");
/** Spike caps, e.g. "1,8"; each >= 1. */
export const parsePositiveIntList: (text: string) => number[] = listOf(parsePositiveInt, "integers >= 1");
/** Seeds, e.g. "0,1,2"; each >= 0. */
export const parseNonNegativeIntList: (text: string) => number[] = listOf(
  parseNonNegativeInt,
  "integers >= 0",
);

/** Legend labels, e.g. "k=1,k=8"; no item may be empty (a label cannot hold a comma). */
export function parseLabels(text: string): string[] {
  const parts = text.split(",").map((s) => s.trim());
  if (parts.some((s) => s === "")) {
    throw new InvalidArgumentError("must be a comma-separated list of non-empty labels, e.g. k=1,k=8.");
  }
  return parts;
}

/** One shard of a grid: `i/n` with 0 <= i < n. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parses `i/n` (0-based index i of n shards), e.g. "0/4"; for Slurm arrays `$SLURM_ARRAY_TASK_ID/N`. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new InvalidArgumentError("must be i/n, e.g. 0/4.");
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new InvalidArgumentError("must be i/n with 0 <= i < n, e.g. 0/4.");
  return { index, count };
}

function example(what: string): string {
  if (what.startsWith("integers >= 1")) return "400,200";
  if (what.startsWith("integers >= 0")) return "0,1,2";
  return "1,2,5";
}
