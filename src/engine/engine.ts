/**
 * The engine interface: one contract, two implementations (`cpu/`, `webgpu/`), one parity suite.
 *
 * Layouts (row-major, shapes in comments):
 * - weights of layer l: Float64Array (sizes[l], sizes[l+1]); W[i * nOut + j] is input i -> neuron j,
 *   as `W[i][j]` in the model file.
 * - a batch of input spike trains: CSR over samples (`SpikeInput`); or a batch of images that the engine
 *   encodes itself (`ImageBatch`), raw intensities (batch, n_in).
 * - spikes of one layer: fixed capacity `max_spikes` per neuron (`LayerSpikes`).
 * @module
 */
import type { NeuronParams } from "../model/params.ts";
import type { DropoutConfig } from "./dropout.ts";

/** Network architecture and neuron model. */
export interface NetworkSpec {
  readonly neuron: NeuronParams;
  /** Layer sizes including the input, e.g. [784, 800, 10]. */
  readonly sizes: readonly number[];
}

/** A network: architecture plus weights. */
export interface Network extends NetworkSpec {
  /** weights[l]: (sizes[l], sizes[l+1]) */
  readonly weights: Float64Array[];
}

/** Input spike trains of a batch, CSR over samples; events need not be sorted. */
export interface SpikeInput {
  /** Number of samples. */
  readonly size: number;
  /** (size + 1): events of sample s are offsets[s] .. offsets[s+1]-1. */
  readonly offsets: Int32Array;
  /** (events) input neuron of each event. */
  readonly neuron: Int32Array;
  /** (events) spike time of each event, >= 0. */
  readonly time: Float64Array;
}

/**
 * Raw intensities of a batch of images, which the engine encodes itself with the latency code of MODEL.md
 * section 4: pixel p of a sample with intensity x > 0 sends one spike of input neuron p at t = t_in (1 - x);
 * x = 0 sends none. The spikes are those `encodeImages` (src/data/encode.ts) makes, which the CPU engine
 * uses; the WebGPU engine encodes on the GPU (shaders/encode_input.wgsl), so only the bytes go up.
 */
export interface ImageBatch {
  /** Number of samples. */
  readonly size: number;
  /** (size, n_in) intensities: bytes v (x = v / 255), or floats x in [0, 1]. */
  readonly pixels: Uint8Array | Float32Array;
  /** Encoding window, e.g. 5 (the time unit of tau_m): a white pixel spikes at 0, the faintest just before. */
  readonly t_in: number;
}

/** A batch as the engines take it: spike trains, or images the engine encodes. */
export type EngineInput = SpikeInput | ImageBatch;

/** Whether `input` is a batch of images (else spike trains). */
export function isImageBatch(input: EngineInput): input is ImageBatch {
  return "pixels" in input;
}

/** Spikes of one layer over a batch. */
export interface LayerSpikes {
  readonly neurons: number;
  /** Spike slots per neuron (= max_spikes). */
  readonly capacity: number;
  /** (batch, neurons) spikes of each neuron. */
  readonly count: Int32Array;
  /** (batch, neurons, capacity) spike times, ascending; slots past `count` are unspecified. */
  readonly time: Float64Array;
}

/** Counters of one layer, summed over the samples of a batch (MODEL.md section 5). */
export interface LayerStats {
  /** Total spikes. */
  spikes: number;
  /** (neuron, sample) pairs with no spike. */
  silent: number;
  /** (neuron, sample) pairs that reached max_spikes. */
  capped: number;
  /** Crossings whose slope was clamped to rho_min. */
  grazing: number;
  /** Spikes lost because a buffer was full (GPU engine); always 0 on the CPU. */
  overflow: number;
}

/** Outcome of a forward pass. */
export interface ForwardResult {
  /** One entry per non-input layer. */
  readonly layers: LayerSpikes[];
  /** One entry per non-input layer. */
  readonly stats: LayerStats[];
}

/** The readout and loss of MODEL.md section 4. */
export interface LossConfig {
  /**
   * "first-spike": cross-entropy over softmax(-t_first / tau0); silent outputs count as t_max.
   * "multi-spike": cross-entropy over softmax(sum_k exp(-t_k / tau0)), a soft spike count.
   */
  readonly kind: "first-spike" | "multi-spike";
  /** Temperature of the readout, in time units, e.g. 1. */
  readonly tau0: number;
  /** Weight of the term (theta - Vmax_i)/theta added for every silent output neuron i, e.g. 1. */
  readonly vmax_weight: number;
  /**
   * Weight of the same term for every silent hidden neuron, e.g. 1e-3; 0 or absent turns it off. Without
   * it, hidden neurons that fall silent never come back (they get no timing gradient).
   */
  readonly hidden_vmax_weight?: number;
  /**
   * Weight of the timing anchor (t_ref_weight / 2) (t_first_i - t_ref)^2, added for every output neuron i
   * that fires; 0 or absent turns it off. The cross-entropy only sees differences of first-spike times, so
   * nothing holds the decision in place: on MNIST it drifts early during training, before most hidden
   * spikes (README, "Results"); the anchor holds the output spikes around t_ref.
   */
  readonly t_ref_weight?: number;
  /** Time the anchor pulls the first output spikes towards, e.g. 8. */
  readonly t_ref?: number;
  /**
   * Label smoothing e in [0, 1): the cross-entropy's target is (1 - e) on the label plus e / n_out on every
   * output (Szegedy et al. 2016) instead of the label alone; 0 or absent turns it off. It keeps the
   * readout from driving the logits of the wrong classes ever further from the label's.
   */
  readonly label_smoothing?: number;
}

