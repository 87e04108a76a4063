/**
 * `multispike info`: what this installation can do (version, Deno, WebGPU adapters, datasets), so that a
 * user can tell why `--device auto` picked the CPU or why a dataset is missing.
 * @module
 */

/** Options of `info`. */
export interface InfoOptions {
  /** multispike's version, from deno.json. */
  readonly version: string;
  /** Extra directory to look for IDX datasets in. */
  readonly dataDir?: string;
}

/**
 * Collects the facts `info` prints.
 * @param opts version and data directory
 * @returns lines of "name: value"
 */
export async function info(opts: InfoOptions): Promise<string> {
  const lines = [
    `multispike ${opts.version}`,
    `deno ${Deno.version.deno} (v8 ${Deno.version.v8}, typescript ${Deno.version.typescript}) on ${Deno.build.target}`,
    `cpu threads: ${navigator.hardwareConcurrency ?? "unknown"}`,
  ];
  lines.push(...await webgpuLines());
  lines.push(...await datasetLines(opts.dataDir));
  return lines.join("\n");
}

async function webgpuLines(): Promise<string[]> {
  const { probeHardwareAdapter } = await import("../engine/webgpu/webgpu_engine.ts");
  const hw = await probeHardwareAdapter();
  const lines = [
    `webgpu hardware adapter: ${hw.available ? hw.description : `none (${hw.reason})`}`,
    `--device auto uses: ${hw.available ? "gpu" : "cpu"}`,
  ];
  // Any adapter, software ones included: what `--device gpu` would use.
  const adapter = "gpu" in navigator ? await navigator.gpu.requestAdapter() : null;
  if (adapter) {
    const i = adapter.info;
    // Deno fills `description` with the driver's name; vendor and device are often bare PCI numbers.
    const text = i.description || [i.vendor, i.architecture, i.device].filter((s) => s).join(" ");
    const fallback = (i as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
      (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
    const soft = fallback ? " (software)" : "";
    lines.push(`--device gpu uses: ${text || "an unnamed adapter"}${soft}`);
  } else {
    lines.push("--device gpu uses: nothing (no WebGPU adapter at all)");
  }
  return lines;
}

async function datasetLines(dataDir?: string): Promise<string[]> {
  const { DATASET_NAMES, loadDataset } = await import("../data/dataset.ts");
  const lines: string[] = [];
  for (const name of DATASET_NAMES) {
    try {
      const d = await loadDataset(name, { dataDir, seed: 0, limitTrain: 1, limitTest: 1 });
      lines.push(`dataset ${name}: available (${d.source})`);
    } catch (e) {
      // A missing dataset is an expected state here, not an error: show its how-to-get-it line.
      if (e instanceof Error && (e as { exitCode?: number }).exitCode === 2) {
        lines.push(`dataset ${name}: missing: ${e.message}`);
      } else throw e;
    }
  }
  return lines;
}
