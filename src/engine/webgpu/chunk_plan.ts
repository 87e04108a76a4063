/**
 * How many samples one submission takes: every per-chunk buffer must fit the adapter's binding and buffer
 * limits, all of them together the memory budget, and samples index dispatch dimensions.
 * @module
 */
import type { NetworkSpec } from "../engine.ts";
import { WebGpuError } from "./gpu_device.ts";
import { layerBytesPerSample, type LayerShape, nextPow2 } from "./layer_state.ts";

/** Limits of the chunk plan besides the adapter's. */
export interface ChunkLimits {
  /** Samples per chunk at most, e.g. 1024. */
  readonly maxChunk: number;
  /** Bytes all chunk buffers may take, e.g. 2 GiB. */
  readonly memoryBudget: number;
  /** Sorted-event slots per sample above the first layer; undefined: room for every spike. */
  readonly maxEventsPerSample?: number;
  /** Adapter description, for the error message. */
  readonly device: string;
}

/**
 * Plans the chunk size and every layer's working shape.
 * @param capIn0 events of one input neuron in one sample at most (slots of the first layer's input)
 * @throws WebGpuError when not even one sample fits
 */
export function planChunks(
  spec: NetworkSpec,
  capIn0: number,
  limits: GPUSupportedLimits,
  opts: ChunkLimits,
): { samples: number; shapes: Omit<LayerShape, "l" | "samples">[] } {
  const { sizes, neuron } = spec;
  const cap = neuron.max_spikes;
  const shapes = [];
  // Layer-0 input: counts, times and their gradients, image intensities (up to f32); labels and per-sample
  // results.
  let perSample = 2 * sizes[0] * capIn0 * 4 + 2 * sizes[0] * 4 + 16 + 4;
  let largest = sizes[0] * capIn0 * 4;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const capIn = l === 0 ? capIn0 : cap;
    // The first layer always has room for every input event (the packing sizes it); layers above may be capped.
    const room = l === 0 ? sizes[0] * capIn0 : Math.min(sizes[l] * cap, opts.maxEventsPerSample ?? Infinity);
    const shape = { nIn: sizes[l], nOut: sizes[l + 1], cap, capIn, capEv: nextPow2(Math.max(1, room)) };
    const b = layerBytesPerSample(shape);
    perSample += b.total;
    largest = Math.max(largest, b.largest);
    shapes.push(shape);
  }
  const binding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  // Samples are a dimension of most dispatches.
  const maxChunk = Math.min(opts.maxChunk, limits.maxComputeWorkgroupsPerDimension);
  const samples = Math.min(
    maxChunk,
    Math.floor(binding / largest),
    Math.floor(opts.memoryBudget / perSample),
  );
  if (samples < 1) {
    const mib = (x: number) => `${(x / 2 ** 20).toFixed(1)} MiB`;
    throw new WebGpuError(
      `one sample needs ${mib(largest)} in its largest buffer and ${
        mib(perSample)
      } in all; ${opts.device} binds ` +
        `at most ${mib(binding)} per buffer and the memory budget is ${mib(opts.memoryBudget)}`,
    );
  }
  return { samples, shapes };
}
