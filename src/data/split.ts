/**
 * The contract of a dataset split, shared by the image and Yin-Yang datasets (re-exported by
 * `dataset.ts`, where callers import it from).
 * @module
 */
import type { EngineInput, SpikeInput } from "../engine/engine.ts";

/** Samples of one split (train, validation or test) with their labels and input encoding. */
export interface Split {
  /** Number of samples. */
  readonly size: number;
  /** (size) class of each sample, 0 .. classes-1. */
  readonly labels: Int32Array;
  /**
   * Encodes the samples at `indices` (any order) as a batch of input spikes (MODEL.md section 4).
   * @param indices sample indices in 0 .. size-1
   * @param tIn encoding window, e.g. 5 (same time unit as tau_m)
   */
  encode(indices: ArrayLike<number>, tIn: number): SpikeInput;
  /**
   * The samples at `indices` in the form engines take best, with the same spikes as `encode`: images as
   * raw intensities (`ImageBatch`: the engine encodes them, the WebGPU engine on the GPU), others (Yin-Yang)
   * as spike trains.
   * @param indices sample indices in 0 .. size-1
   * @param tIn encoding window, e.g. 5
   */
  batch(indices: ArrayLike<number>, tIn: number): EngineInput;
  /** Mean number of input spikes per sample (for weight initialisation), e.g. 150 for MNIST. */
  readonly meanEvents: number;
}
