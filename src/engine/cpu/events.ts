/**
 * Time-ordered event lists: what one layer receives in one sample (MODEL.md section 2: events must be
 * processed in time order). Buffers grow on demand and are reused across samples.
 * @module
 */

/** The input events of one layer in one sample, ascending in time. */
export class EventList {
  /** Number of events. */
  n = 0;
  /** (n) presynaptic neuron of each event. */
  src: Int32Array;
  /** (n) event time. */
  time: Float64Array;
  /**
   * (n) where the event came from: an index into the input events of the sample (first layer) or a spike
   * slot `neuron * capacity + k` of the layer below; the backward pass sends dL/dt there.
   */
  origin: Int32Array;
  #order: Int32Array;
  #rawSrc: Int32Array;
  #rawTime: Float64Array;
  #rawOrigin: Int32Array;
  #bucketStart = new Int32Array(0);
  #bucketFill = new Int32Array(0);

  constructor(capacity: number) {
    this.src = new Int32Array(capacity);
    this.time = new Float64Array(capacity);
    this.origin = new Int32Array(capacity);
    this.#order = new Int32Array(capacity);
    this.#rawSrc = new Int32Array(capacity);
    this.#rawTime = new Float64Array(capacity);
    this.#rawOrigin = new Int32Array(capacity);
  }

  #reserve(capacity: number): void {
    if (capacity <= this.src.length) return;
    const c = Math.max(capacity, 2 * this.src.length);
    this.src = new Int32Array(c);
    this.time = new Float64Array(c);
    this.origin = new Int32Array(c);
    this.#order = new Int32Array(c);
    this.#rawSrc = new Int32Array(c);
    this.#rawTime = new Float64Array(c);
    this.#rawOrigin = new Int32Array(c);
  }

  /**
   * Fills the list with events `from .. to-1` of the given arrays, dropping those after `tMax`
   * (nothing after t_max exists), then sorts by time (ties: by source, then origin, so every engine sees
   * the same order).
   */
  fillFromInput(neuron: Int32Array, time: Float64Array, from: number, to: number, tMax: number): void {
    this.#reserve(to - from);
    let n = 0;
    for (let e = from; e < to; e++) {
      const t = time[e];
      if (t > tMax) continue;
      this.#rawSrc[n] = neuron[e];
      this.#rawTime[n] = t;
      this.#rawOrigin[n] = e - from;
      n++;
    }
    this.#sort(n);
  }

  /**
   * Fills the list with the spikes of the layer below: `count` (neurons) spikes per neuron, times in
   * `time` (neurons, capacity); neurons marked in `dropped` (dropout) are left out.
   */
  fillFromSpikes(
    count: Int32Array,
    time: Float64Array,
    neurons: number,
    capacity: number,
    dropped?: Uint8Array,
  ): void {
    let total = 0;
    for (let j = 0; j < neurons; j++) total += count[j];
    this.#reserve(total);
    let n = 0;
    for (let j = 0; j < neurons; j++) {
      if (dropped && dropped[j]) continue; // a dropped neuron's spikes reach nobody (dropout.ts)
      const c = count[j];
      for (let k = 0; k < c; k++) {
        this.#rawSrc[n] = j;
        this.#rawTime[n] = time[j * capacity + k];
        this.#rawOrigin[n] = j * capacity + k;
        n++;
      }
    }
    this.#sort(n);
  }

  #sort(n: number): void {
    const order = this.#order.subarray(0, n);
    const t = this.#rawTime;
    const s = this.#rawSrc;
    const o = this.#rawOrigin;
    const before = (x: number, y: number) => t[x] - t[y] || s[x] - s[y] || o[x] - o[y];
    if (n < 64) {
      for (let e = 0; e < n; e++) order[e] = e;
      order.sort(before);
    } else {
      this.#bucketSort(n, before);
    }
    for (let e = 0; e < n; e++) {
      const k = order[e];
      this.src[e] = s[k];
      this.time[e] = t[k];
      this.origin[e] = o[k];
    }
    this.n = n;
  }

  /**
   * Sorts `n` raw events into `#order` in O(n) on average: spike times spread over the window, so one
   * bucket per event holds about one event; each bucket is then sorted with the same comparator (so the
   * order, ties included, is exactly that of a comparison sort).
   */
  #bucketSort(n: number, before: (x: number, y: number) => number): void {
    const t = this.#rawTime;
    let lo = Infinity;
    let hi = -Infinity;
    for (let e = 0; e < n; e++) {
      if (t[e] < lo) lo = t[e];
      if (t[e] > hi) hi = t[e];
    }
    const order = this.#order;
    if (this.#bucketStart.length < n + 1) this.#bucketStart = new Int32Array(2 * n + 1);
    const start = this.#bucketStart.fill(0, 0, n + 1);
    const scale = hi > lo ? (n - 1) / (hi - lo) : 0;
    const bucketOf = (e: number) => Math.min(n - 1, Math.floor((t[e] - lo) * scale));
    for (let e = 0; e < n; e++) start[bucketOf(e) + 1]++;
    for (let b = 0; b < n; b++) start[b + 1] += start[b];
    const fill = this.#bucketFill.length >= n ? this.#bucketFill : (this.#bucketFill = new Int32Array(2 * n));
    fill.set(start.subarray(0, n));
    for (let e = 0; e < n; e++) order[fill[bucketOf(e)]++] = e;
    for (let b = 0; b < n; b++) {
      const from = start[b];
      const to = start[b + 1];
      if (to - from > 16) {
        order.subarray(from, to).sort(before);
      } else {
        for (let i = from + 1; i < to; i++) {
          const x = order[i];
          let j = i - 1;
          while (j >= from && before(order[j], x) > 0) {
            order[j + 1] = order[j];
            j--;
          }
          order[j + 1] = x;
        }
      }
    }
  }
}
