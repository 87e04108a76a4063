/**
 * The WebGPU engine: the `Engine` contract of src/engine/engine.ts in f32 WGSL compute shaders
 * (shaders/*.wgsl). A step is one submission per chunk of samples: the encoding of images into input spikes
 * (for an `ImageBatch`; spike trains are packed on the host), per layer a GPU sort of the events it receives
 * and the exact event sweep, then the loss, per layer (top down) the adjoint recursion, weight gradients and
 * input-time gradients, and the Adam update of the last chunk. Weights and moments stay on the GPU; only
 * metrics come back, and a training step is queued before they do, so the next one can follow it
 * (`stepsInFlight`). The CPU engine is the reference (tests/webgpu_test.ts, tests/webgpu_input_test.ts).
 * @module
 */
import { validateNeuronParams } from "../../model/params.ts";
import { ADAM_DEFAULTS } from "../adam.ts";
import { checkDropout, type DropoutConfig } from "../dropout.ts";
import {
  type AdamConfig,
  type AdamState,
  emptyOutcome,
  type Engine,
  type EngineInput,
  type EvalResult,
  type ForwardResult,
  type GradientResult,
  isImageBatch,
  type LossConfig,
  type Network,
  type NetworkSpec,
  type StepMetrics,
} from "../engine.ts";
import { type AdapterKind, type GpuContext, openDevice, WebGpuError } from "./gpu_device.ts";
import { eventsPerInputNeuron, InputPacker } from "./input_pack.ts";
import { planChunks } from "./chunk_plan.ts";
import { bindGroup, LayerState, nextPow2, storageBuffer, uniformBuffer, WeightState } from "./layer_state.ts";
import { createPipelines, type Pipelines } from "./pipelines.ts";
import { type Phase, Profiler } from "./profiler.ts";
import { Readback, type Staged } from "./readback.ts";
import { checkEngineInput, checkLabels, checkShapes } from "../checks.ts";
import {
  type ChunkState,
  collectChunk,
  encodeChunk,
  type RunPlan,
  type RunResult,
  type SubmittedChunk,
} from "./chunk_step.ts";
import { ImageEncoder } from "./image_encoder.ts";

export { probeHardwareAdapter, WebGpuError } from "./gpu_device.ts";
export type { AdapterProbe } from "./gpu_device.ts";

/** Options of the WebGPU engine. */
export interface WebGpuEngineOptions {
  /** "hardware": refuse software adapters (llvmpipe); "any": take whatever adapter exists. */
  readonly adapter: AdapterKind;
  /** Samples per submission at most, e.g. 1024; batches are split into chunks of this size. */
  readonly maxChunk?: number;
  /** Working memory the chunk buffers may take, in bytes, e.g. 2 GiB. */
  readonly memoryBudget?: number;
  /**
   * Sorted-event slots per sample of the layers above the first, e.g. 4096; spikes beyond are dropped and
   * counted (LayerStats.overflow). Default: room for every spike (n_in * max_spikes).
   */
  readonly maxEventsPerSample?: number;
  /** Time every phase with timestamp queries (when the adapter has them); see `phaseTimes`. */
  readonly profile?: boolean;
}

/**
 * Opens a WebGPU device and builds an engine for `network` on it.
 * @throws WebGpuError when no adapter of the requested kind exists or GPU memory runs out
 */
export async function createWebGpuEngine(network: Network, opts: WebGpuEngineOptions): Promise<WebGpuEngine> {
  validateNeuronParams(network.neuron);
  checkShapes(network.sizes, network.weights);
  for (const n of network.sizes) {
    if (n > 65535) {
      throw new RangeError(`The WebGPU engine supports layers of at most 65535 neurons, got ${n}`);
    }
  }
  const ctx = await openDevice(opts.adapter);
  try {
    const pipelines = await createPipelines(ctx.device, network.neuron);
    const engine = new WebGpuEngine(ctx, pipelines, network, opts);
    await engine.ready();
    return engine;
  } catch (e) {
    ctx.device.destroy();
    throw e;
  }
}

