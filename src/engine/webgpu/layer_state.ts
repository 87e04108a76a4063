/**
 * GPU buffers and bind groups of one layer: weights and Adam moments (kept for the engine's life), and the
 * per-chunk working buffers (sorted events, spikes, adjoint items), built once for a chunk size and reused
 * by every step. Layouts are those stated in each kernel's header (shaders/*.wgsl).
 * @module
 */
import type { Pipelines } from "./pipelines.ts";

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** A storage buffer of at least `bytes` (rounded up to 16). */
export function storageBuffer(device: GPUDevice, label: string, bytes: number): GPUBuffer {
  return device.createBuffer({ label, size: Math.max(16, Math.ceil(bytes / 16) * 16), usage: STORAGE });
}

/** A uniform buffer of `bytes`. */
export function uniformBuffer(device: GPUDevice, label: string, bytes: number): GPUBuffer {
  return device.createBuffer({ label, size: bytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
}

/** Smallest power of two >= n (and >= 1). */
export function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Weights and optimizer moments of one layer, all (nIn, nOut) f32. */
export class WeightState {
  readonly w: GPUBuffer;
  readonly dw: GPUBuffer;
  readonly m: GPUBuffer;
  readonly v: GPUBuffer;
  /** AdamParams of adam.wgsl. */
  readonly adamParams: GPUBuffer;
  readonly adamGroup: GPUBindGroup;
  readonly size: number;

  constructor(
    device: GPUDevice,
    pipelines: Pipelines,
    l: number,
    readonly nIn: number,
    readonly nOut: number,
  ) {
    this.size = nIn * nOut;
    const bytes = this.size * 4;
    this.w = storageBuffer(device, `w${l}`, bytes);
    this.dw = storageBuffer(device, `dw${l}`, bytes);
    this.m = storageBuffer(device, `adam_m${l}`, bytes);
    this.v = storageBuffer(device, `adam_v${l}`, bytes);
    this.adamParams = uniformBuffer(device, `adam_params${l}`, 48);
    this.adamGroup = bindGroup(device, pipelines.adam, `adam${l}`, [
      this.adamParams,
      this.w,
      this.dw,
      this.m,
      this.v,
    ]);
  }

  /** Bytes on the GPU. */
  get bytes(): number {
    return 4 * this.size * 4 + 48;
  }

  destroy(): void {
    for (const b of [this.w, this.dw, this.m, this.v, this.adamParams]) b.destroy();
  }
}

/** Shape of one layer's working buffers. */
export interface LayerShape {
  /** Layer index (0 = first hidden layer). */
  readonly l: number;
  readonly nIn: number;
  readonly nOut: number;
  /** Spike slots per neuron (max_spikes). */
  readonly cap: number;
  /** Slots per input neuron in the input buffers: max_spikes, or events per input neuron for layer 0. */
  readonly capIn: number;
  /** Sorted-event slots per sample, a power of two. */
  readonly capEv: number;
  /** Samples per chunk. */
  readonly samples: number;
}

/** Bytes of the working buffers of one layer per sample (for sizing chunks). */
export function layerBytesPerSample(
  s: Omit<LayerShape, "l" | "samples">,
): { total: number; largest: number } {
  const sizes = [
    s.capEv * 4, // key_t
    s.capEv * 4, // key_s
    s.capEv * 16, // ev
    8, // ev_info
    s.nOut * 4, // count
    s.nOut * s.cap * 4, // time
    s.nOut * s.cap * 4, // rho
    s.nOut * 16, // vm
    s.nOut * s.cap * 4, // g_time
    s.nOut * s.cap * 8, // item
    s.nOut * 4, // item_n
    32, // stats
  ];
  return { total: sizes.reduce((a, b) => a + b, 0), largest: Math.max(...sizes) };
}

/** The buffers a layer reads from below: spikes per input neuron and their times, and where dL/ds goes. */
export interface LayerInput {
  /** (samples, nIn) u32 */
  readonly count: GPUBuffer;
  /** (samples, nIn, capIn) f32 */
  readonly time: GPUBuffer;
  /** (samples, nIn, capIn) f32: dL/dt of each input slot (the layer below's g_time, or the input gradients). */
  readonly grad: GPUBuffer;
}

/** Working buffers and bind groups of one layer for one chunk size. */
export class LayerState {
  /** LayerParams of common.wgsl. */
  readonly params: GPUBuffer;
  readonly keyT: GPUBuffer;
  readonly keyS: GPUBuffer;
  readonly ev: GPUBuffer;
  readonly evInfo: GPUBuffer;
  readonly count: GPUBuffer;
  readonly time: GPUBuffer;
  readonly rho: GPUBuffer;
  readonly vm: GPUBuffer;
  readonly gTime: GPUBuffer;
  readonly item: GPUBuffer;
  readonly itemN: GPUBuffer;
  readonly stats: GPUBuffer;
  readonly groups: {
    gather: GPUBindGroup;
    forward: GPUBindGroup;
    adjoint: GPUBindGroup;
    weightGrad: GPUBindGroup;
    inputGrad: GPUBindGroup;
    stats: GPUBindGroup;
  };
  readonly bytes: number;

  constructor(
    device: GPUDevice,
    pipelines: Pipelines,
    readonly shape: LayerShape,
    weights: WeightState,
    input: LayerInput,
  ) {
    const { l, nOut, cap, capEv, samples: m } = shape;
    const buf = (name: string, bytes: number) => storageBuffer(device, `${name}${l}`, bytes);
    this.params = uniformBuffer(device, `layer_params${l}`, 48);
    this.keyT = buf("key_t", m * capEv * 4);
    this.keyS = buf("key_s", m * capEv * 4);
    this.ev = buf("ev", m * capEv * 16);
    this.evInfo = buf("ev_info", m * 8);
    this.count = buf("count", m * nOut * 4);
    this.time = buf("time", m * nOut * cap * 4);
    this.rho = buf("rho", m * nOut * cap * 4);
    this.vm = buf("vm", m * nOut * 16);
    this.gTime = buf("g_time", m * nOut * cap * 4);
    this.item = buf("item", m * nOut * cap * 8);
    this.itemN = buf("item_n", m * nOut * 4);
    this.stats = buf("stats", m * 32);
    this.bytes = layerBytesPerSample(shape).total * m;
    const p = this.params;
    this.groups = {
      gather: bindGroup(device, pipelines.gather_sort, `gather${l}`, [
        p,
        input.count,
        input.time,
        this.keyT,
        this.keyS,
        this.ev,
        this.evInfo,
      ]),
      forward: bindGroup(device, pipelines.forward, `forward${l}`, [
        p,
        weights.w,
        this.ev,
        this.keyS,
        this.evInfo,
        this.count,
        this.time,
        this.rho,
        this.vm,
      ]),
      adjoint: bindGroup(device, pipelines.adjoint, `adjoint${l}`, [
        p,
        this.count,
        this.time,
        this.rho,
        this.gTime,
        this.vm,
        this.item,
        this.itemN,
      ]),
      weightGrad: bindGroup(device, pipelines.weight_grad, `weight_grad${l}`, [
        p,
        input.count,
        input.time,
        this.item,
        this.itemN,
        weights.dw,
      ]),
      inputGrad: bindGroup(device, pipelines.input_grad, `input_grad${l}`, [
        p,
        weights.w,
        this.ev,
        this.keyS,
        this.evInfo,
        this.item,
        this.itemN,
        this.vm,
        input.grad,
      ]),
      stats: bindGroup(device, pipelines.stats, `stats${l}`, [
        p,
        this.count,
        this.vm,
        this.evInfo,
        this.stats,
      ]),
    };
  }

  destroy(): void {
    for (
      const b of [
        this.params,
        this.keyT,
        this.keyS,
        this.ev,
        this.evInfo,
        this.count,
        this.time,
        this.rho,
        this.vm,
        this.gTime,
        this.item,
        this.itemN,
        this.stats,
      ]
    ) b.destroy();
  }
}

/** A bind group of group 0 with `buffers` at bindings 0, 1, 2, ... */
export function bindGroup(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  label: string,
  buffers: GPUBuffer[],
): GPUBindGroup {
  return device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}
