/**
 * The model file: a network's neuron parameters and weights as JSON (README, "File formats").
 *
 * ```
 * {"format": "multispike-model", "version": 1,
 *  "neuron": {"tau_m": 5, "tau_s": 5, "theta": 1, "t_max": 30, "max_spikes": 8},
 *  "layers": [{"weights": W0}, {"weights": W1}, ...]}
 * ```
 * `W[i][j]` is the weight from input `i` to neuron `j` as plain JSON numbers, so a person can write a
 * model by hand. Extra top-level fields are allowed (training writes `t_in` and `config`). A layer may
 * instead carry `{"weights_b64": base64 of little-endian float64 in row-major order, "shape": [n_in,
 * n_out]}`, which is ~2.5x smaller and exact.
 * @module
 */
import type { Network } from "../engine/engine.ts";
import type { TrainConfig } from "../train/config.ts";
import { type NeuronParams, validateNeuronParams } from "./params.ts";

/** Format name written into and required from every model file. */
export const MODEL_FORMAT = "multispike-model";
/** Format version written into and required from every model file. */
export const MODEL_VERSION = 1;

/** A model file that cannot be read or is malformed: a user error (exit code 2), one line. */
export class ModelFileError extends Error {
  /** Process exit code for this error. */
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "ModelFileError";
  }
}

/** A model file, parsed and checked. */
export interface LoadedModel {
  readonly network: Network;
  /** The training configuration, when training wrote the file (not validated beyond being an object). */
  readonly config?: TrainConfig;
  /** Input encoding window the model was trained with, e.g. 5. */
  readonly t_in?: number;
  /** The parsed JSON as it was, for fields this loader does not know. */
  readonly raw: unknown;
}

/** Extra top-level fields of a model file. */
export interface ModelExtras {
  readonly config?: TrainConfig;
  readonly t_in?: number;
  readonly [key: string]: unknown;
}

/** Options of `modelFileJson`. */
export interface ModelFileJsonOptions {
  /** Write weights as `weights_b64` + `shape` instead of nested arrays (default false). */
  readonly compact?: boolean;
}

/**
 * Reads and checks a model file.
 * @param path file to read
 * @returns the network and the extras training stored
 * @throws ModelFileError when the file is unreadable, not JSON or not a valid model
 * @example
 * ```ts
 * const { network } = await readModelFile("runs/mnist/model.json");
 * ```
 */
