/**
 * Picks the engine for a run: `--device auto|gpu|cpu`.
 * @module
 */
import { CpuEngine } from "../engine/cpu/cpu_engine.ts";
import type { Engine, Network } from "../engine/engine.ts";
import type { DeviceChoice } from "./config.ts";

/** An engine and one line saying why it was chosen, for logs and summary.json. */
export interface EngineChoice {
  readonly engine: Engine;
  readonly reason: string;
}

/**
 * Builds the engine for `device`:
 * - "cpu": the exact CPU engine with `workers` threads (0 = one per core);
 * - "gpu": WebGPU on any adapter, software ones (llvmpipe, lavapipe) included;
 * - "auto": WebGPU when a hardware adapter exists, else the CPU engine (a software adapter is slower than
 *   the CPU engine, README "Benchmarks").
 * @param network architecture and initial weights
 * @param device the user's choice
 * @param workers CPU threads, 0 = one per core
 * @returns the engine and the reason for it
 */
export async function createEngine(
  network: Network,
  device: DeviceChoice,
  workers: number,
): Promise<EngineChoice> {
  if (device === "cpu") {
    return { engine: new CpuEngine(network, { workers }), reason: "cpu: requested with --device cpu" };
  }
  // Loaded only when asked for, so that CPU runs never touch WebGPU.
  const webgpu = await import("../engine/webgpu/webgpu_engine.ts");
  if (device === "gpu") {
    const engine = await webgpu.createWebGpuEngine(network, { adapter: "any" });
    return { engine, reason: `gpu: requested with --device gpu (${engine.device})` };
  }
  const probe = await webgpu.probeHardwareAdapter();
  if (probe.available) {
    const engine = await webgpu.createWebGpuEngine(network, { adapter: "hardware" });
    return { engine, reason: `gpu: hardware adapter ${probe.description}` };
  }
  return { engine: new CpuEngine(network, { workers }), reason: `cpu: ${probe.reason}` };
}
