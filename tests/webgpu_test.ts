/**
 * The WebGPU engine against the CPU engine (the reference): the shared parity suite (tests/engine_cases.ts)
 * plus batch sizes 1, 3 and 17 split over several submissions, buffer overflow counting, and a few training
 * steps. Runs on any adapter, llvmpipe included; skipped when there is none.
 *
 * Tolerances, justified for f32: spike times carry relative errors of a few 1e-7 per operation, and the
 * potential is advanced through ~100 events by products of per-interval decays, so a time on the scale
 * t_max = 16 is off by ~1e-5; 1e-4 leaves a margin of 10. Gradients are sums of up to a few hundred f32
 * terms of mixed sign divided by slopes rho >= rho_min, which amplify the time error by theta / (tau_m rho);
 * 2e-3 relative to the array's largest entry covers that.
 * @module
 */
import { engineParitySuite } from "./engine_cases.ts";
import { createWebGpuEngine } from "../src/engine/webgpu/webgpu_engine.ts";

const adapter = await navigator.gpu?.requestAdapter().catch(() => null) ?? null;
const noGpu = adapter === null;

const TOL = { time: 1e-4, grad: 2e-3 };

engineParitySuite("WebGPU", (net) => createWebGpuEngine(net, { adapter: "any" }), TOL, { ignore: noGpu });
