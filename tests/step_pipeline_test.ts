/**
 * runSteps (src/train/step_pipeline.ts): the order of submissions and settlements for 1 and 2 steps in
 * flight, and that a failure (in a step, in `settle`, or an abort in `submit`) leaves only after every step
 * still in flight has finished, with no unhandled rejection.
 * @module
 */
import assert from "node:assert/strict";
import { runSteps } from "../src/train/step_pipeline.ts";

/** A promise with its resolve and reject at hand. */
function deferred<T>() {
  let resolve!: (x: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

/** Whether `p` has settled yet (read after a tick). */
function watch(p: Promise<void>) {
  const state = { settled: false };
  p.then(() => state.settled = true, () => state.settled = true);
  return state;
}

Deno.test("runSteps: step n+1 is submitted before step n is settled, metrics in order", async (t) => {
  for (const depth of [1, 2, 3]) {
    await t.step(`depth ${depth}`, async () => {
      const log: string[] = [];
      await runSteps(4, depth, (k) => {
        log.push(`submit ${k}`);
        return Promise.resolve(k * 10);
      }, (k, x) => {
        assert.equal(x, k * 10);
        log.push(`settle ${k}`);
      });
      const expected: Record<number, string[]> = {
        1: ["submit 0", "settle 0", "submit 1", "settle 1", "submit 2", "settle 2", "submit 3", "settle 3"],
        2: ["submit 0", "submit 1", "settle 0", "submit 2", "settle 1", "submit 3", "settle 2", "settle 3"],
        3: ["submit 0", "submit 1", "submit 2", "settle 0", "submit 3", "settle 1", "settle 2", "settle 3"],
      };
      assert.deepEqual(log, expected[depth]);
    });
  }
});

Deno.test("runSteps: a failing settle waits for the step in flight", async () => {
  const steps = [deferred<number>(), deferred<number>(), deferred<number>()];
  const run = runSteps(3, 2, (k) => steps[k].promise, (k) => {
    if (k === 0) throw new Error("diverged at step 0");
  });
  const runState = watch(run);
  steps[0].resolve(0);
  await tick();
  assert.equal(runState.settled, false, "runSteps waits while step 1 is in flight");
  steps[1].resolve(1);
  await assert.rejects(run, /diverged at step 0/);
});

Deno.test("runSteps: an abort in submit waits for the step in flight; a later failure is not unhandled", async () => {
  const first = deferred<number>();
  const settledSteps: number[] = [];
  const run = runSteps(5, 2, (k) => {
    if (k === 0) return first.promise;
    if (k === 1) return Promise.reject(new Error("device lost"));
    return Promise.resolve(k);
  }, (k) => settledSteps.push(k));
  const runState = watch(run);
  await tick();
  assert.equal(runState.settled, false, "step 1's failure is not reported while step 0 is awaited");
  first.resolve(0);
  // Step 1 failed while step 0 was awaited: reported when its turn comes, after step 0 settled.
  await assert.rejects(run, /device lost/);
  assert.deepEqual(settledSteps, [0]);

  const inFlight = deferred<number>();
  const aborted = runSteps(5, 2, (k) => {
    if (k === 0) return Promise.resolve(0);
    if (k === 1) return inFlight.promise;
    throw new Error("interrupted");
  }, () => {});
  const abortedState = watch(aborted);
  await tick();
  assert.equal(abortedState.settled, false, "the abort waits while step 1 is in flight");
  inFlight.resolve(1);
  await assert.rejects(aborted, /interrupted/);
});
