/**
 * One chunk of a batch as one GPU submission: uploads the chunk's input (packed spikes, or raw images that the
 * first kernel encodes), encodes every kernel of the step in order (image encoding; per layer sort and
 * sweep; loss; per layer, top down, adjoint, weight and input-time gradients; counters; Adam on the last
 * chunk), stages the readback, and turns what comes back into results.
 * @module
 */
import { type DropoutConfig, dropThreshold, keptScale, layerMaskSeed } from "../dropout.ts";
import type { AdamConfig, BatchOutcome, ImageBatch, LossConfig, NetworkSpec } from "../engine.ts";
import type { ImageEncoder } from "./image_encoder.ts";
import type { InputPacker } from "./input_pack.ts";
import type { LayerState, WeightState } from "./layer_state.ts";
import { type Pipelines, WORKGROUP } from "./pipelines.ts";
import { PassRecorder, type Phase, type Profiler } from "./profiler.ts";
import type { Readback, ReadItem, Staged } from "./readback.ts";

/** The engine's GPU objects a chunk uses (all created once, see WebGpuEngine). */
export interface ChunkState {
  readonly gpu: GPUDevice;
  readonly spec: NetworkSpec;
  readonly pipes: Pipelines;
  readonly weights: readonly WeightState[];
  readonly layers: readonly LayerState[];
  /** Layer 0 input: (samples, n_in) counts, (samples, n_in, cap_in) times and their gradients. */
  readonly inCount: GPUBuffer;
  readonly inTime: GPUBuffer;
  readonly inGrad: GPUBuffer;
  readonly packer: InputPacker;
  /** Fills inCount/inTime from images on the GPU. */
  readonly images: ImageEncoder;
  /** (samples) i32 labels, (samples) vec4 per-sample results, LossParams. */
  readonly labels: GPUBuffer;
  readonly result: GPUBuffer;
  readonly lossParams: GPUBuffer;
  readonly lossGroup: GPUBindGroup;
  readonly readback: Readback;
  readonly profiler: Profiler | null;
  /** Adam steps taken, this one included. */
  readonly adamStep: number;
}

/** What a run over a batch must produce. */
export interface RunPlan {
  readonly loss: LossConfig | null;
  readonly labels: Int32Array | null;
  /** "weights": dL/dW only (training); "all": also dL/dt of the input events. */
  readonly grads: "none" | "weights" | "all";
  /** Factor of every gradient: 1 (sum) or 1/batch (mean). */
  readonly scale: number;
  readonly keepSpikes: boolean;
  readonly adam: AdamConfig | null;
  /** Hidden neurons dropped (training); absent: none. */
  readonly dropout?: DropoutConfig;
}

/** What a run over a batch produced. */
export interface RunResult extends BatchOutcome {
  weightGrads?: Float64Array[];
  inputGrads?: Float64Array;
  /** Sum over hidden layers, samples and silent neurons of (theta - Vmax)/theta (the hidden Vmax term). */
  hiddenGap: number;
}

/** Samples `from .. from+m-1` of a batch. */
export interface Chunk {
  readonly from: number;
  readonly m: number;
  /** The batch's last chunk: Adam runs after it. */
  readonly last: boolean;
  /** The batch's images, encoded on the GPU; null: the chunk's spikes are packed in `ChunkState.packer`. */
  readonly images: ImageBatch | null;
}

/** A chunk submitted to the queue, with what its readback will hold. */
export interface SubmittedChunk {
  readonly chunk: Chunk;
  /** Name of each staged item, in order. */
  readonly names: readonly string[];
  readonly staged: Staged;
  /** Phases of its timed passes (profiling only). */
  readonly phases: readonly Phase[];
}

/**
 * Uploads one chunk, encodes its whole step and submits it. Every upload is a queue write, ordered with the
 * submissions, so a chunk may be submitted while earlier ones are still running.
 */