export async function readModelFile(path: string): Promise<LoadedModel> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    // Deno's message ends in "(os error 2): readfile 'path'"; the path is in our message already.
    const reason = (e instanceof Error ? e.message : String(e)).replace(/\s*\(os error \d+\).*$/s, "");
    throw new ModelFileError(`cannot read model file ${path}: ${reason}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelFileError(`model file ${path} is not valid JSON: ${e instanceof Error ? e.message : e}`);
  }
  return parseModel(raw, path);
}

/**
 * Checks parsed JSON against the model format.
 * @param raw parsed JSON
 * @param source name of the file, for error messages
 * @returns the network and extras
 * @throws ModelFileError naming the first problem
 */
export function parseModel(raw: unknown, source: string): LoadedModel {
  const fail = (problem: string): never => {
    throw new ModelFileError(`model file ${source}: ${problem}`);
  };
  if (!isObject(raw)) return fail(`expected a JSON object, got ${kindOf(raw)}`);
  if (raw.format !== MODEL_FORMAT) {
    fail(`"format" must be "${MODEL_FORMAT}", got ${short(raw.format)}`);
  }
  if (raw.version !== MODEL_VERSION) {
    fail(`unsupported "version" ${short(raw.version)} (this program reads version ${MODEL_VERSION})`);
  }
  const neuron = parseNeuron(raw.neuron, fail);
  if (!Array.isArray(raw.layers) || raw.layers.length === 0) {
    fail(`"layers" must be a non-empty array, got ${kindOf(raw.layers)}`);
  }
  const layers = raw.layers as unknown[];
  const sizes: number[] = [];
  const weights: Float64Array[] = [];
  layers.forEach((layer, l) => {
    const where = `layers[${l}]`;
    const { rows, cols, data } = parseLayer(layer, where, fail);
    if (l === 0) sizes.push(rows);
    else if (rows !== sizes[l]) {
      fail(`${where} has ${rows} input rows but layers[${l - 1}] has ${sizes[l]} neurons`);
    }
    sizes.push(cols);
    weights.push(data);
  });
  let t_in: number | undefined;
  if (raw.t_in !== undefined) {
    if (typeof raw.t_in !== "number" || !Number.isFinite(raw.t_in) || raw.t_in <= 0) {
      fail(`"t_in" must be a finite number > 0, got ${short(raw.t_in)}`);
    }
    t_in = raw.t_in as number;
  }
  if (raw.config !== undefined && !isObject(raw.config)) {
    fail(`"config" must be an object, got ${kindOf(raw.config)}`);
  }
  return {
    network: { neuron, sizes, weights },
    config: raw.config as TrainConfig | undefined,
    t_in,
    raw,
  };
}

/**
 * Serialises a network in the model format, weights as plain JSON numbers (one matrix row per line), or
 * base64 with `compact`. Numbers are written in shortest round-trip form, so reading gives the same bits.
 * @param network the network to write
 * @param extras extra top-level fields (training config, `t_in`, ...); they cannot replace the format's own
 * @param options `compact` weights
 * @returns the file's text, ending in a newline
 * @example
 * ```ts
 * await Deno.writeTextFile("model.json", modelFileJson(network, { t_in: 5 }));
 * ```
 */
export function modelFileJson(
  network: Network,
  extras: ModelExtras = {},
  options: ModelFileJsonOptions = {},
): string {
  validateNeuronParams(network.neuron);
  const { sizes, weights } = network;
  if (weights.length !== sizes.length - 1) {
    throw new RangeError(`network has ${sizes.length} sizes but ${weights.length} weight matrices`);
  }
  const n = network.neuron;
  const neuron: Record<string, number> = {
    tau_m: n.tau_m,
    tau_s: n.tau_s,
    theta: n.theta,
    t_max: n.t_max,
    max_spikes: n.max_spikes,
  };
  if (n.rho_min !== undefined) neuron.rho_min = n.rho_min;
  const reserved = new Set(["format", "version", "neuron", "layers"]);
  const parts = [
    `"format": ${JSON.stringify(MODEL_FORMAT)}`,
    `"version": ${MODEL_VERSION}`,
    `"neuron": ${JSON.stringify(neuron)}`,
  ];
  for (const [key, value] of Object.entries(extras)) {
    if (value === undefined || reserved.has(key)) continue;
    parts.push(`${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  }
  const layerTexts = weights.map((w, l) => {
    const rows = sizes[l];
    const cols = sizes[l + 1];
    if (w.length !== rows * cols) {
      throw new RangeError(`weights[${l}] has ${w.length} entries, expected ${rows} x ${cols}`);
    }
    if (options.compact) {
      return `    {"shape": [${rows}, ${cols}], "weights_b64": "${encodeFloat64Base64(w)}"}`;
    }
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) {
      const row: string[] = [];
      for (let j = 0; j < cols; j++) row.push(numberJson(w[i * cols + j], l, i, j));
      lines.push(`      [${row.join(", ")}]`);
    }
    return `    {"weights": [\n${lines.join(",\n")}\n    ]}`;
  });
  parts.push(`"layers": [\n${layerTexts.join(",\n")}\n  ]`);
  return `{\n  ${parts.join(",\n  ")}\n}\n`;
}

/**
 * Encodes float64 values as base64 of their little-endian bytes (the `weights_b64` encoding).
 * @param values values to encode
 * @returns base64 text
 */
export function encodeFloat64Base64(values: Float64Array): string {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i], true);
  const native = (bytes as Base64Bytes).toBase64;
  if (native) return native.call(bytes);
  // btoa takes a binary string; build it in chunks to stay below the argument-count limit.
  let binary = "";
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/**
 * Decodes the `weights_b64` encoding.
 * @param text base64 of little-endian float64 values
 * @returns the values
 * @throws SyntaxError when `text` is not base64 of a whole number of float64 values
 */
