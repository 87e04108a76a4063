/**
 * Runs a range of samples of a batch through the whole network on one thread: forward, loss, backward.
 * The CPU engine uses one runner on the main thread or one per worker.
 * @module
 */
import { NeuronMath } from "../../model/kernel.ts";
import type { NeuronParams } from "../../model/params.ts";
import { type BatchOutcome, emptyOutcome, type LossConfig, type SpikeInput } from "../engine.ts";
import { type DropoutConfig, dropThreshold, isDropped, keptScale, layerMaskSeed } from "../dropout.ts";
import { sampleLoss } from "../loss.ts";
import { LayerBackward } from "./backward.ts";
import { LayerTrace } from "./forward.ts";

/** What a range of samples produced. Arrays cover only the range (index 0 = sample `from`). */
export type RangeResult = BatchOutcome;

/** What to compute for a range. */
export interface RangeRequest {
  from: number;
  to: number;
  /** Keep every layer's spikes (for `forward`). */
  keepSpikes: boolean;
  /** Labels and loss, for `evaluate` and `gradients`. */
  labels?: Int32Array;
  loss?: LossConfig;
  /** When given: accumulate dL/dW (times `gradScale`) here, per layer (nIn, nOut). */
  dW?: Float64Array[];
  /** When given with dW: dL/dt of every input event of the whole batch (events of `input`). */
  inputGrads?: Float64Array;
  /** Factor applied to every gradient, e.g. 1/batch for the batch mean. */
  gradScale?: number;
  /** Hidden neurons dropped (training); masks are keyed by the sample's index in the whole batch. */
  dropout?: DropoutConfig;
}

/** Dropout of one run: per hidden layer, the mask seed and the current sample's mask. */
interface ActiveDropout {
  readonly threshold: number;
  readonly scale: number;
  readonly seeds: number[];
  /** Per hidden layer (neurons): 1 where the neuron is dropped in the current sample. */
  readonly masks: Uint8Array[];
}

/** Forward, loss and backward of whole samples on one thread. */
export class BatchRunner {
  readonly math: NeuronMath;
  readonly #traces: LayerTrace[];
  readonly #backs: LayerBackward[];
  readonly #gTime: Float64Array[];
  /** Per layer (nOut): dL/dVmax of silent neurons. */
  readonly #gVmax: Float64Array[];
  /** Per layer above the first: its weights times 1 / (1 - rate), refreshed by every run under dropout. */
  readonly #scaled: Float64Array[] = [];

  /**
   * @param weights per layer (sizes[l], sizes[l+1]); read at every call, so updating them in place (or
   * through a SharedArrayBuffer) is seen by the next call
   */
  constructor(neuron: NeuronParams, readonly sizes: readonly number[], readonly weights: Float64Array[]) {
    this.math = new NeuronMath(neuron);
    const cap = neuron.max_spikes;
    const L = sizes.length - 1;
    this.#traces = [];
    this.#backs = [];
    this.#gTime = [];
    for (let l = 0; l < L; l++) {
      this.#traces.push(new LayerTrace(sizes[l], sizes[l + 1], cap));
      this.#backs.push(new LayerBackward(sizes[l], sizes[l + 1], cap));
      this.#gTime.push(new Float64Array(sizes[l + 1] * cap));
    }
    this.#gVmax = sizes.slice(1).map((n) => new Float64Array(n));
  }