const DEFAULT_MAX_CHUNK = 1024;
const DEFAULT_BUDGET = 2 * 1024 ** 3;

/** The engine; build it with `createWebGpuEngine`. */
export class WebGpuEngine implements Engine {
  readonly device: string;
  /**
   * A training step is submitted whole before `trainStep` returns its promise, and its metrics come back
   * through a staging buffer of its own: the next step can be queued while they are on their way. The GPU
   * queue runs the steps in call order, so the weights are those of awaiting every step.
   */
  readonly stepsInFlight = 2;
  readonly spec: NetworkSpec;
  readonly #ctx: GpuContext;
  readonly #gpu: GPUDevice;
  readonly #pipes: Pipelines;
  readonly #opts: WebGpuEngineOptions;
  readonly #weights: WeightState[];
  readonly #readback: Readback;
  readonly #profiler: Profiler | null;
  readonly #labels: GPUBuffer;
  readonly #result: GPUBuffer;
  readonly #lossParams: GPUBuffer;
  #lossGroup!: GPUBindGroup;
  #layers: LayerState[] = [];
  #inCount!: GPUBuffer;
  #inTime!: GPUBuffer;
  #inGrad!: GPUBuffer;
  #packer!: InputPacker;
  #images!: ImageEncoder;
  /** Samples per chunk now; buffers grow (in powers of two) up to #chunkMax as batches need them. */
  #chunk = 0;
  /** Samples per chunk at most, from the adapter's limits and the memory budget. */
  #chunkMax = 0;
  #adamStep = 0;
  #lost: string | null = null;
  #gpuError: GPUError | null = null;
  #disposed = false;

