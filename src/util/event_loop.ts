/**
 * Turns of the event loop for long jobs whose awaits all resolve at once (the CPU engine on one thread
 * computes synchronously inside its promises): without a macrotask, signal listeners (Ctrl-C) and timers
 * never run until the job ends.
 * @module
 */

/** Longest stretch, in milliseconds, between two turns of the event loop. */
const MAX_BUSY_MS = 50;

let lastTurn = performance.now();

/**
 * Lets the event loop run (signal listeners, timers, I/O callbacks) when more than 50 ms have passed since
 * the last turn; otherwise returns at once, so calling it every step costs nothing.
 */
export async function eventLoopTurn(): Promise<void> {
  const now = performance.now();
  if (now - lastTurn < MAX_BUSY_MS) return;
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  lastTurn = performance.now();
}
