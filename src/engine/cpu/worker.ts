/**
 * Worker thread of the CPU engine: a BatchRunner over weights shared with the main thread through
 * SharedArrayBuffers; it accumulates its share of dL/dW into its own shared buffers.
 * @module
 */
/// <reference lib="deno.worker" />
import type { NeuronParams } from "../../model/params.ts";
import type { DropoutConfig } from "../dropout.ts";
import type { LossConfig, SpikeInput } from "../engine.ts";
import { BatchRunner } from "./batch_runner.ts";

/** First message: the network. */
export interface WorkerInit {
  kind: "init";
  neuron: NeuronParams;
  sizes: number[];
  /** Per layer, shared weights (nIn * nOut f64). */
  weights: SharedArrayBuffer[];
  /** Per layer, this worker's gradient accumulator (nIn * nOut f64). */
  grads: SharedArrayBuffer[];
}

/** Every later message: a range of samples to run. */
export interface WorkerJob {
  kind: "job";
  input: SpikeInput;
  from: number;
  to: number;
  keepSpikes: boolean;
  labels?: Int32Array;
  loss?: LossConfig;
  withGrads: boolean;
  gradScale: number;
  dropout?: DropoutConfig;
}

let runner: BatchRunner | undefined;
let grads: Float64Array[] = [];

self.onmessage = (ev: MessageEvent<WorkerInit | WorkerJob>) => {
  const msg = ev.data;
  if (msg.kind === "init") {
    runner = new BatchRunner(msg.neuron, msg.sizes, msg.weights.map((b) => new Float64Array(b)));
    grads = msg.grads.map((b) => new Float64Array(b));
    self.postMessage({ kind: "ready" });
    return;
  }
  if (!runner) throw new Error("worker used before init");
  let inputGrads: Float64Array | undefined;
  if (msg.withGrads) {
    for (const g of grads) g.fill(0);
    inputGrads = new Float64Array(msg.input.time.length);
  }
  const result = runner.run(msg.input, {
    from: msg.from,
    to: msg.to,
    keepSpikes: msg.keepSpikes,
    labels: msg.labels,
    loss: msg.loss,
    dW: msg.withGrads ? grads : undefined,
    inputGrads,
    gradScale: msg.gradScale,
    dropout: msg.dropout,
  });
  self.postMessage({ kind: "done", result, inputGrads });
};
