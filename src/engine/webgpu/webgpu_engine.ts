/**
 * The WebGPU engine: the `Engine` contract of src/engine/engine.ts in f32 WGSL compute shaders
 * (shaders/*.wgsl). A step is one submission per chunk of samples: per layer a GPU sort of the events it
 * receives and the exact event sweep, then the loss, per layer (top down) the adjoint recursion, weight
 * gradients and input-time gradients, and the Adam update of the last chunk. Weights and moments stay on the
 * GPU; only metrics come back. The CPU engine is the reference (tests/webgpu_test.ts).
 * @module
 */
import { validateNeuronParams } from "../../model/params.ts";
import { ADAM_DEFAULTS } from "../adam.ts";
import {
  type AdamConfig,
  type AdamState,
  emptyStats,
  type Engine,
  type EvalResult,
  type ForwardResult,
  type GradientResult,
  type LayerStats,
  type LossConfig,
  type Network,
  type NetworkSpec,
  type SpikeInput,
  type StepMetrics,
} from "../engine.ts";
import { type AdapterKind, type GpuContext, openDevice, WebGpuError } from "./gpu_device.ts";
import { eventsPerInputNeuron, InputPacker } from "./input_pack.ts";
import {
  bindGroup,
  layerBytesPerSample,
  LayerState,
  nextPow2,
  storageBuffer,
  uniformBuffer,
  WeightState,
} from "./layer_state.ts";
import { createPipelines, type Pipelines, WORKGROUP } from "./pipelines.ts";
import { PassRecorder, type Phase, Profiler } from "./profiler.ts";
import { Readback, type ReadItem } from "./readback.ts";

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

/** What a run over a batch must produce. */
interface RunPlan {
  readonly loss: LossConfig | null;
  readonly labels: Int32Array | null;
  /** "weights": dL/dW only (training); "all": also dL/dt of the input events. */
  readonly grads: "none" | "weights" | "all";
  /** Factor of every gradient: 1 (sum) or 1/batch (mean). */
  readonly scale: number;
  readonly keepSpikes: boolean;
  readonly adam: AdamConfig | null;
}

/** What a run over a batch produced. */
interface RunResult {
  loss: number;
  correct: number;
  predictions: Int32Array;
  decisionTime: Float64Array;
  stats: LayerStats[];
  spikes?: { count: Int32Array; time: Float64Array }[];
  weightGrads?: Float64Array[];
  inputGrads?: Float64Array;
  /** Sum over hidden layers, samples and silent neurons of (theta - Vmax)/theta (the hidden Vmax term). */
  hiddenGap: number;
}

const DEFAULT_MAX_CHUNK = 1024;
const DEFAULT_BUDGET = 2 * 1024 ** 3;

