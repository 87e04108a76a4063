/**
 * The compute pipelines of the engine, built once per engine: one per kernel of `shaders/`, with the
 * neuron model baked in as `override` constants.
 * @module
 */
import type { NeuronParams } from "../../model/params.ts";
import { rhoMin } from "../../model/params.ts";
import { KERNEL_NAMES, type KernelName, loadKernelSources } from "./shaders.ts";

/** Threads per workgroup of the 1-D kernels (the `WG` override). */
export const WORKGROUP = 64;

/** One labelled pipeline per kernel. */
export type Pipelines = Record<KernelName, GPUComputePipeline>;

/** The override constants of common.wgsl for one neuron model. */
export function neuronConstants(neuron: NeuronParams): Record<string, number> {
  const a = 1 / neuron.tau_m;
  const b = 1 / neuron.tau_s;
  return {
    A: a,
    B: b,
    A_AB: a === b ? 0 : a / (a - b),
    THETA: neuron.theta,
    T_MAX: neuron.t_max,
    RHO_MIN: rhoMin(neuron),
    CAP: neuron.max_spikes,
    // A Newton step this small leaves an error far below f32 resolution of the spike time.
    TOL: 1e-6 * Math.min(neuron.tau_m, neuron.tau_s),
    WG: WORKGROUP,
  };
}

/**
 * Compiles every kernel for `neuron`.
 * @throws Error with the compiler's messages when a shader does not compile (a bug, not a user error)
 */
export async function createPipelines(device: GPUDevice, neuron: NeuronParams): Promise<Pipelines> {
  const sources = await loadKernelSources();
  const constants = neuronConstants(neuron);
  const out = {} as Pipelines;
  for (const name of KERNEL_NAMES) {
    const module = device.createShaderModule({ label: name, code: sources[name] });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === "error");
    if (errors.length > 0) {
      throw new Error(
        `${name}.wgsl: ${errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join("; ")}`,
      );
    }
    device.pushErrorScope("validation");
    out[name] = device.createComputePipeline({
      label: name,
      layout: "auto",
      compute: { module, entryPoint: "main", constants },
    });
    const err = await device.popErrorScope();
    if (err) throw new Error(`${name}.wgsl: ${err.message}`);
  }
  return out;
}