export function decodeFloat64Base64(text: string): Float64Array {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new SyntaxError("not valid base64");
  }
  const fromBase64 = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  let bytes: Uint8Array;
  if (fromBase64) bytes = fromBase64(text);
  else {
    const binary = atob(text);
    bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  }
  if (bytes.length % 8 !== 0) {
    throw new SyntaxError(`${bytes.length} bytes is not a whole number of float64 values`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const out = new Float64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

/** `Uint8Array.prototype.toBase64` (ES2026; in Deno 2.9), typed here for older TypeScript libs. */
type Base64Bytes = Uint8Array & { toBase64?: () => string };

type Fail = (problem: string) => never;

function parseNeuron(value: unknown, fail: Fail): NeuronParams {
  if (!isObject(value)) return fail(`"neuron" must be an object, got ${kindOf(value)}`);
  for (const key of ["tau_m", "tau_s", "theta", "t_max", "max_spikes"]) {
    if (!(key in value)) fail(`"neuron" lacks "${key}"`);
  }
  const neuron: NeuronParams = {
    tau_m: value.tau_m as number,
    tau_s: value.tau_s as number,
    theta: value.theta as number,
    t_max: value.t_max as number,
    max_spikes: value.max_spikes as number,
    ...(value.rho_min !== undefined ? { rho_min: value.rho_min as number } : {}),
  };
  try {
    return validateNeuronParams(neuron);
  } catch (e) {
    if (e instanceof RangeError) return fail(e.message);
    throw e;
  }
}

/** One layer's weights, (rows, cols) row-major, from either encoding. */
function parseLayer(
  layer: unknown,
  where: string,
  fail: Fail,
): { rows: number; cols: number; data: Float64Array } {
  if (!isObject(layer)) return fail(`${where} must be an object, got ${kindOf(layer)}`);
  if (layer.weights !== undefined) return parseNestedWeights(layer.weights, where, fail);
  if (layer.weights_b64 !== undefined) return parseCompactWeights(layer, where, fail);
  return fail(`${where} has neither "weights" nor "weights_b64"`);
}

function parseNestedWeights(w: unknown, where: string, fail: Fail) {
  if (!Array.isArray(w) || w.length === 0) {
    return fail(`${where}.weights must be a non-empty array of rows, got ${kindOf(w)}`);
  }
  const rows = w.length;
  if (!Array.isArray(w[0]) || w[0].length === 0) {
    return fail(`${where}.weights[0] must be a non-empty array of numbers, got ${kindOf(w[0])}`);
  }
  const cols = w[0].length;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const row = w[i];
    if (!Array.isArray(row)) fail(`${where}.weights[${i}] must be an array, got ${kindOf(row)}`);
    if (row.length !== cols) {
      fail(`${where}.weights is ragged: row ${i} has ${row.length} entries, row 0 has ${cols}`);
    }
    for (let j = 0; j < cols; j++) {
      const x = row[j];
      if (typeof x !== "number" || !Number.isFinite(x)) {
        fail(`${where}.weights[${i}][${j}] must be a finite number, got ${short(x)}`);
      }
      data[i * cols + j] = x;
    }
  }
  return { rows, cols, data };
}

function parseCompactWeights(layer: Record<string, unknown>, where: string, fail: Fail) {
  const shape = layer.shape;
  if (
    !Array.isArray(shape) || shape.length !== 2 ||
    !shape.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 1)
  ) {
    return fail(`${where}.shape must be [n_in, n_out] with integers >= 1, got ${short(shape)}`);
  }
  const [rows, cols] = shape as number[];
  if (typeof layer.weights_b64 !== "string") {
    return fail(`${where}.weights_b64 must be a string, got ${kindOf(layer.weights_b64)}`);
  }
  let data: Float64Array;
  try {
    data = decodeFloat64Base64(layer.weights_b64);
  } catch (e) {
    if (e instanceof SyntaxError) return fail(`${where}.weights_b64: ${e.message}`);
    throw e;
  }
  if (data.length !== rows * cols) {
    fail(`${where}.weights_b64 holds ${data.length} values but shape is ${rows} x ${cols}`);
  }
  const bad = data.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    fail(`${where}.weights_b64 entry [${Math.floor(bad / cols)}][${bad % cols}] is ${data[bad]}, not finite`);
  }
  return { rows, cols, data };
}

function numberJson(x: number, l: number, i: number, j: number): string {
  // JSON has no NaN or Infinity; writing `null` would make a file this loader rejects.
  if (!Number.isFinite(x)) throw new RangeError(`weights[${l}][${i}][${j}] is ${x}, not finite`);
  // JSON.stringify writes -0 as "0"; keep the sign so that reading gives the same bits.
  return Object.is(x, -0) ? "-0" : JSON.stringify(x);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function kindOf(x: unknown): string {
  if (x === undefined) return "nothing";
  if (x === null) return "null";
  if (Array.isArray(x)) return x.length === 0 ? "an empty array" : "an array";
  if (typeof x === "object") return "an object";
  return `${typeof x} ${short(x)}`;
}

/** A value for a one-line message: JSON, cut to 40 characters. */
function short(x: unknown): string {
  const s = x === undefined ? "nothing" : JSON.stringify(x) ?? String(x);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