  /** Runs samples `req.from .. req.to-1` of `input`. */
  run(input: SpikeInput, req: RangeRequest): RangeResult {
    const L = this.sizes.length - 1;
    const m = req.to - req.from;
    const cap = this.math.maxSpikes;
    const result = emptyOutcome(m, L);
    if (req.keepSpikes) {
      result.spikes = this.#traces.map((t) => ({
        count: new Int32Array(m * t.nOut),
        time: new Float64Array(m * t.nOut * cap),
      }));
    }
    const hiddenVmax = req.loss?.hidden_vmax_weight ?? 0;
    const drop = this.#dropout(req.dropout);
    for (let s = req.from; s < req.to; s++) {
      if (drop) {
        drop.masks.forEach((mask, h) => {
          for (let i = 0; i < mask.length; i++) {
            mask[i] = isDropped(drop.seeds[h], s, i, drop.threshold) ? 1 : 0;
          }
        });
      }
      this.#forwardSample(input, s, hiddenVmax > 0, drop);
      const r = s - req.from;
      for (let l = 0; l < L; l++) {
        const t = this.#traces[l];
        t.addStats(result.stats[l]);
        if (result.spikes) {
          result.spikes[l].count.set(t.count, r * t.nOut);
          result.spikes[l].time.set(t.time, r * t.nOut * cap);
        }
      }
      if (req.labels && req.loss) {
        const top = this.#traces[L - 1];
        const scale = req.gradScale ?? 1;
        const grads = req.dW ? { gTime: this.#gTime[L - 1], gVmax: this.#gVmax[L - 1], scale } : undefined;
        const out = sampleLoss(top, req.labels[s], req.loss, this.math.tMax, this.math.theta, grads);
        result.loss += out.loss + this.#hiddenSilence(hiddenVmax, req.dW ? scale : 0);
        result.predictions[r] = out.prediction;
        result.decisionTime[r] = out.decisionTime;
        if (out.prediction === req.labels[s]) result.correct++;
        if (out.tied) result.ties++;
        if (req.dW) this.#backwardSample(input, s, req.dW, req.inputGrads, drop);
      } else {
        const top = this.#traces[L - 1];
        let first = NaN;
        for (let i = 0; i < top.nOut; i++) {
          if (top.count[i] > 0 && !(top.time[i * cap] >= first)) first = top.time[i * cap];
        }
        result.decisionTime[r] = first;
      }
    }
    return result;
  }

  /**
   * The Vmax term of silent hidden neurons (LossConfig.hidden_vmax_weight): its loss, and dL/dVmax times
   * `scale` into the hidden layers' gVmax (cleared when `scale` is 0 or the term is off).
   */
  #hiddenSilence(weight: number, scale: number): number {
    const theta = this.math.theta;
    let loss = 0;
    for (let l = 0; l < this.#traces.length - 1; l++) {
      const t = this.#traces[l];
      const g = this.#gVmax[l].fill(0);
      if (weight === 0) continue;
      for (let i = 0; i < t.nOut; i++) {
        if (t.count[i] !== 0) continue;
        loss += weight * (theta - t.vmax[i]) / theta;
        g[i] = -weight / theta * scale;
      }
    }
    return loss;
  }

  /** The run's dropout state, with the scaled weights of the layers it feeds; null when off. */
  #dropout(d: DropoutConfig | undefined): ActiveDropout | null {
    if (!d || d.rate === 0) return null;
    const scale = keptScale(d.rate);
    const L = this.sizes.length - 1;
    for (let l = 1; l < L; l++) {
      const w = this.weights[l];
      this.#scaled[l] ??= new Float64Array(w.length);
      const into = this.#scaled[l];
      for (let k = 0; k < w.length; k++) into[k] = w[k] * scale;
    }
    return {
      threshold: dropThreshold(d.rate),
      scale,
      seeds: Array.from({ length: L - 1 }, (_, h) => layerMaskSeed(d.seed, h)),
      masks: Array.from({ length: L - 1 }, (_, h) => new Uint8Array(this.sizes[h + 1])),
    };
  }

  #forwardSample(input: SpikeInput, s: number, trackHidden: boolean, drop: ActiveDropout | null): void {
    const L = this.sizes.length - 1;
    const cap = this.math.maxSpikes;
    for (let l = 0; l < L; l++) {
      const t = this.#traces[l];
      if (l === 0) {
        t.events.fillFromInput(
          input.neuron,
          input.time,
          input.offsets[s],
          input.offsets[s + 1],
          this.math.tMax,
        );
      } else {
        const below = this.#traces[l - 1];
        t.events.fillFromSpikes(below.count, below.time, below.nOut, cap, drop?.masks[l - 1]);
      }
      const w = drop && l > 0 ? this.#scaled[l] : this.weights[l];
      t.run(this.math, w, trackHidden || l === L - 1);
    }
  }

  #backwardSample(
    input: SpikeInput,
    s: number,
    dW: Float64Array[],
    inputGrads: Float64Array | undefined,
    drop: ActiveDropout | null,
  ): void {
    const L = this.sizes.length - 1;
    for (let l = L - 1; l >= 0; l--) {
      const t = this.#traces[l];
      const back = this.#backs[l];
      // dL/ds of the first layer's events is needed only for input gradients.
      const withInputGrads = l > 0 || inputGrads !== undefined;
      // Under dropout the layer ran with scaled weights: the unscaled ones with scaled items give dL/dw.
      const itemScale = drop && l > 0 ? drop.scale : 1;
      back.run(
        this.math,
        t,
        this.weights[l],
        this.#gTime[l],
        this.#gVmax[l],
        dW[l],
        withInputGrads,
        itemScale,
      );
      const n = t.events.n;
      const origin = t.events.origin;
      if (l > 0) {
        // Send dL/ds of each event to the spike of the layer below that caused it.
        const gBelow = this.#gTime[l - 1].fill(0);
        for (let e = 0; e < n; e++) gBelow[origin[e]] += back.gIn[e];
      } else if (inputGrads) {
        const base = input.offsets[s];
        for (let e = 0; e < n; e++) inputGrads[base + origin[e]] += back.gIn[e];
      }
    }
  }
}
