/**
 * The CPU engine: exact, double precision, the reference every other engine is held against.
 * Samples of a batch are split across worker threads when that pays off (see README, "Benchmarks").
 * @module
 */
import { validateNeuronParams } from "../../model/params.ts";
import { ADAM_DEFAULTS, adamStep, newAdamState } from "../adam.ts";
import {
  type AdamConfig,
  type AdamState,
  addStats,
  emptyStats,
  type Engine,
  type EngineInput,
  type EvalResult,
  type ForwardResult,
  type GradientResult,
  isImageBatch,
  type LossConfig,
  type Network,
  type NetworkSpec,
  type SpikeInput,
  type StepMetrics,
} from "../engine.ts";
import { checkImageBatch, checkInput, checkLabels, checkShapes } from "../checks.ts";
import { checkDropout, type DropoutConfig } from "../dropout.ts";
import { encodeImages } from "../../data/encode.ts";
import { BatchRunner, type RangeResult } from "./batch_runner.ts";
import type { WorkerInit, WorkerJob } from "./worker.ts";

/** Options of the CPU engine. */
export interface CpuEngineOptions {
  /**
   * Threads: 1 runs on the calling thread; n > 1 splits every batch of at least n samples over n workers;
   * 0 (default) picks one per core, used only for batches big enough to gain from it.
   */
  readonly workers?: number;
}

/**
 * Below this many synaptic weight visits per batch (sum nIn*nOut x samples), threads cost more than they gain.
 * Measured on 2 free cores (trainStep, x2 against x1): a worker round trip costs about 1 ms; Yin-Yang 5-120-3
 * (960 synapses) breaks even at batch 8 and gains 1.25x at 16, 1.3-1.5x at 32; MNIST 784-800-10 gains at
 * any batch of 2 or more.
 */
const MIN_WORK_FOR_WORKERS = 15_000;

interface WorkerSlot {
  worker: Worker;
  grads: Float64Array[];
}

/** Exact event-driven engine in TypeScript. */
export class CpuEngine implements Engine {
  readonly device = "cpu";
  /** One step at a time: `trainStep` works on the host arrays until its promise settles. */
  readonly stepsInFlight = 1;
  readonly spec: NetworkSpec;
  readonly #weights: Float64Array[];
  readonly #runner: BatchRunner;
  readonly #grads: Float64Array[];
  readonly #threads: number;
  readonly #auto: boolean;
  #workers: Promise<WorkerSlot[]> | undefined;
  #adam: AdamState;