/** The engine; build it with `createWebGpuEngine`. */
export class WebGpuEngine implements Engine {
  readonly device: string;
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
  /** Samples per chunk. */
  #chunk = 0;
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
    this.#lossParams = uniformBuffer(gpu, "loss_params", 32);
    this.#build(1);
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
    total += this.#inCount.size + this.#inTime.size + this.#inGrad.size + this.#labels.size +
      this.#result.size;
    return total;
  }

  /** Samples per submission. */
  get chunkSize(): number {
    return this.#chunk;
  }

  /**
   * (Re)builds the per-chunk working buffers for `capIn0` slots per input neuron (events of one input neuron
   * in one sample), choosing the chunk size from the adapter's limits and the memory budget.
   */
  #build(capIn0: number): void {
    const gpu = this.#gpu;
    const { sizes, neuron } = this.spec;
    const cap = neuron.max_spikes;
    const L = sizes.length - 1;
    const shapes = [];
    let perSample = 2 * sizes[0] * capIn0 * 4 + sizes[0] * 4 + 16 + 4;
    let largest = sizes[0] * capIn0 * 4;
    for (let l = 0; l < L; l++) {
      const capIn = l === 0 ? capIn0 : cap;
      const room = l === 0
        ? sizes[0] * capIn0
        : Math.min(sizes[l] * cap, this.#opts.maxEventsPerSample ?? Infinity);
      const shape = { nIn: sizes[l], nOut: sizes[l + 1], cap, capIn, capEv: nextPow2(Math.max(1, room)) };
      const b = layerBytesPerSample(shape);
      perSample += b.total;
      largest = Math.max(largest, b.largest);
      shapes.push(shape);
    }
    const lim = this.#ctx.limits;
    const limit = Math.min(lim.maxStorageBufferBindingSize, lim.maxBufferSize);
    // Samples are the y (or x) dimension of most dispatches.
    const maxChunk = Math.min(this.#opts.maxChunk ?? DEFAULT_MAX_CHUNK, lim.maxComputeWorkgroupsPerDimension);
    const budget = this.#opts.memoryBudget ?? DEFAULT_BUDGET;
    const m = Math.min(maxChunk, Math.floor(limit / largest), Math.floor(budget / perSample));
    if (m < 1) {
      throw new WebGpuError(
        `one sample needs ${(largest / 2 ** 20).toFixed(1)} MiB in one buffer or ${
          (perSample / 2 ** 20).toFixed(1)
        } MiB ` +
          `in all, more than ${this.device} allows (binding limit ${(limit / 2 ** 20).toFixed(0)} MiB)`,
      );
    }
    for (const s of this.#layers) s.destroy();
    this.#inCount?.destroy();
    this.#inTime?.destroy();
    this.#inGrad?.destroy();
    this.#chunk = m;
    this.#inCount = storageBuffer(gpu, "input_count", m * sizes[0] * 4);
    this.#inTime = storageBuffer(gpu, "input_time", m * sizes[0] * capIn0 * 4);
    this.#inGrad = storageBuffer(gpu, "input_grad", m * sizes[0] * capIn0 * 4);
    this.#packer = new InputPacker(m, sizes[0], capIn0);
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
    this.#readback.stage(encoder, buffers.map((buffer, k) => ({ buffer, bytes: bytes[k] })));
    this.#gpu.queue.submit([encoder.finish()]);
    return await this.#fetch();
  }

  async #fetch(): Promise<ArrayBuffer[]> {
    let data: ArrayBuffer[];
    try {
      data = await this.#readback.fetch();
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

  async forward(input: SpikeInput): Promise<ForwardResult> {
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

  async evaluate(input: SpikeInput, labels: Int32Array, loss: LossConfig): Promise<EvalResult> {
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
      decisionTime: r.decisionTime,
      stats: r.stats,
    };
  }

  async gradients(input: SpikeInput, labels: Int32Array, loss: LossConfig): Promise<GradientResult> {
    const r = await this.#run(input, { loss, labels, grads: "all", scale: 1, keepSpikes: true, adam: null });
    return {
      loss: r.loss,
      predictions: r.predictions,
      correct: r.correct,
      weightGrads: r.weightGrads!,
      inputGrads: r.inputGrads!,
      forward: { layers: this.#layerSpikes(r), stats: r.stats },
    };
  }

  async trainStep(
    input: SpikeInput,
    labels: Int32Array,
    loss: LossConfig,
    adam: AdamConfig,
  ): Promise<StepMetrics> {
    const r = await this.#run(input, {
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

  #layerSpikes(r: RunResult) {
    const cap = this.spec.neuron.max_spikes;
    return r.spikes!.map((s, l) => ({
      neurons: this.spec.sizes[l + 1],
      capacity: cap,
      count: s.count,
      time: s.time,
    }));
  }

  /** Runs a batch chunk by chunk: one submission and one readback per chunk. */
  async #run(input: SpikeInput, plan: RunPlan): Promise<RunResult> {
    this.#check();
    const { sizes, neuron } = this.spec;
    const L = sizes.length - 1;
    const cap = neuron.max_spikes;
    checkInput(input, sizes[0]);
    if (plan.labels) checkLabels(plan.labels, input.size, sizes[L]);
    const capIn0 = Math.max(1, eventsPerInputNeuron(input, sizes[0], neuron.t_max));
    if (capIn0 > this.#packer.capacity) this.#build(capIn0);
    const size = input.size;
    const res: RunResult = {
      loss: 0,
      correct: 0,
      predictions: new Int32Array(size).fill(-1),
      decisionTime: new Float64Array(size).fill(NaN),
      stats: emptyStats(L),
      hiddenGap: 0,
    };
    if (plan.keepSpikes) {
      res.spikes = this.#layers.map((s) => ({
        count: new Int32Array(size * s.shape.nOut),
        time: new Float64Array(size * s.shape.nOut * cap),
      }));
    }
    if (plan.grads === "all") res.inputGrads = new Float64Array(input.time.length);
    const hiddenWeight = plan.loss?.hidden_vmax_weight ?? 0;
    if (plan.adam) this.#adamStep++;
    const M = this.#chunk;
    const chunks = Math.max(1, Math.ceil(size / M));
    for (let c = 0; c < chunks; c++) {
      const from = c * M;
      const to = Math.min(size, from + M);
      const last = c === chunks - 1;
      const m = this.#packer.pack(input, from, to, neuron.t_max);
      const names = this.#encodeChunk(plan, m, from, last);
      const data = await this.#fetch();
      this.#collect(plan, data, names, m, from, res);
    }
    if (plan.loss && hiddenWeight > 0) res.loss += hiddenWeight * res.hiddenGap;
    return res;
  }

  /** Uploads one chunk, encodes its whole step and submits it; returns the names of the staged readbacks. */
  #encodeChunk(plan: RunPlan, m: number, from: number, last: boolean): string[] {
    const accumulate = from > 0;
    const gpu = this.#gpu;
    const q = gpu.queue;
    const { sizes, neuron } = this.spec;
    const L = sizes.length - 1;
    const p = this.#packer;
    const nIn0 = sizes[0];
    q.writeBuffer(this.#inCount, 0, p.count, 0, m * nIn0);
    q.writeBuffer(this.#inTime, 0, p.time, 0, m * nIn0 * p.capacity);
    const theta = neuron.theta;
    const loss = plan.loss;
    for (let l = 0; l < L; l++) {
      const s = this.#layers[l].shape;
      let silent = 0;
      if (loss && plan.grads !== "none") {
        const weight = l === L - 1 ? loss.vmax_weight : loss.hidden_vmax_weight ?? 0;
        silent = -weight / theta * plan.scale;
      }
      const u = new ArrayBuffer(32);
      new Uint32Array(u, 0, 6).set([s.nIn, s.nOut, s.capIn, s.capEv, m, accumulate ? 1 : 0]);
      new Float32Array(u, 24, 2).set([silent, 0]);
      q.writeBuffer(this.#layers[l].params, 0, u);
    }
    if (loss && plan.labels) {
      const u = new ArrayBuffer(32);
      new Uint32Array(u, 0, 4).set([sizes[L], m, loss.kind === "first-spike" ? 0 : 1, 0]);
      new Float32Array(u, 16, 4).set([loss.tau0, loss.vmax_weight, plan.scale, 0]);
      q.writeBuffer(this.#lossParams, 0, u);
      q.writeBuffer(this.#labels, 0, Int32Array.from(plan.labels.subarray(from, from + m)));
    }
    if (plan.adam && last) {
      const a = plan.adam;
      const c1 = 1 - Math.pow(a.beta1, this.#adamStep);
      const c2 = 1 - Math.pow(a.beta2, this.#adamStep);
      for (const w of this.#weights) {
        const u = new ArrayBuffer(48);
        new Uint32Array(u, 0, 4).set([w.size, 0, 0, 0]);
        new Float32Array(u, 16, 8).set([a.lr, a.beta1, a.beta2, a.eps, c1, c2, 0, 0]);
        q.writeBuffer(w.adamParams, 0, u);
      }
    }
    const encoder = gpu.createCommandEncoder({ label: "step" });
    if (plan.grads !== "none") {
      // Slots of spikes that found no room in an event list get no dL/dt from above: zero, not stale.
      for (let l = 0; l < L - 1; l++) encoder.clearBuffer(this.#layers[l].gTime);
      if (plan.grads === "all") encoder.clearBuffer(this.#inGrad);
    }
    const rec = new PassRecorder(encoder, this.#profiler);
    const pp = this.#pipes;
    const wg = (n: number) => Math.ceil(n / WORKGROUP);
    for (const s of this.#layers) {
      rec.dispatch("sort", pp.gather_sort, s.groups.gather, m);
      rec.dispatch("sweep", pp.forward, s.groups.forward, wg(s.shape.nOut), m);
    }
    if (loss && plan.labels) rec.dispatch("loss", pp.loss, this.#lossGroup, wg(m));
    if (plan.grads !== "none") {
      for (let l = L - 1; l >= 0; l--) {
        const s = this.#layers[l];
        rec.dispatch("backward", pp.adjoint, s.groups.adjoint, wg(s.shape.nOut), m);
        rec.dispatch("backward", pp.weight_grad, s.groups.weightGrad, wg(s.shape.nOut), s.shape.nIn);
        if (l > 0 || plan.grads === "all") {
          rec.dispatch("backward", pp.input_grad, s.groups.inputGrad, wg(s.shape.capEv), m);
        }
      }
    }
    for (const s of this.#layers) rec.dispatch("stats", pp.stats, s.groups.stats, wg(m));
    if (plan.adam && last) {
      for (const w of this.#weights) {
        const groups = wg(w.size);
        const x = Math.min(groups, 65535);
        rec.dispatch("update", pp.adam, w.adamGroup, x, Math.ceil(groups / x));
      }
    }
    rec.end();
    const names: string[] = [];
    const items: ReadItem[] = [];
    const add = (name: string, buffer: GPUBuffer, bytes: number) => {
      names.push(name);
      items.push({ buffer, bytes });
    };
    if (this.#profiler) {
      this.#profiler.encodeResolve(encoder);
      add("timestamps", this.#profiler.resolve, this.#profiler.bytes);
    }
    if (loss && plan.labels) add("result", this.#result, m * 16);
    this.#layers.forEach((s, l) => add(`stats${l}`, s.stats, m * 32));
    if (plan.keepSpikes) {
      this.#layers.forEach((s, l) => {
        add(`count${l}`, s.count, m * s.shape.nOut * 4);
        add(`time${l}`, s.time, m * s.shape.nOut * s.shape.cap * 4);
      });
    }
    if (plan.grads === "all") add("input_grad", this.#inGrad, m * nIn0 * p.capacity * 4);
    if (plan.grads === "all" && last) this.#weights.forEach((w, l) => add(`dw${l}`, w.dw, w.size * 4));
    this.#readback.stage(encoder, items);
    q.submit([encoder.finish()]);
    return names;
  }

  #collect(
    plan: RunPlan,
    data: ArrayBuffer[],
    names: string[],
    m: number,
    from: number,
    res: RunResult,
  ): void {
    const get = (name: string) => data[names.indexOf(name)];
    const L = this.spec.sizes.length - 1;
    if (this.#profiler) this.#profiler.collect(get("timestamps"));
    if (plan.loss && plan.labels) {
      const r = new Float32Array(get("result"));
      for (let s = 0; s < m; s++) {
        res.loss += r[4 * s];
        res.predictions[from + s] = Math.round(r[4 * s + 1]);
        res.decisionTime[from + s] = r[4 * s + 2] >= 0 ? r[4 * s + 2] : NaN;
        res.correct += r[4 * s + 3];
      }
    }
    for (let l = 0; l < L; l++) {
      const buf = get(`stats${l}`);
      const u = new Uint32Array(buf);
      const f = new Float32Array(buf);
      const st = res.stats[l];
      for (let s = 0; s < m; s++) {
        st.spikes += u[8 * s];
        st.silent += u[8 * s + 1];
        st.capped += u[8 * s + 2];
        st.grazing += u[8 * s + 3];
        // Events lost by layer l are spikes of layer l-1 that found no room.
        res.stats[Math.max(0, l - 1)].overflow += u[8 * s + 4];
        if (l < L - 1) res.hiddenGap += f[8 * s + 5];
      }
    }
    if (res.spikes) {
      this.#layers.forEach((s, l) => {
        const n = s.shape.nOut;
        const cap = s.shape.cap;
        res.spikes![l].count.set(new Uint32Array(get(`count${l}`)), from * n);
        res.spikes![l].time.set(new Float32Array(get(`time${l}`)), from * n * cap);
      });
    }
    if (res.inputGrads) {
      const g = new Float32Array(get("input_grad"));
      const origin = this.#packer.origin;
      const slots = m * this.spec.sizes[0] * this.#packer.capacity;
      for (let k = 0; k < slots; k++) if (origin[k] >= 0) res.inputGrads[origin[k]] = g[k];
    }
    if (plan.grads === "all" && names.includes("dw0")) {
      res.weightGrads = this.#weights.map((_, l) => Float64Array.from(new Float32Array(get(`dw${l}`))));
    }
  }
}

function checkShapes(sizes: readonly number[], weights: readonly Float64Array[]): void {
  if (weights.length !== sizes.length - 1) {
    throw new RangeError(`Expected ${sizes.length - 1} weight layers, got ${weights.length}`);
  }
  for (let l = 0; l < weights.length; l++) {
    if (weights[l].length !== sizes[l] * sizes[l + 1]) {
      throw new RangeError(
        `Weights of layer ${l} have ${weights[l].length} entries, expected ${sizes[l]}x${sizes[l + 1]}`,
      );
    }
  }
}

function checkInput(input: SpikeInput, nIn: number): void {
  if (input.offsets.length !== input.size + 1 || input.offsets[input.size] !== input.time.length) {
    throw new RangeError("SpikeInput offsets do not match its size and events");
  }
  for (let e = 0; e < input.neuron.length; e++) {
    const j = input.neuron[e];
    const t = input.time[e];
    if (!(j >= 0 && j < nIn) || !(t >= 0) || !Number.isFinite(t)) {
      throw new RangeError(`Input event ${e} is invalid: neuron ${j}, time ${t} (network has ${nIn} inputs)`);
    }
  }
}

function checkLabels(labels: Int32Array, size: number, classes: number): void {
  if (labels.length < size) throw new RangeError(`Expected ${size} labels, got ${labels.length}`);
  for (let s = 0; s < size; s++) {
    if (!(labels[s] >= 0 && labels[s] < classes)) {
      throw new RangeError(`Label ${labels[s]} of sample ${s} is not a class of ${classes}`);
    }
  }
}
