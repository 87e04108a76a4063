/**
 * Layer 0's input from images, encoded on the GPU (shaders/encode_input.wgsl): only the raw intensities of a
 * chunk go up (one byte per pixel for byte images, against 8 bytes per pixel of packed spikes), and the
 * kernel writes the (samples, n_in) counts and (samples, n_in, cap_in) times that `InputPacker` would write
 * from the spikes of `encodeImages`: for byte images the same f32 times, bit for bit.
 * @module
 */
import type { ImageBatch } from "../engine.ts";
import { byteSpikeTimes } from "../../data/encode.ts";
import { bindGroup, storageBuffer, uniformBuffer } from "./layer_state.ts";
import { type Pipelines, WORKGROUP } from "./pipelines.ts";
import type { PassRecorder } from "./profiler.ts";

/** The encode stage for one chunk size: its buffers and bind group, built once and reused by every chunk. */
export class ImageEncoder {
  /** EncodeParams of encode_input.wgsl. */
  readonly params: GPUBuffer;
  /** (samples, n_in) intensities: bytes packed 4 per u32, or f32. */
  readonly pixels: GPUBuffer;
  /** (256) f32 spike time of each byte intensity. */
  readonly table: GPUBuffer;
  readonly group: GPUBindGroup;
  readonly #pipeline: GPUComputePipeline;
  /**
   * Host staging of a chunk's intensities, as bytes (padded to whole u32 words: writeBuffer moves multiples
   * of 4 bytes) or floats (a copy, so that any Float32Array, shared memory included, can be written).
   */
  readonly #bytes: Uint8Array<ArrayBuffer>;
  readonly #floats: Float32Array<ArrayBuffer>;
  /** The window whose table is on the GPU (NaN: none yet). */
  #tableFor = NaN;

  /**
   * @param samples samples per chunk
   * @param nIn pixels per image = input neurons
   * @param capIn slots per input neuron of `target` (>= 1)
   * @param target layer 0's input: (samples, n_in) u32 counts, (samples, n_in, cap_in) f32 times
   */
  constructor(
    device: GPUDevice,
    pipelines: Pipelines,
    readonly samples: number,
    readonly nIn: number,
    readonly capIn: number,
    target: { count: GPUBuffer; time: GPUBuffer },
  ) {
    this.#pipeline = pipelines.encode_input;
    this.params = uniformBuffer(device, "encode_params", 32);
    this.pixels = storageBuffer(device, "pixels", samples * nIn * 4);
    this.table = storageBuffer(device, "spike_time_table", 256 * 4);
    const staging = new ArrayBuffer(samples * nIn * 4);
    this.#bytes = new Uint8Array(staging);
    this.#floats = new Float32Array(staging);
    this.group = bindGroup(device, pipelines.encode_input, "encode_input", [
      this.params,
      this.pixels,
      this.table,
      target.count,
      target.time,
    ]);
  }

  /** Bytes on the GPU. */
  get bytes(): number {
    return this.pixels.size + this.table.size + 32;
  }

  /** Queues the upload of samples `from .. from+m-1` of `batch` (at most `samples`) and the chunk's parameters. */
  upload(queue: GPUQueue, batch: ImageBatch, from: number, m: number): void {
    const n = m * this.nIn;
    const lo = from * this.nIn;
    const px = batch.pixels;
    const bytes = px instanceof Uint8Array;
    if (bytes) {
      if (batch.t_in !== this.#tableFor) {
        queue.writeBuffer(this.table, 0, Float32Array.from(byteSpikeTimes(batch.t_in)));
        this.#tableFor = batch.t_in;
      }
      const words = Math.ceil(n / 4) * 4;
      this.#bytes.set(px.subarray(lo, lo + n));
      this.#bytes.fill(0, n, words);
      if (words > 0) queue.writeBuffer(this.pixels, 0, this.#bytes, 0, words);
    } else if (n > 0) {
      this.#floats.set(px.subarray(lo, lo + n));
      queue.writeBuffer(this.pixels, 0, this.#floats, 0, n);
    }
    const u = new ArrayBuffer(32);
    new Uint32Array(u, 0, 4).set([this.nIn, this.capIn, m, bytes ? 0 : 1]);
    new Float32Array(u, 16, 1).set([batch.t_in]);
    queue.writeBuffer(this.params, 0, u);
  }

  /** Encodes the dispatch that fills layer 0's input for `m` samples. */
  run(rec: PassRecorder, m: number): void {
    rec.dispatch("encode", this.#pipeline, this.group, Math.ceil(this.nIn / WORKGROUP), m);
  }

  destroy(): void {
    for (const b of [this.params, this.pixels, this.table]) b.destroy();
  }
}