/** Loss, predictions and gradients of a batch. */
export interface GradientResult {
  /** Sum over the batch of the per-sample loss. */
  readonly loss: number;
  /** (batch) predicted class; -1 when all outputs are silent. */
  readonly predictions: Int32Array;
  /** Samples whose prediction equals the label. */
  readonly correct: number;
  /** dL/dW per layer, summed over the batch; same layout as the weights. */
  readonly weightGrads: Float64Array[];
  /**
   * dL/dt of the input spikes. For a `SpikeInput`: (events), every event in its order. For an `ImageBatch`:
   * (size, n_in), the spike of each pixel; 0 for a pixel that sends none (x = 0, or t after t_max).
   */
  readonly inputGrads: Float64Array;
  readonly forward: ForwardResult;
}

/** Outcome of an evaluation (forward + loss, no gradients). */
export interface EvalResult {
  readonly loss: number;
  readonly predictions: Int32Array;
  readonly correct: number;
  /**
   * Samples in which two or more outputs share the winning readout value (the lowest index wins), in the
   * engine's own arithmetic: f32 on the GPU ties more often than f64 on the CPU.
   */
  readonly ties: number;
  /** (batch) time of the first output spike (decision time); NaN when all outputs are silent. */
  readonly decisionTime: Float64Array;
  readonly stats: LayerStats[];
}

/**
 * What both engines accumulate while they run a batch (or a part of one); each adds its own extras
 * (the CPU engine's kept spikes, the WebGPU engine's gradients).
 */
export interface BatchOutcome {
  /** Sum of the per-sample loss. */
  loss: number;
  correct: number;
  /** See EvalResult.ties. */
  ties: number;
  /** (samples) predicted class, -1 when all outputs are silent. */
  predictions: Int32Array;
  /** (samples) first output spike, NaN if none. */
  decisionTime: Float64Array;
  stats: LayerStats[];
  /** Per layer (samples, neurons) and (samples, neurons, capacity), when spikes were requested. */
  spikes?: { count: Int32Array; time: Float64Array }[];
}

/** An empty BatchOutcome for `samples` samples and `layers` non-input layers. */
export function emptyOutcome(samples: number, layers: number): BatchOutcome {
  return {
    loss: 0,
    correct: 0,
    ties: 0,
    predictions: new Int32Array(samples).fill(-1),
    decisionTime: new Float64Array(samples).fill(NaN),
    stats: emptyStats(layers),
  };
}

/** Adam hyperparameters; `lr` may change every step (schedules). */
export interface AdamConfig {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Decoupled weight decay (AdamW, Loshchilov & Hutter 2019): w -= lr * weight_decay * w (absent = 0). */
  readonly weight_decay?: number;
}

/** Optimizer state for checkpoints: moments per layer and step count. */
export interface AdamState {
  step: number;
  m: Float64Array[];
  v: Float64Array[];
}

/** Metrics of one training step. */
export interface StepMetrics {
  readonly loss: number;
  readonly correct: number;
  readonly size: number;
  readonly stats: LayerStats[];
}

/** A simulator of the network of MODEL.md that can also train it. */
export interface Engine {
  /** "cpu" or the adapter description. */
  readonly device: string;
  readonly spec: NetworkSpec;
  getWeights(): Promise<Float64Array[]>;
  setWeights(weights: Float64Array[]): Promise<void>;
  /**
   * Training steps that may be in flight at once, e.g. 2: with n > 1 a caller may call `trainStep` again
   * up to n - 1 times before the oldest call's promise settles; the steps are applied in call order, with
   * the same results as one after the other. 1 or absent: await every `trainStep` before the next.
   */
  readonly stepsInFlight?: number;
  forward(input: EngineInput): Promise<ForwardResult>;
  evaluate(input: EngineInput, labels: Int32Array, loss: LossConfig): Promise<EvalResult>;
  /**
   * Loss and exact gradients of the batch (sums over its samples).
   * @param dropout hidden neurons dropped (src/engine/dropout.ts); none when absent. The loss, predictions
   *   and gradients are the masked network's; `forward` holds every spike, dropped neurons' included.
   */
  gradients(
    input: EngineInput,
    labels: Int32Array,
    loss: LossConfig,
    dropout?: DropoutConfig,
  ): Promise<GradientResult>;
  /** Gradients of the batch mean loss (under `dropout` when given), then one Adam update of every weight. */
  trainStep(
    input: EngineInput,
    labels: Int32Array,
    loss: LossConfig,
    adam: AdamConfig,
    dropout?: DropoutConfig,
  ): Promise<StepMetrics>;
  getOptimizerState(): Promise<AdamState>;
  setOptimizerState(state: AdamState): Promise<void>;
  dispose(): void;
}

/** Fresh zero counters for `layers` layers. */
export function emptyStats(layers: number): LayerStats[] {
  return Array.from({ length: layers }, () => ({ spikes: 0, silent: 0, capped: 0, grazing: 0, overflow: 0 }));
}

/** Adds the counters of `from` into `into`. */
export function addStats(into: LayerStats[], from: readonly LayerStats[]): void {
  for (let l = 0; l < into.length; l++) {
    into[l].spikes += from[l].spikes;
    into[l].silent += from[l].silent;
    into[l].capped += from[l].capped;
    into[l].grazing += from[l].grazing;
    into[l].overflow += from[l].overflow;
  }
}
