/**
 * Readout and loss of one sample (MODEL.md section 4), with dL/dt for every output spike and dL/dVmax
 * for silent outputs. The WebGPU engine's loss shader follows these rules exactly.
 * @module
 */
import type { LossConfig } from "./engine.ts";

/** The default loss: chosen by measurement (README, "Results"). */
export const DEFAULT_LOSS: LossConfig = Object.freeze({
  kind: "first-spike",
  tau0: 1,
  vmax_weight: 1,
  hidden_vmax_weight: 1e-3,
});

/** One sample's output-layer spikes and the potential maxima of its silent neurons. */
export interface OutputSpikes {
  readonly nOut: number;
  readonly capacity: number;
  /** (nOut) */
  readonly count: Int32Array;
  /** (nOut, capacity) */
  readonly time: Float64Array;
  /** (nOut) max of V over the window for silent neurons. */
  readonly vmax: Float64Array;
}

/** Loss of one sample and its readout. */
export interface SampleLoss {
  loss: number;
  /** Predicted class, -1 when every output is silent. */
  prediction: number;
  /** Time of the first output spike; NaN when every output is silent. */
  decisionTime: number;
  /** Two or more outputs share the winning readout value (the lowest index wins). */
  tied: boolean;
}

/**
 * sum_i q_i z_i for the cross-entropy's target q, so that the loss is logsumexp(z) - this (the targets sum
 * to 1): label smoothing e (LossConfig.label_smoothing) puts (1 - e) on the label plus e / n on each of the
 * n logits from `from`; with e = 0 this is z_label, bit for bit. Shared with the reference ANN
 * (src/baseline/mlp.ts), so both smooth the same way.
 */
export function targetLogit(
  logits: ArrayLike<number>,
  from: number,
  n: number,
  label: number,
  smoothing: number,
): number {
  const spread = smoothing / n;
  let sum = (1 - smoothing) * logits[from + label];
  if (spread > 0) { for (let i = 0; i < n; i++) sum += spread * logits[from + i]; }
  return sum;
}

/**
 * Loss of one sample with label `label`; when `gTime` (nOut, capacity) and `gVmax` (nOut) are given, also
 * writes dL/dt of every output spike and dL/dVmax (zero where there is no dependence), times `scale`.
 */
export function sampleLoss(
  out: OutputSpikes,
  label: number,
  cfg: LossConfig,
  tMax: number,
  theta: number,
  grads?: { gTime: Float64Array; gVmax: Float64Array; scale: number },
): SampleLoss {
  const { nOut, capacity: cap, count, time } = out;
  const logits = new Float64Array(nOut);
  let decisionTime = NaN;
  for (let i = 0; i < nOut; i++) {
    if (count[i] > 0 && !(time[i * cap] >= decisionTime)) decisionTime = time[i * cap];
  }
  let prediction = -1;
  let tied = false;
  if (cfg.kind === "first-spike") {
    // z_i = -t_first_i / tau0; a silent output counts as firing at t_max.
    let best = Infinity;
    for (let i = 0; i < nOut; i++) {
      const t = count[i] > 0 ? time[i * cap] : tMax;
      logits[i] = -t / cfg.tau0;
      if (count[i] === 0) continue;
      if (t < best) {
        best = t;
        prediction = i;
        tied = false;
      } else if (t === best) tied = true;
    }
  } else {
    // z_i = sum_k exp(-t_ik / tau0): a soft spike count that rewards early spikes.
    let best = 0;
    for (let i = 0; i < nOut; i++) {
      let z = 0;
      for (let k = 0; k < count[i]; k++) z += Math.exp(-time[i * cap + k] / cfg.tau0);
      logits[i] = z;
      if (count[i] === 0) continue;
      if (z > best) {
        best = z;
        prediction = i;
        tied = false;
      } else if (z === best) tied = true;
    }
  }
  // Cross-entropy with a stable log-sum-exp.
  let zMax = -Infinity;
  for (let i = 0; i < nOut; i++) zMax = Math.max(zMax, logits[i]);
  let sum = 0;
  for (let i = 0; i < nOut; i++) sum += Math.exp(logits[i] - zMax);
  const smoothing = cfg.label_smoothing ?? 0;
  const spread = smoothing / nOut;
  let loss = zMax + Math.log(sum) - targetLogit(logits, 0, nOut, label, smoothing);
  // Every silent output is pulled towards threshold through its potential maximum (MODEL.md section 4).
  // Pulling only the target is not enough: outputs pushed late by the cross-entropy fall silent for
  // every class and training collapses (measured on Yin-Yang; README, "Model").
  // The timing anchor holds the first spike of every firing output around t_ref (LossConfig.t_ref_weight).
  const anchor = cfg.t_ref_weight ?? 0;
  const tRef = cfg.t_ref ?? 0;
  for (let i = 0; i < nOut; i++) {
    if (count[i] === 0) loss += cfg.vmax_weight * (theta - out.vmax[i]) / theta;
    else if (anchor > 0) loss += anchor / 2 * (time[i * cap] - tRef) ** 2;
  }
  if (grads) {
    const { gTime, gVmax, scale } = grads;
    gTime.fill(0, 0, nOut * cap);
    gVmax.fill(0, 0, nOut);
    for (let i = 0; i < nOut; i++) {
      if (count[i] === 0) continue; // silent: no timing gradient (MODEL.md section 4)
      const dz = (Math.exp(logits[i] - zMax) / sum - ((i === label ? 1 - smoothing : 0) + spread)) * scale;
      if (cfg.kind === "first-spike") {
        gTime[i * cap] = -dz / cfg.tau0;
      } else {
        for (let k = 0; k < count[i]; k++) {
          const t = time[i * cap + k];
          gTime[i * cap + k] = -dz * Math.exp(-t / cfg.tau0) / cfg.tau0;
        }
      }
      if (anchor > 0) gTime[i * cap] += anchor * (time[i * cap] - tRef) * scale;
    }
    for (let i = 0; i < nOut; i++) if (count[i] === 0) gVmax[i] = -cfg.vmax_weight / theta * scale;
  }
  return { loss, prediction, decisionTime, tied };
}
