/**
 * Runs the WebGPU test files in their own `deno test` process (`deno task test` calls it) and passes its exit
 * status through, with one exception, argued in the README's "Tests": a process that aborts (SIGABRT, exit
 * 134, glibc "double free or corruption") *after* the test runner has printed its own summary with 0 failed.
 * That is a teardown fault of Deno's WebGPU on Mesa's llvmpipe at process exit, below our code: every test has
 * run and passed by then. It is reported in one line, not hidden. Any other failure, or an abort before the
 * summary, fails the task.
 *
 *   deno run --allow-run --allow-read scripts/test_webgpu.ts
 * @module
 */

import { stripVTControlCharacters } from "node:util";

/** The files deno.json's test task leaves out of its first process (`--ignore`). */
const files = ["tests/webgpu_test.ts", "tests/webgpu_input_test.ts"];

/**
 * Whether a finished `deno test` process counts as a pass: it exited 0, or it aborted (SIGABRT, 134) after
 * its own summary line said 0 failed.
 * @param output the tail of its stdout (ANSI colours allowed)
 */
export function countsAsPass(
  status: { success: boolean; code: number; signal: string | null },
  output: string,
) {
  if (status.success) return true;
  // deno test's last line: "ok | 13 passed (17 steps) | 0 failed (4s)", coloured on a terminal.
  const plain = stripVTControlCharacters(output);
  const passedAll = /^ok \| \d+ passed.*\| 0 failed/m.test(plain);
  return passedAll && (status.signal === "SIGABRT" || status.code === 134);
}

if (import.meta.main) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-read", "--allow-write", "--allow-env", "--allow-sys", ...files],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  // Stream the runner's output as it comes, keeping its tail for the summary line.
  let tail = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) {
    await Deno.stdout.write(chunk);
    tail = (tail + decoder.decode(chunk, { stream: true })).slice(-4000);
  }
  const status = await child.status;
  if (status.success) Deno.exit(0);
  if (countsAsPass(status, tail)) {
    console.error(
      "note: the WebGPU test process aborted at exit (SIGABRT) after every test passed: the known teardown " +
        "fault of Deno's WebGPU on llvmpipe (README, Tests); counted as a pass",
    );
    Deno.exit(0);
  }
  Deno.exit(status.code === 0 ? 1 : status.code);
}
