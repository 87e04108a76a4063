/**
 * One reusable staging buffer for everything that comes back from the GPU: a step copies its results into
 * it inside its own command encoder (so a step stays one submission), then maps it once.
 * @module
 */

/** A region of a GPU buffer to bring back. */
export interface ReadItem {
  readonly buffer: GPUBuffer;
  readonly bytes: number;
}

/** Staging area grown on demand; `stage` encodes copies, `fetch` maps and returns one ArrayBuffer per item. */
export class Readback {
  #buffer: GPUBuffer | null = null;
  #items: { offset: number; bytes: number }[] = [];

  constructor(readonly device: GPUDevice) {}

  /** Encodes copies of `items` into the staging buffer (replacing what an earlier `stage` queued). */
  stage(encoder: GPUCommandEncoder, items: readonly ReadItem[]): void {
    let total = 0;
    const placed = items.map((it) => {
      const offset = total;
      total += Math.ceil(it.bytes / 8) * 8;
      return { offset, bytes: it.bytes };
    });
    if (!this.#buffer || this.#buffer.size < total) {
      this.#buffer?.destroy();
      this.#buffer = this.device.createBuffer({
        label: "readback",
        size: Math.max(256, Math.ceil(total * 1.25 / 256) * 256),
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
    }
    items.forEach((it, k) => {
      if (it.bytes > 0) encoder.copyBufferToBuffer(it.buffer, 0, this.#buffer!, placed[k].offset, it.bytes);
    });
    this.#items = placed;
  }

  /** Maps the staging buffer after the submission that holds the copies; one ArrayBuffer per staged item. */
  async fetch(): Promise<ArrayBuffer[]> {
    const buf = this.#buffer!;
    const end = this.#items.reduce((n, it) => Math.max(n, it.offset + Math.ceil(it.bytes / 8) * 8), 8);
    await buf.mapAsync(GPUMapMode.READ, 0, end);
    try {
      const all = buf.getMappedRange(0, end);
      return this.#items.map((it) => all.slice(it.offset, it.offset + it.bytes));
    } finally {
      buf.unmap();
    }
  }

  destroy(): void {
    this.#buffer?.destroy();
    this.#buffer = null;
  }
}
