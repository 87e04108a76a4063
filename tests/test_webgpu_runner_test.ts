import assert from "node:assert/strict";
import { countsAsPass } from "../scripts/test_webgpu.ts";

Deno.test("WebGPU test runner: an abort at exit counts as a pass only after a summary with 0 failed", () => {
  const ok = "\x1b[0m\x1b[32mok\x1b[0m | 13 passed (17 steps) | 0 failed \x1b[38;5;245m(4s)\x1b[0m\n";
  const failed = "FAILED | 12 passed (16 steps) | 1 failed (4s)\n";
  const abort = { success: false, code: 134, signal: "SIGABRT" };
  assert.equal(countsAsPass({ success: true, code: 0, signal: null }, ""), true);
  assert.equal(countsAsPass(abort, ok), true);
  // An abort before the summary (a crash mid-test), a failed test, or another exit code all fail.
  assert.equal(countsAsPass(abort, "running 13 tests from ./tests/webgpu_test.ts\n"), false);
  assert.equal(countsAsPass(abort, failed), false);
  assert.equal(countsAsPass({ success: false, code: 1, signal: null }, ok), false);
});
