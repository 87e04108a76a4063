import assert from "node:assert/strict";
import { EventList } from "../src/engine/cpu/events.ts";
import { Rng } from "../src/util/rng.ts";

/** The order every engine must see: time, then source, then origin. */
function referenceOrder(neuron: Int32Array, time: Float64Array, tMax: number) {
  const idx = [...neuron.keys()].filter((e) => time[e] <= tMax);
  idx.sort((x, y) => time[x] - time[y] || neuron[x] - neuron[y] || x - y);
  return idx;
}

Deno.test("event lists: the bucket sort gives exactly the comparison order, ties included", () => {
  const rng = new Rng(11);
  for (const [n, levels] of [[70, 1e9], [500, 7], [2000, 255], [3000, 1], [1200, 1e9]]) {
    const neuron = Int32Array.from({ length: n }, () => rng.int(50));
    // `levels` distinct times: quantised like MNIST pixels, all equal, or continuous.
    const time = Float64Array.from({ length: n }, () => Math.round(rng.uniform(0, 6) * levels) / levels);
    const list = new EventList(4);
    list.fillFromInput(neuron, time, 0, n, 5.5);
    const ref = referenceOrder(neuron, time, 5.5);
    assert.equal(list.n, ref.length);
    for (let e = 0; e < list.n; e++) {
      assert.equal(list.origin[e], ref[e], `n=${n} levels=${levels}: event ${e}`);
      assert.equal(list.time[e], time[ref[e]]);
      assert.equal(list.src[e], neuron[ref[e]]);
    }
  }
});