  /** Use `createWebGpuEngine`. */
  constructor(ctx: GpuContext, pipelines: Pipelines, network: Network, opts: WebGpuEngineOptions) {
    this.#ctx = ctx;
    this.#gpu = ctx.device;
    this.#pipes = pipelines;
    this.#opts = opts;
    this.device = ctx.description;
    this.spec = { neuron: { ...network.neuron }, sizes: [...network.sizes] };
    const gpu = this.#gpu;
    gpu.lost.then((info) => {
      if (!this.#disposed) this.#lost = info.message || String(info.reason);
    });
    gpu.addEventListener("uncapturederror", (ev) => {
      this.#gpuError ??= (ev as GPUUncapturedErrorEvent).error;
    });
    gpu.pushErrorScope("out-of-memory");
    const sizes = this.spec.sizes;
    this.#weights = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      this.#weights.push(new WeightState(gpu, pipelines, l, sizes[l], sizes[l + 1]));
    }
    this.#readback = new Readback(gpu);
    this.#profiler = opts.profile && ctx.timestamps ? new Profiler(gpu) : null;
    const maxChunk = opts.maxChunk ?? DEFAULT_MAX_CHUNK;
    this.#labels = storageBuffer(gpu, "labels", maxChunk * 4);
    this.#result = storageBuffer(gpu, "result", maxChunk * 16);
    this.#lossParams = uniformBuffer(gpu, "loss_params", 48);
    this.#build(1, 1);
    this.#writeWeights(network.weights);
    for (const w of this.#weights) {
      gpu.queue.writeBuffer(w.m, 0, new Float32Array(w.size));
      gpu.queue.writeBuffer(w.v, 0, new Float32Array(w.size));
    }
    this.#created = gpu.popErrorScope().then((e) => {
      if (e) this.#gpuError ??= e;
    });
  }

  readonly #created: Promise<void>;

  /** Resolves once every buffer of the engine exists; throws WebGpuError when GPU memory ran out. */
  async ready(): Promise<void> {
    await this.#created;
    this.#check();
  }

  /** GPU time per phase in ms, summed over every step since creation (needs `profile: true`). */
  get phaseTimes(): Record<Phase, number> | null {
    if (!this.#profiler) return null;
    const t = this.#profiler.totals;
    return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v / 1e6])) as Record<Phase, number>;
  }

  /** Bytes of every GPU buffer the engine holds. */
  get gpuBytes(): number {
    let total = this.#weights.reduce((n, w) => n + w.bytes, 0) +
      this.#layers.reduce((n, l) => n + l.bytes, 0);
    total += this.#inCount.size + this.#inTime.size + this.#inGrad.size + this.#images.bytes +
      this.#labels.size + this.#result.size;
    return total;
  }

  /** Samples per submission. */
  get chunkSize(): number {
    return this.#chunk;
  }

  /**
   * (Re)builds the per-chunk working buffers for `capIn0` slots per input neuron (events of one input neuron
   * in one sample) and batches of `samples`, within the chunk size the adapter's limits and the memory budget
   * allow.
   */
  #build(capIn0: number, samples: number): void {
    const gpu = this.#gpu;
    const { sizes } = this.spec;
    const L = sizes.length - 1;
    const plan = planChunks(this.spec, capIn0, this.#ctx.limits, {
      maxChunk: this.#opts.maxChunk ?? DEFAULT_MAX_CHUNK,
      memoryBudget: this.#opts.memoryBudget ?? DEFAULT_BUDGET,
      maxEventsPerSample: this.#opts.maxEventsPerSample,
      device: this.device,
    });
    const shapes = plan.shapes;
    const m = Math.min(plan.samples, nextPow2(samples));
    this.#chunkMax = plan.samples;
    for (const s of this.#layers) s.destroy();
    this.#inCount?.destroy();
    this.#inTime?.destroy();
    this.#inGrad?.destroy();
    this.#images?.destroy();
    this.#chunk = m;
    this.#inCount = storageBuffer(gpu, "input_count", m * sizes[0] * 4);
    this.#inTime = storageBuffer(gpu, "input_time", m * sizes[0] * capIn0 * 4);
    this.#inGrad = storageBuffer(gpu, "input_grad", m * sizes[0] * capIn0 * 4);
    this.#packer = new InputPacker(m, sizes[0], capIn0);
    this.#images = new ImageEncoder(gpu, this.#pipes, m, sizes[0], capIn0, {
      count: this.#inCount,
      time: this.#inTime,
    });
    this.#layers = [];
    for (let l = 0; l < L; l++) {
      const below = l === 0 ? { count: this.#inCount, time: this.#inTime, grad: this.#inGrad } : {
        count: this.#layers[l - 1].count,
        time: this.#layers[l - 1].time,
        grad: this.#layers[l - 1].gTime,
      };
      this.#layers.push(
        new LayerState(gpu, this.#pipes, { l, samples: m, ...shapes[l] }, this.#weights[l], below),
      );
    }
    const top = this.#layers[L - 1];
    this.#lossGroup = bindGroup(gpu, this.#pipes.loss, "loss", [
      this.#lossParams,
      top.count,
      top.time,
      top.vm,
      this.#labels,
      top.gTime,
      this.#result,
    ]);
  }

  #writeWeights(weights: readonly Float64Array[]): void {
    weights.forEach((w, l) => this.#gpu.queue.writeBuffer(this.#weights[l].w, 0, Float32Array.from(w)));
  }

  async #readBuffers(buffers: GPUBuffer[], bytes: number[]): Promise<ArrayBuffer[]> {
    this.#check();
    const encoder = this.#gpu.createCommandEncoder({ label: "read" });
    const staged = this.#readback.stage(encoder, buffers.map((buffer, k) => ({ buffer, bytes: bytes[k] })));
    this.#gpu.queue.submit([encoder.finish()]);
    return await this.#fetch(staged);
  }

  async #fetch(staged: Staged): Promise<ArrayBuffer[]> {
    let data: ArrayBuffer[];
    try {
      data = await this.#readback.fetch(staged);
    } catch (e) {
      this.#check();
      throw e;
    }
    this.#check();
    return data;
  }

  /** Throws the error a user can act on (lost device, out of memory), or a bug (validation). */
  #check(): void {
    if (this.#disposed) throw new Error("WebGPU engine used after dispose()");
    if (this.#lost !== null) throw new WebGpuError(`GPU device lost (${this.device}): ${this.#lost}`);
    const e = this.#gpuError;
    if (e) {
      if (e.constructor.name === "GPUOutOfMemoryError") {
        throw new WebGpuError(`out of GPU memory on ${this.device}: ${e.message} (try a smaller batch)`);
      }
      throw new Error(`WebGPU error: ${e.message}`);
    }
  }

  async getWeights(): Promise<Float64Array[]> {
    const data = await this.#readBuffers(this.#weights.map((w) => w.w), this.#weights.map((w) => w.size * 4));
    return data.map((d) => Float64Array.from(new Float32Array(d)));
  }

  setWeights(weights: Float64Array[]): Promise<void> {
    this.#check();
    checkShapes(this.spec.sizes, weights);
    this.#writeWeights(weights);
    return Promise.resolve();
  }

  async forward(input: EngineInput): Promise<ForwardResult> {
    const r = await this.#run(input, {
      loss: null,
      labels: null,
      grads: "none",
      scale: 1,
      keepSpikes: true,
      adam: null,
    });
    return { layers: this.#layerSpikes(r), stats: r.stats };
  }

  async evaluate(input: EngineInput, labels: Int32Array, loss: LossConfig): Promise<EvalResult> {
    const r = await this.#run(input, {
      loss,
      labels,
      grads: "none",
      scale: 1,
      keepSpikes: false,
      adam: null,
    });
    return {
      loss: r.loss,
      predictions: r.predictions,
      correct: r.correct,
      ties: r.ties,
      decisionTime: r.decisionTime,
      stats: r.stats,
    };
  }

  async gradients(
    input: EngineInput,
    labels: Int32Array,
    loss: LossConfig,
    dropout?: DropoutConfig,
  ): Promise<GradientResult> {
    checkDropout(dropout);
    const r = await this.#run(input, {
      loss,
      labels,
      grads: "all",
      scale: 1,
      keepSpikes: true,
      adam: null,
      dropout,
    });
    return {
      loss: r.loss,
      predictions: r.predictions,
      correct: r.correct,
      weightGrads: r.weightGrads!,
      inputGrads: r.inputGrads!,
      forward: { layers: this.#layerSpikes(r), stats: r.stats },
    };
  }

  /** The whole step is queued on the GPU before this returns; the promise brings its metrics (`stepsInFlight`). */
  async trainStep(
    input: EngineInput,
    labels: Int32Array,
    loss: LossConfig,
    adam: AdamConfig,
    dropout?: DropoutConfig,
  ): Promise<StepMetrics> {
    checkDropout(dropout);
    // #run submits every chunk before its first await, i.e. before this call returns.
    const r = await this.#run(input, {
      dropout,
      loss,
      labels,
      grads: "weights",
      scale: 1 / Math.max(1, input.size),
      keepSpikes: false,
      adam: { ...ADAM_DEFAULTS, ...adam },
    });
    return { loss: r.loss, correct: r.correct, size: input.size, stats: r.stats };
  }

  async getOptimizerState(): Promise<AdamState> {
    const ws = this.#weights;
    const data = await this.#readBuffers(
      [...ws.map((w) => w.m), ...ws.map((w) => w.v)],
      [...ws, ...ws].map((w) => w.size * 4),
    );
    const f = data.map((d) => Float64Array.from(new Float32Array(d)));
    return { step: this.#adamStep, m: f.slice(0, ws.length), v: f.slice(ws.length) };
  }

  setOptimizerState(state: AdamState): Promise<void> {
    this.#check();
    checkShapes(this.spec.sizes, state.m);
    checkShapes(this.spec.sizes, state.v);
    this.#adamStep = state.step;
    this.#weights.forEach((w, l) => {
      this.#gpu.queue.writeBuffer(w.m, 0, Float32Array.from(state.m[l]));
      this.#gpu.queue.writeBuffer(w.v, 0, Float32Array.from(state.v[l]));
    });
    return Promise.resolve();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const s of this.#layers) s.destroy();
    for (const w of this.#weights) w.destroy();
    this.#readback.destroy();
    this.#profiler?.destroy();
    this.#gpu.destroy();
  }

  /** The GPU objects a chunk needs, for chunk_step.ts. */
  #state(): ChunkState {
    return {
      gpu: this.#gpu,
      spec: this.spec,
      pipes: this.#pipes,
      weights: this.#weights,
      layers: this.#layers,
      inCount: this.#inCount,
      inTime: this.#inTime,
      inGrad: this.#inGrad,
      packer: this.#packer,
      images: this.#images,
      labels: this.#labels,
      result: this.#result,
      lossParams: this.#lossParams,
      lossGroup: this.#lossGroup,
      readback: this.#readback,
      profiler: this.#profiler,
      adamStep: this.#adamStep,
    };
  }

  #layerSpikes(r: RunResult) {
    const cap = this.spec.neuron.max_spikes;
    return r.spikes!.map((s, l) => ({
      neurons: this.spec.sizes[l + 1],
      capacity: cap,
      count: s.count,
      time: s.time,
    }));
  }

  /**
   * Runs a batch chunk by chunk: one submission and one readback per chunk. Chunks that bring back metrics
   * only (evaluate, trainStep) are all submitted before the first await; chunks that bring back spikes or
   * input gradients (large) one after the other.
   */
  async #run(input: EngineInput, plan: RunPlan): Promise<RunResult> {
    this.#check();
    const { sizes, neuron } = this.spec;
    const L = sizes.length - 1;
    const cap = neuron.max_spikes;
    checkEngineInput(input, sizes[0]);
    if (plan.labels) checkLabels(plan.labels, input.size, sizes[L]);
    const images = isImageBatch(input) ? input : null;
    // An image sends at most one spike per pixel.
    const capIn0 = isImageBatch(input) ? 1 : Math.max(1, eventsPerInputNeuron(input, sizes[0], neuron.t_max));
    const grow = input.size > this.#chunk && this.#chunk < this.#chunkMax;
    if (capIn0 > this.#packer.capacity || grow) {
      this.#build(Math.max(capIn0, this.#packer.capacity), Math.max(input.size, this.#chunk));
    }
    const size = input.size;
    const res: RunResult = { ...emptyOutcome(size, L), hiddenGap: 0 };
    if (plan.keepSpikes) {
      res.spikes = this.#layers.map((s) => ({
        count: new Int32Array(size * s.shape.nOut),
        time: new Float64Array(size * s.shape.nOut * cap),
      }));
    }
    if (plan.grads === "all") {
      res.inputGrads = new Float64Array(isImageBatch(input) ? size * sizes[0] : input.time.length);
    }
    const hiddenWeight = plan.loss?.hidden_vmax_weight ?? 0;
    if (plan.adam) this.#adamStep++;
    const M = this.#chunk;
    const chunks = Math.max(1, Math.ceil(size / M));
    const ahead = !plan.keepSpikes && plan.grads !== "all";
    const submitted: SubmittedChunk[] = [];
    for (let c = 0; c < chunks; c++) {
      const from = c * M;
      const to = Math.min(size, from + M);
      const last = c === chunks - 1;
      if (!isImageBatch(input)) this.#packer.pack(input, from, to, neuron.t_max);
      const sub = encodeChunk(this.#state(), plan, { from, m: to - from, last, images });
      if (ahead) submitted.push(sub);
      else collectChunk(this.#state(), plan, sub, await this.#fetch(sub.staged), res);
    }
    for (const sub of submitted) collectChunk(this.#state(), plan, sub, await this.#fetch(sub.staged), res);
    if (plan.loss && hiddenWeight > 0) res.loss += hiddenWeight * res.hiddenGap;
    return res;
  }
}
