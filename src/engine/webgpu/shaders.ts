/**
 * WGSL sources of the kernels, read as text beside the module (`shaders/<name>.wgsl`, so that
 * `deno compile --include shaders` embeds them), each with `shaders/common.wgsl` prepended.
 * @module
 */

/** The kernels of the engine, one file each in `shaders/`. */
export const KERNEL_NAMES = [
  "encode_input",
  "gather_sort",
  "forward",
  "loss",
  "adjoint",
  "weight_grad",
  "input_grad",
  "stats",
  "adam",
] as const;

/** Name of one kernel. */
export type KernelName = typeof KERNEL_NAMES[number];

function shaderUrl(name: string): URL {
  return new URL(`../../../shaders/${name}.wgsl`, import.meta.url);
}

/**
 * Reads every kernel's source.
 * @returns WGSL per kernel, `common.wgsl` first
 */
export async function loadKernelSources(): Promise<Record<KernelName, string>> {
  const common = await Deno.readTextFile(shaderUrl("common"));
  const out = {} as Record<KernelName, string>;
  await Promise.all(KERNEL_NAMES.map(async (name) => {
    out[name] = `${common}\n// ---- ${name}.wgsl ----\n${await Deno.readTextFile(shaderUrl(name))}`;
  }));
  return out;
}
