/**
 * The file formats of `simulate` (README, "File formats"):
 * - input spikes: `[[neuron, time], ...]`, any order;
 * - output spikes: `{"layers": [[[t, ...] for each neuron] for each layer]}`, times ascending;
 * - gradients: `{"loss": x, "layers": [{"weights": dL/dW}, ...], "input_grads": [dL/dt, ...]}`.
 * @module
 */
import type { LayerSpikes, SpikeInput } from "../engine/engine.ts";
import { ioReason, UsageError } from "./errors.ts";

/**
 * Reads a JSON file the user gave; unreadable or invalid JSON is a `UsageError` naming the file.
 * @param path file to read
 * @param what what the file is, for the message, e.g. "input file"
 * @returns the parsed JSON
 */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${ioReason(e)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${e instanceof Error ? e.message : e}`);
  }
}

/**
 * Checks input spikes `[[neuron, time], ...]` and packs them as a batch of one sample, in file order.
 * @param raw parsed JSON
 * @param source file name for messages
 * @param inputSize number of input neurons of the model
 * @returns one sample; events in file order, so `inputGrads[k]` belongs to the k-th pair of the file
 */
export function parseSpikeInput(raw: unknown, source: string, inputSize: number): SpikeInput {
  const fail = (problem: string): never => {
    throw new UsageError(`input file ${source}: ${problem}`);
  };
  if (!Array.isArray(raw)) return fail("expected an array of [neuron, time] pairs");
  const neuron = new Int32Array(raw.length);
  const time = new Float64Array(raw.length);
  raw.forEach((pair: unknown, k: number) => {
    if (!Array.isArray(pair) || pair.length !== 2) {
      fail(`entry ${k} must be a [neuron, time] pair, got ${JSON.stringify(pair)?.slice(0, 40)}`);
    }
    const [n, t] = pair as unknown[];
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n >= inputSize) {
      fail(
        `entry ${k}: neuron must be an integer in 0..${
          inputSize - 1
        } (the model has ${inputSize} inputs), got ${JSON.stringify(n)}`,
      );
    }
    if (typeof t !== "number" || !Number.isFinite(t) || t < 0) {
      fail(`entry ${k}: time must be a finite number >= 0, got ${JSON.stringify(t)}`);
    }
    neuron[k] = n as number;
    time[k] = t as number;
  });
  return { size: 1, offsets: Int32Array.of(0, raw.length), neuron, time };
}

/**
 * Spike times of sample `sample` as nested arrays.
 * @param layer spikes of one layer over a batch
 * @param sample index of the sample
 * @returns (neurons) arrays of spike times, ascending
 */
export function sampleSpikes(layer: LayerSpikes, sample: number): number[][] {
  const { neurons, capacity, count, time } = layer;
  return Array.from({ length: neurons }, (_, i) => {
    const base = (sample * neurons + i) * capacity;
    return Array.from(time.subarray(base, base + count[sample * neurons + i]));
  });
}

/**
 * The output file's text: one neuron's spike times per line.
 * @param layers (layers, neurons, spikes) spike times of every non-input layer
 */
export function spikesJson(layers: number[][][]): string {
  const body = layers.map((neurons) =>
    `    [\n${neurons.map((ts) => `      ${numbersJson(ts)}`).join(",\n")}\n    ]`
  );
  return `{\n  "layers": [\n${body.join(",\n")}\n  ]\n}\n`;
}

/**
 * The gradients file's text, weights in the model file's layout (one matrix row per line).
 * @param loss the loss of the sample
 * @param grads dL/dW per layer, (sizes[l], sizes[l+1]) row-major
 * @param sizes layer sizes including the input
 * @param inputGrads (events) dL/dt of every input spike, in the input file's order
 */
export function gradsJson(
  loss: number,
  grads: Float64Array[],
  sizes: readonly number[],
  inputGrads: Float64Array,
): string {
  const layers = grads.map((g, l) => {
    const cols = sizes[l + 1];
    const rows: string[] = [];
    for (let i = 0; i < sizes[l]; i++) {
      rows.push(`      ${numbersJson(g.subarray(i * cols, (i + 1) * cols))}`);
    }
    return `    {"weights": [\n${rows.join(",\n")}\n    ]}`;
  });
  return `{\n  "loss": ${numberJson(loss)},\n  "layers": [\n${layers.join(",\n")}\n  ],\n` +
    `  "input_grads": ${numbersJson(inputGrads)}\n}\n`;
}

function numbersJson(xs: ArrayLike<number>): string {
  return `[${Array.from(xs, numberJson).join(", ")}]`;
}

function numberJson(x: number): string {
  // A NaN or infinity here is a bug upstream; JSON would silently turn it into null.
  if (!Number.isFinite(x)) throw new RangeError(`cannot write ${x} as JSON`);
  return JSON.stringify(x);
}
