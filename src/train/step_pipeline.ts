/**
 * Training steps with some of them in flight: an engine that queues a whole step before its metrics come
 * back (`Engine.stepsInFlight` = 2, the WebGPU engine) gets step n+1 submitted before the metrics of step n
 * are awaited, so the GPU never waits for the host between steps. Metrics are consumed in step order, and
 * nothing is left running when the loop ends, normally or not.
 * @module
 */

/**
 * Runs steps 0 .. count-1 with up to `depth` submitted and not yet consumed.
 * @param count steps to run
 * @param depth steps in flight at most, e.g. `engine.stepsInFlight ?? 1`; 1 awaits each step before the next
 * @param submit starts step k (in order 0, 1, ...); may throw to stop (e.g. on an aborted signal)
 * @param settle consumes the metrics of step k (in order); may throw to stop (e.g. on a non-finite loss)
 * @returns once every step is settled
 * @throws what `submit`, a step or `settle` threw, after every step still in flight has finished (so the
 *   engine is idle when the caller saves or disposes it)
 * @example
 * ```ts
 * await runSteps(steps, engine.stepsInFlight ?? 1, (k) => engine.trainStep(batch(k), ...), (k, m) => add(m));
 * ```
 */
export async function runSteps<T>(
  count: number,
  depth: number,
  submit: (step: number) => Promise<T>,
  settle: (step: number, result: T) => void,
): Promise<void> {
  const pending: Promise<T>[] = [];
  let next = 0;
  try {
    for (let step = 0; step < count; step++) {
      const p = submit(step);
      // A later step that fails while an earlier one is awaited is reported when its turn comes, not as an
      // unhandled rejection.
      p.catch(() => {});
      pending.push(p);
      if (pending.length >= Math.max(1, depth)) settle(next++, await pending.shift()!);
    }
    while (pending.length > 0) settle(next++, await pending.shift()!);
  } catch (e) {
    await Promise.allSettled(pending);
    throw e;
  }
}
