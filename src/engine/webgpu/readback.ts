/**
 * Staging buffers for everything that comes back from the GPU: a submission copies its results into one of
 * them inside its own command encoder (so a step stays one submission), then maps it once. Buffers come from
 * a small pool, one per submission in flight (two when a training step is queued behind the previous one's
 * metrics: double buffering), and go back to it once read.
 * @module
 */

/** A region of a GPU buffer to bring back. */
export interface ReadItem {
  readonly buffer: GPUBuffer;
  readonly bytes: number;
}

/** The copies one submission staged: where each item sits in its staging buffer. */
export interface Staged {
  readonly buffer: GPUBuffer;
  readonly items: readonly { readonly offset: number; readonly bytes: number }[];
}

/** Pool of staging buffers, grown on demand; `stage` encodes copies, `fetch` maps and returns one ArrayBuffer per item. */
export class Readback {
  /** Buffers not staged into by a submission whose data is still to be fetched. */
  #free: GPUBuffer[] = [];
  #all = new Set<GPUBuffer>();

  constructor(readonly device: GPUDevice) {}

  /** Encodes copies of `items` into a staging buffer of its own (until `fetch` returns it). */
  stage(encoder: GPUCommandEncoder, items: readonly ReadItem[]): Staged {
    let total = 0;
    const placed = items.map((it) => {
      const offset = total;
      total += Math.ceil(it.bytes / 8) * 8;
      return { offset, bytes: it.bytes };
    });
    let buffer = this.#free.pop();
    if (!buffer || buffer.size < total) {
      if (buffer) {
        this.#all.delete(buffer);
        buffer.destroy();
      }
      buffer = this.device.createBuffer({
        label: "readback",
        size: Math.max(256, Math.ceil(total * 1.25 / 256) * 256),
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      this.#all.add(buffer);
    }
    items.forEach((it, k) => {
      if (it.bytes > 0) encoder.copyBufferToBuffer(it.buffer, 0, buffer, placed[k].offset, it.bytes);
    });
    return { buffer, items: placed };
  }

  /** Maps the staging buffer of `staged` once its submission is done; one ArrayBuffer per staged item. */
  async fetch(staged: Staged): Promise<ArrayBuffer[]> {
    const buf = staged.buffer;
    const end = staged.items.reduce((n, it) => Math.max(n, it.offset + Math.ceil(it.bytes / 8) * 8), 8);
    await buf.mapAsync(GPUMapMode.READ, 0, end);
    try {
      const all = buf.getMappedRange(0, end);
      return staged.items.map((it) => all.slice(it.offset, it.offset + it.bytes));
    } finally {
      buf.unmap();
      this.#free.push(buf);
    }
  }

  destroy(): void {
    for (const b of this.#all) b.destroy();
    this.#all.clear();
    this.#free = [];
  }
}