  constructor(network: Network, options: CpuEngineOptions = {}) {
    validateNeuronParams(network.neuron);
    const sizes = [...network.sizes];
    checkShapes(sizes, network.weights);
    this.spec = { neuron: { ...network.neuron }, sizes };
    // Weights live in shared memory so that workers read the current values without copies.
    this.#weights = network.weights.map((w) => {
      const shared = new Float64Array(new SharedArrayBuffer(w.length * 8));
      shared.set(w);
      return shared;
    });
    this.#grads = this.#weights.map((w) => new Float64Array(w.length));
    this.#runner = new BatchRunner(this.spec.neuron, sizes, this.#weights);
    const requested = options.workers ?? 0;
    this.#auto = requested === 0;
    this.#threads = requested === 0 ? Math.max(1, navigator.hardwareConcurrency ?? 1) : requested;
    this.#adam = newAdamState(this.#weights);
  }

  getWeights(): Promise<Float64Array[]> {
    return Promise.resolve(this.#weights.map((w) => new Float64Array(w)));
  }

  setWeights(weights: Float64Array[]): Promise<void> {
    checkShapes(this.spec.sizes, weights);
    for (let l = 0; l < weights.length; l++) this.#weights[l].set(weights[l]);
    return Promise.resolve();
  }

  async forward(input: EngineInput): Promise<ForwardResult> {
    const r = await this.#run(this.#spikes(input), { keepSpikes: true, withGrads: false, gradScale: 1 });
    return this.#forwardResult(r);
  }

  /** The spikes a run kept, in the layout of the engine interface. */
  #forwardResult(r: RangeResult): ForwardResult {
    const cap = this.spec.neuron.max_spikes;
    return {
      layers: r.spikes!.map((s, l) => ({
        neurons: this.spec.sizes[l + 1],
        capacity: cap,
        count: s.count,
        time: s.time,
      })),
      stats: r.stats,
    };
  }

  async evaluate(input: EngineInput, labels: Int32Array, loss: LossConfig): Promise<EvalResult> {
    return await this.#run(this.#spikes(input), {
      keepSpikes: false,
      labels,
      loss,
      withGrads: false,
      gradScale: 1,
    });
  }

  async gradients(
    input: EngineInput,
    labels: Int32Array,
    loss: LossConfig,
    dropout?: DropoutConfig,
  ): Promise<GradientResult> {
    checkDropout(dropout);
    const spikes = this.#spikes(input);
    const inputGrads = new Float64Array(spikes.time.length);
    const r = await this.#run(
      spikes,
      { keepSpikes: true, labels, loss, withGrads: true, gradScale: 1, dropout },
      inputGrads,
    );
    return {
      loss: r.loss,
      predictions: r.predictions,
      correct: r.correct,
      weightGrads: this.#grads.map((g) => new Float64Array(g)),
      inputGrads: isImageBatch(input) ? this.#pixelGrads(spikes, inputGrads) : inputGrads,
      forward: this.#forwardResult(r),
    };
  }

  async trainStep(
    input: EngineInput,
    labels: Int32Array,
    loss: LossConfig,
    adam: AdamConfig,
    dropout?: DropoutConfig,
  ): Promise<StepMetrics> {
    checkDropout(dropout);
    const r = await this.#run(this.#spikes(input), {
      keepSpikes: false,
      labels,
      loss,
      withGrads: true,
      gradScale: 1 / input.size,
      dropout,
    });
    adamStep(this.#weights, this.#grads, this.#adam, { ...ADAM_DEFAULTS, ...adam });
    return { loss: r.loss, correct: r.correct, size: input.size, stats: r.stats };
  }

  getOptimizerState(): Promise<AdamState> {
    const s = this.#adam;
    return Promise.resolve({
      step: s.step,
      m: s.m.map((x) => new Float64Array(x)),
      v: s.v.map((x) => new Float64Array(x)),
    });
  }

  setOptimizerState(state: AdamState): Promise<void> {
    checkShapes(this.spec.sizes, state.m);
    checkShapes(this.spec.sizes, state.v);
    this.#adam = {
      step: state.step,
      m: state.m.map((x) => new Float64Array(x)),
      v: state.v.map((x) => new Float64Array(x)),
    };
    return Promise.resolve();
  }

  dispose(): void {
    const pending = this.#workers;
    this.#workers = undefined;
    pending?.then((slots) => slots.forEach((s) => s.worker.terminate()));
  }

  /** The batch as spike trains: images encoded on the host by the rule every engine uses (encodeImages). */
  #spikes(input: EngineInput): SpikeInput {
    if (!isImageBatch(input)) return input;
    checkImageBatch(input, this.spec.sizes[0]);
    return encodeImages(input, this.spec.sizes[0]);
  }

  /** Per-event input gradients of encoded images as (size, n_in) per pixel; 0 where a pixel sent no spike. */
  #pixelGrads(spikes: SpikeInput, grads: Float64Array): Float64Array {
    const nIn = this.spec.sizes[0];
    const out = new Float64Array(spikes.size * nIn);
    for (let s = 0; s < spikes.size; s++) {
      for (let e = spikes.offsets[s]; e < spikes.offsets[s + 1]; e++) {
        out[s * nIn + spikes.neuron[e]] = grads[e];
      }
    }
    return out;
  }

  /** Runs the whole batch, on this thread or split over workers; dW lands in `this.#grads`. */
  async #run(
    input: SpikeInput,
    job: Omit<WorkerJob, "kind" | "input" | "from" | "to">,
    inputGrads?: Float64Array,
  ): Promise<RangeResult> {
    checkInput(input, this.spec.sizes[0]);
    if (job.labels) checkLabels(job.labels, input.size, this.spec.sizes[this.spec.sizes.length - 1]);
    for (const g of this.#grads) g.fill(0);
    const parts = this.#partition(input.size);
    // This thread's own range: into this.#grads (workers write their slots' grads, summed below).
    const runHere = (from: number, to: number) =>
      this.#runner.run(input, {
        from,
        to,
        keepSpikes: job.keepSpikes,
        labels: job.labels,
        loss: job.loss,
        dW: job.withGrads ? this.#grads : undefined,
        inputGrads,
        gradScale: job.gradScale,
        dropout: job.dropout,
      });
    if (parts.length <= 1) return runHere(0, input.size);
    // The calling thread runs the first range itself (its JIT is warm and its input needs no copy) while
    // workers run the others; dW and input gradients are summed in range order, as before.
    const slots = await this.#startWorkers();
    const pending = parts.slice(1).map(([from, to], k) => {
      const msg: WorkerJob = { kind: "job", input, from, to, ...job };
      return new Promise<{ result: RangeResult; inputGrads?: Float64Array }>((resolve, reject) => {
        const worker = slots[k].worker;
        worker.onmessage = (ev) => resolve(ev.data);
        worker.onerror = (ev) => {
          ev.preventDefault();
          reject(new Error(`CPU engine worker failed: ${ev.message}`));
        };
        worker.postMessage(msg);
      });
    });
    const others = Promise.all(pending);
    others.catch(() => {}); // reported below; not unhandled if this thread's own range throws first
    const own = runHere(parts[0][0], parts[0][1]);
    const results = [{ result: own, inputGrads }, ...await others];
    if (job.withGrads) {
      for (let w = 1; w < parts.length; w++) {
        for (let l = 0; l < this.#grads.length; l++) {
          const into = this.#grads[l];
          const from = slots[w - 1].grads[l];
          for (let i = 0; i < into.length; i++) into[i] += from[i];
        }
        if (inputGrads) {
          const [from, to] = parts[w];
          const lo = input.offsets[from];
          const hi = input.offsets[to];
          inputGrads.set(results[w].inputGrads!.subarray(lo, hi), lo);
        }
      }
    }
    return mergeResults(results.map((r) => r.result), this.spec.sizes.length - 1);
  }

  /** Sample ranges, one per thread that will run. */
  #partition(size: number): [number, number][] {
    let threads = Math.min(this.#threads, size);
    if (this.#auto) {
      let synapses = 0;
      for (const w of this.#weights) synapses += w.length;
      if (synapses * size < MIN_WORK_FOR_WORKERS) threads = 1;
    }
    if (threads <= 1) return [[0, size]];
    const parts: [number, number][] = [];
    for (let w = 0; w < threads; w++) {
      parts.push([Math.floor(w * size / threads), Math.floor((w + 1) * size / threads)]);
    }
    return parts;
  }

  #startWorkers(): Promise<WorkerSlot[]> {
    // One thread fewer than `#threads`: the calling thread runs a range too.
    this.#workers ??= Promise.all(Array.from({ length: this.#threads - 1 }, () => {
      const worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
      const gradBuffers = this.#weights.map((w) => new SharedArrayBuffer(w.length * 8));
      const init: WorkerInit = {
        kind: "init",
        neuron: this.spec.neuron,
        sizes: [...this.spec.sizes],
        weights: this.#weights.map((w) => w.buffer as SharedArrayBuffer),
        grads: gradBuffers,
      };
      return new Promise<WorkerSlot>((resolve, reject) => {
        worker.onmessage = () => resolve({ worker, grads: gradBuffers.map((b) => new Float64Array(b)) });
        worker.onerror = (ev) => {
          ev.preventDefault();
          reject(new Error(`CPU engine worker failed to start: ${ev.message}`));
        };
        worker.postMessage(init);
      });
    }));
    return this.#workers;
  }
}

/** The arrays `parts` one after the other in one new array of the same type. */
function concat<T extends Int32Array | Float64Array>(
  Type: { new (length: number): T },
  parts: readonly T[],
): T {
  const out = new Type(parts.reduce((n, x) => n + x.length, 0));
  let o = 0;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

function mergeResults(parts: RangeResult[], layers: number): RangeResult {
  const stats = emptyStats(layers);
  for (const p of parts) addStats(stats, p.stats);
  return {
    loss: parts.reduce((s, p) => s + p.loss, 0),
    correct: parts.reduce((s, p) => s + p.correct, 0),
    ties: parts.reduce((s, p) => s + p.ties, 0),
    predictions: concat(Int32Array, parts.map((p) => p.predictions)),
    decisionTime: concat(Float64Array, parts.map((p) => p.decisionTime)),
    stats,
    spikes: parts[0].spikes
      ? parts[0].spikes.map((_, l) => ({
        count: concat(Int32Array, parts.map((p) => p.spikes![l].count)),
        time: concat(Float64Array, parts.map((p) => p.spikes![l].time)),
      }))
      : undefined,
  };
}
