/**
 * Optional GPU timing per phase of a step (encode, sort, sweep, loss, backward, stats, update) with timestamp
 * queries: each dispatch gets its own compute pass with begin/end timestamps. Off by default (one pass per
 * step is cheaper); the benchmark turns it on. Every submission resolves its own timestamps into its own
 * readback, so several may be in flight.
 * @module
 */

/** Phases of a step, as the benchmark reports them. */
export type Phase = "encode" | "sort" | "sweep" | "loss" | "backward" | "stats" | "update";

const MAX_PASSES = 256;

/** Timestamp bookkeeping: the passes of the submission being encoded, and totals over collected ones. */
export class Profiler {
  readonly querySet: GPUQuerySet;
  readonly resolve: GPUBuffer;
  #phases: Phase[] = [];
  /** Nanoseconds per phase summed over every profiled submission. */
  readonly totals: Record<Phase, number> = {
    encode: 0,
    sort: 0,
    sweep: 0,
    loss: 0,
    backward: 0,
    stats: 0,
    update: 0,
  };

  constructor(device: GPUDevice) {
    this.querySet = device.createQuerySet({
      label: "phase timestamps",
      type: "timestamp",
      count: 2 * MAX_PASSES,
    });
    this.resolve = device.createBuffer({
      label: "phase timestamps",
      size: 2 * MAX_PASSES * 8,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
  }

  /** Timestamp writes for the next pass, or undefined when the query set is full. */
  next(phase: Phase): GPUComputePassTimestampWrites | undefined {
    const k = this.#phases.length;
    if (k >= MAX_PASSES) return undefined;
    this.#phases.push(phase);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * k, endOfPassWriteIndex: 2 * k + 1 };
  }

  /** Bytes of resolved timestamps of the passes recorded so far. */
  get bytes(): number {
    return this.#phases.length * 16;
  }

  /**
   * Encodes the resolve of this submission's timestamps (before its readback copy, which must take `bytes`
   * first) and starts the next submission.
   * @returns the phases of this submission's passes, for `collect`
   */
  encodeResolve(encoder: GPUCommandEncoder): Phase[] {
    const phases = this.#phases;
    if (phases.length > 0) encoder.resolveQuerySet(this.querySet, 0, 2 * phases.length, this.resolve, 0);
    this.#phases = [];
    return phases;
  }

  /** Adds the resolved timestamps of one submission (its `phases`) to the totals. */
  collect(data: ArrayBuffer, phases: readonly Phase[]): void {
    const ts = new BigInt64Array(data);
    phases.forEach((p, k) => {
      const dt = Number(ts[2 * k + 1] - ts[2 * k]);
      if (dt > 0) this.totals[p] += dt;
    });
  }

  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
  }
}

/** Encodes dispatches: all in one compute pass, or one timed pass each when profiling. */
export class PassRecorder {
  #pass: GPUComputePassEncoder | null = null;

  constructor(readonly encoder: GPUCommandEncoder, readonly profiler: Profiler | null) {}

  dispatch(phase: Phase, pipeline: GPUComputePipeline, group: GPUBindGroup, x: number, y = 1): void {
    if (x === 0 || y === 0) return;
    if (this.profiler) {
      const pass = this.encoder.beginComputePass({
        label: phase,
        timestampWrites: this.profiler.next(phase),
      });
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(x, y);
      pass.end();
      return;
    }
    this.#pass ??= this.encoder.beginComputePass({ label: "step" });
    this.#pass.setPipeline(pipeline);
    this.#pass.setBindGroup(0, group);
    this.#pass.dispatchWorkgroups(x, y);
  }

  end(): void {
    this.#pass?.end();
    this.#pass = null;
  }
}
