/**
 * Finding a WebGPU adapter and opening a device on it: what `--device auto|gpu` needs to know (is there a
 * hardware GPU?) and the one error class for GPU trouble a user can act on (no adapter, lost device, out of
 * GPU memory).
 * @module
 */

/** A GPU problem the user can act on (no adapter, device lost, out of memory): one line, exit code 2. */
export class WebGpuError extends Error {
  /** Process exit code for this error. */
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "WebGpuError";
  }
}

/** Which adapters an engine may run on: "hardware" refuses software rasterisers, "any" takes them. */
export type AdapterKind = "hardware" | "any";

/** What `probeHardwareAdapter` found. */
export interface AdapterProbe {
  /** Whether a hardware (non-fallback, non-software) adapter exists. */
  readonly available: boolean;
  /** Adapter description, e.g. "NVIDIA H200", or "none". */
  readonly description: string;
  /** Why it is or is not usable, e.g. "llvmpipe is a software rasteriser". */
  readonly reason: string;
}

/** Descriptions of software implementations that WebGPU may offer as adapters. */
const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|software|microsoft basic render|warp/i;

/** A readable name for an adapter: its description, else vendor/device ids. */
export function describeAdapter(adapter: GPUAdapter): string {
  const info = adapter.info;
  const text = info.description || [info.vendor, info.architecture, info.device].filter((x) => x).join(" ");
  return text || "unknown adapter";
}

/** Whether `adapter` is a software fallback (llvmpipe and the like), with the reason. */
function softwareReason(adapter: GPUAdapter): string | null {
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const legacy = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  const desc = describeAdapter(adapter);
  if (info.isFallbackAdapter || legacy) return `${desc} is a fallback (software) adapter`;
  if (SOFTWARE.test(desc)) return `${desc} is a software rasteriser`;
  return null;
}

/**
 * Mesa's Vulkan driver prints "XDG_RUNTIME_DIR is invalid" to stderr on every start when the variable is
 * unset; give it a private directory (mode 700, as the XDG spec asks) before the first adapter request.
 */
function ensureRuntimeDir(): void {
  try {
    if (Deno.env.get("XDG_RUNTIME_DIR")) return;
    const dir = `${Deno.env.get("TMPDIR") ?? "/tmp"}/multispike-runtime-${Deno.uid() ?? 0}`;
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    Deno.env.set("XDG_RUNTIME_DIR", dir);
  } catch {
    // Without env or write permission the driver only prints its complaint; nothing else depends on it.
  }
}

async function requestAdapter(): Promise<GPUAdapter | null> {
  if (typeof navigator === "undefined" || !("gpu" in navigator) || !navigator.gpu) return null;
  ensureRuntimeDir();
  try {
    return await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch {
    // Deno throws instead of resolving null when no backend initialises: no adapter either way.
    return null;
  }
}

/**
 * Whether this machine has a hardware WebGPU adapter (`--device auto` uses it when there is one).
 * @returns availability, the adapter's description and the reason
 */
export async function probeHardwareAdapter(): Promise<AdapterProbe> {
  const adapter = await requestAdapter();
  if (!adapter) return { available: false, description: "none", reason: "no WebGPU adapter found" };
  const description = describeAdapter(adapter);
  const soft = softwareReason(adapter);
  if (soft) return { available: false, description, reason: soft };
  return { available: true, description, reason: `hardware adapter ${description}` };
}

/** An open device and what it runs on. */
export interface GpuContext {
  readonly device: GPUDevice;
  readonly description: string;
  readonly limits: GPUSupportedLimits;
  /** Whether timestamp queries are enabled on the device. */
  readonly timestamps: boolean;
}

/**
 * Opens a device on the best adapter of the allowed kind, with the adapter's own storage limits (the
 * defaults are far below what GPUs offer).
 * @throws WebGpuError when no adapter of that kind exists or the device cannot be opened
 */
export async function openDevice(kind: AdapterKind): Promise<GpuContext> {
  const adapter = await requestAdapter();
  if (!adapter) throw new WebGpuError("no WebGPU adapter found (use --device cpu)");
  const soft = softwareReason(adapter);
  if (kind === "hardware" && soft) {
    throw new WebGpuError(`no hardware GPU: ${soft} (use --device gpu to run on it anyway)`);
  }
  const lim = adapter.limits;
  const timestamps = adapter.features.has("timestamp-query" as GPUFeatureName);
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      label: "multispike",
      requiredFeatures: timestamps ? ["timestamp-query" as GPUFeatureName] : [],
      requiredLimits: {
        maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
        maxBufferSize: lim.maxBufferSize,
        maxStorageBuffersPerShaderStage: Math.min(lim.maxStorageBuffersPerShaderStage, 10),
        maxComputeWorkgroupsPerDimension: lim.maxComputeWorkgroupsPerDimension,
      },
    });
  } catch (e) {
    throw new WebGpuError(
      `cannot open a WebGPU device on ${describeAdapter(adapter)}: ${(e as Error).message}`,
    );
  }
  if (device.limits.maxStorageBuffersPerShaderStage < 8) {
    device.destroy();
    throw new WebGpuError(`${describeAdapter(adapter)} allows fewer than 8 storage buffers per shader stage`);
  }
  return { device, description: describeAdapter(adapter), limits: device.limits, timestamps };
}
