/**
 * File helpers of training, evaluation and sweeps: atomic writes and an early writability check.
 * @module
 */
import { TrainingError } from "./errors.ts";

/**
 * Writes `data` to `path` through a temporary file and a rename, so that readers (and a run killed
 * mid-write) see either the old or the new file, never half of one.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  if (typeof data === "string") await Deno.writeTextFile(tmp, data);
  else await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}

/**
 * Creates `dir` (with parents) and proves it writable, so that a bad `--out` fails before any work.
 * @throws TrainingError naming the directory and the system's reason
 */
export async function prepareOutDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
    const probe = `${dir}/.write-test-${Deno.pid}`;
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (e) {
    throw new TrainingError(`output directory ${dir} is not writable: ${e instanceof Error ? e.message : e}`);
  }
}

/** Whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