export function encodeChunk(st: ChunkState, plan: RunPlan, chunk: Chunk): SubmittedChunk {
  const { from, m, last } = chunk;
  const accumulate = from > 0;
  const gpu = st.gpu;
  const q = gpu.queue;
  const { sizes, neuron } = st.spec;
  const L = sizes.length - 1;
  const p = st.packer;
  const nIn0 = sizes[0];
  if (chunk.images) st.images.upload(q, chunk.images, from, m);
  else {
    q.writeBuffer(st.inCount, 0, p.count, 0, m * nIn0);
    q.writeBuffer(st.inTime, 0, p.time, 0, m * nIn0 * p.capacity);
  }
  const theta = neuron.theta;
  const loss = plan.loss;
  for (let l = 0; l < L; l++) {
    const s = st.layers[l].shape;
    let silent = 0;
    if (loss && plan.grads !== "none") {
      const weight = l === L - 1 ? loss.vmax_weight : loss.hidden_vmax_weight ?? 0;
      silent = -weight / theta * plan.scale;
    }
    // Dropout acts on the inputs of the layers above the first (src/engine/dropout.ts).
    const drop = plan.dropout && plan.dropout.rate > 0 && l > 0 ? plan.dropout : null;
    const u = new ArrayBuffer(48);
    new Uint32Array(u, 0, 6).set([s.nIn, s.nOut, s.capIn, s.capEv, m, accumulate ? 1 : 0]);
    new Float32Array(u, 24, 2).set([silent, drop ? keptScale(drop.rate) : 1]);
    new Uint32Array(u, 32, 4).set(
      drop ? [dropThreshold(drop.rate), layerMaskSeed(drop.seed, l - 1), from, 0] : [0, 0, from, 0],
    );
    q.writeBuffer(st.layers[l].params, 0, u);
  }
  if (loss && plan.labels) {
    const u = new ArrayBuffer(48);
    new Uint32Array(u, 0, 4).set([sizes[L], m, loss.kind === "first-spike" ? 0 : 1, 0]);
    new Float32Array(u, 16, 6).set([
      loss.tau0,
      loss.vmax_weight,
      plan.scale,
      loss.t_ref_weight ?? 0,
      loss.t_ref ?? 0,
      loss.label_smoothing ?? 0,
    ]);
    q.writeBuffer(st.lossParams, 0, u);
    q.writeBuffer(st.labels, 0, Int32Array.from(plan.labels.subarray(from, from + m)));
  }
  if (plan.adam && last) {
    const a = plan.adam;
    const c1 = 1 - Math.pow(a.beta1, st.adamStep);
    const c2 = 1 - Math.pow(a.beta2, st.adamStep);
    const keep = 1 - a.lr * (a.weight_decay ?? 0);
    for (const w of st.weights) {
      const u = new ArrayBuffer(48);
      new Uint32Array(u, 0, 4).set([w.size, 0, 0, 0]);
      new Float32Array(u, 16, 8).set([a.lr, a.beta1, a.beta2, a.eps, c1, c2, keep, 0]);
      q.writeBuffer(w.adamParams, 0, u);
    }
  }
  const encoder = gpu.createCommandEncoder({ label: "step" });
  if (plan.grads !== "none") {
    // Slots of spikes that found no room in an event list get no dL/dt from above: zero, not stale.
    for (let l = 0; l < L - 1; l++) encoder.clearBuffer(st.layers[l].gTime);
    if (plan.grads === "all") encoder.clearBuffer(st.inGrad);
  }
  const rec = new PassRecorder(encoder, st.profiler);
  const pp = st.pipes;
  const wg = (n: number) => Math.ceil(n / WORKGROUP);
  if (chunk.images) st.images.run(rec, m);
  for (const s of st.layers) {
    rec.dispatch("sort", pp.gather_sort, s.groups.gather, m);
    rec.dispatch("sweep", pp.forward, s.groups.forward, wg(s.shape.nOut), m);
  }
  if (loss && plan.labels) rec.dispatch("loss", pp.loss, st.lossGroup, wg(m));
  if (plan.grads !== "none") {
    for (let l = L - 1; l >= 0; l--) {
      const s = st.layers[l];
      rec.dispatch("backward", pp.adjoint, s.groups.adjoint, wg(s.shape.nOut), m);
      rec.dispatch("backward", pp.weight_grad, s.groups.weightGrad, wg(s.shape.nOut), s.shape.nIn);
      if (l > 0 || plan.grads === "all") {
        rec.dispatch("backward", pp.input_grad, s.groups.inputGrad, wg(s.shape.capEv), m);
      }
    }
  }
  for (const s of st.layers) rec.dispatch("stats", pp.stats, s.groups.stats, wg(m));
  if (plan.adam && last) {
    for (const w of st.weights) {
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
  let phases: Phase[] = [];
  if (st.profiler) {
    phases = st.profiler.encodeResolve(encoder);
    add("timestamps", st.profiler.resolve, phases.length * 16);
  }
  if (loss && plan.labels) add("result", st.result, m * 16);
  st.layers.forEach((s, l) => add(`stats${l}`, s.stats, m * 32));
  if (plan.keepSpikes) {
    st.layers.forEach((s, l) => {
      add(`count${l}`, s.count, m * s.shape.nOut * 4);
      add(`time${l}`, s.time, m * s.shape.nOut * s.shape.cap * 4);
    });
  }
  if (plan.grads === "all") add("input_grad", st.inGrad, m * nIn0 * p.capacity * 4);
  if (plan.grads === "all" && last) st.weights.forEach((w, l) => add(`dw${l}`, w.dw, w.size * 4));
  const staged = st.readback.stage(encoder, items);
  q.submit([encoder.finish()]);
  return { chunk, names, staged, phases };
}

/** Adds what chunk `sub` brought back (`data`, one ArrayBuffer per staged item) to `res`. */
export function collectChunk(
  st: ChunkState,
  plan: RunPlan,
  sub: SubmittedChunk,
  data: ArrayBuffer[],
  res: RunResult,
): void {
  const { names } = sub;
  const { from, m } = sub.chunk;
  const get = (name: string) => data[names.indexOf(name)];
  const L = st.spec.sizes.length - 1;
  if (st.profiler) st.profiler.collect(get("timestamps"), sub.phases);
  if (plan.loss && plan.labels) {
    const r = new Float32Array(get("result"));
    for (let s = 0; s < m; s++) {
      res.loss += r[4 * s];
      res.predictions[from + s] = Math.round(r[4 * s + 1]);
      res.decisionTime[from + s] = r[4 * s + 2] >= 0 ? r[4 * s + 2] : NaN;
      const flags = Math.round(r[4 * s + 3]); // 1: correct, 2: tied (loss.wgsl)
      res.correct += flags & 1;
      res.ties += flags >> 1;
    }
  }
  for (let l = 0; l < L; l++) {
    const buf = get(`stats${l}`);
    const u = new Uint32Array(buf);
    const f = new Float32Array(buf);
    const ls = res.stats[l];
    for (let s = 0; s < m; s++) {
      ls.spikes += u[8 * s];
      ls.silent += u[8 * s + 1];
      ls.capped += u[8 * s + 2];
      ls.grazing += u[8 * s + 3];
      // Events lost by layer l are spikes of layer l-1 that found no room.
      res.stats[Math.max(0, l - 1)].overflow += u[8 * s + 4];
      if (l < L - 1) res.hiddenGap += f[8 * s + 5];
    }
  }
  if (res.spikes) {
    st.layers.forEach((s, l) => {
      const n = s.shape.nOut;
      const cap = s.shape.cap;
      res.spikes![l].count.set(new Uint32Array(get(`count${l}`)), from * n);
      res.spikes![l].time.set(new Float32Array(get(`time${l}`)), from * n * cap);
    });
  }
  if (res.inputGrads) {
    const g = new Float32Array(get("input_grad"));
    const nIn = st.spec.sizes[0];
    const cap = st.packer.capacity;
    if (sub.chunk.images) {
      // Per pixel: its one spike sits in slot 0 (0 where it sent none: the buffer was cleared).
      for (let k = 0; k < m * nIn; k++) res.inputGrads[from * nIn + k] = g[k * cap];
    } else {
      // The packer still holds this chunk's origins: chunks that bring back input gradients run one by one.
      const origin = st.packer.origin;
      for (let k = 0; k < m * nIn * cap; k++) if (origin[k] >= 0) res.inputGrads[origin[k]] = g[k];
    }
  }
  if (plan.grads === "all" && names.includes("dw0")) {
    res.weightGrads = st.weights.map((_, l) => Float64Array.from(new Float32Array(get(`dw${l}`))));
  }
}
