/**
 * File helpers of training, evaluation and sweeps: an early writability check (atomic writes come from
 * `src/report/csv.ts`).
 * @module
 */
import { TrainingError } from "./errors.ts";

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

/** What `Deno.stat` says of `path`, or null when nothing is there (other errors are thrown). */
export async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  return (await statOrNull(path)) !== null;
}
