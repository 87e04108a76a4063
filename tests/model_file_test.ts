import assert from "node:assert/strict";
import {
  decodeFloat64Base64,
  encodeFloat64Base64,
  ModelFileError,
  modelFileJson,
  parseModel,
  readModelFile,
} from "../src/model/model_file.ts";
import type { Network } from "../src/engine/engine.ts";
import { Rng } from "../src/util/rng.ts";

const NEURON = { tau_m: 4, tau_s: 2, theta: 1, t_max: 20, max_spikes: 3 };

function randomNetwork(sizes: number[], seed: number): Network {
  const rng = new Rng(seed);
  const weights = sizes.slice(1).map((n, l) => {
    const w = new Float64Array(sizes[l] * n);
    // Awkward values on purpose: tiny, huge, negative zero, many digits.
    for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-0.5, 0.5) * 10 ** Math.floor(rng.uniform(-6, 6));
    if (w.length > 1) w[1] = -0;
    return w;
  });
  return { neuron: NEURON, sizes, weights };
}

/** A valid hand-written model as a JS object, to break one field at a time. */
function handWritten(): Record<string, unknown> {
  return {
    format: "multispike-model",
    version: 1,
    neuron: { tau_m: 5, tau_s: 5, theta: 1, t_max: 30, max_spikes: 8 },
    layers: [
      { weights: [[1.5, -0.5, 0], [2, 1, 0.25]] }, // 2 inputs -> 3 neurons
      { weights: [[1], [0.5], [-1]] }, // 3 -> 1
    ],
  };
}

function assertModelError(raw: unknown, pattern: RegExp) {
  assert.throws(() => parseModel(raw, "m.json"), (e: unknown) => {
    assert.ok(e instanceof ModelFileError, `expected ModelFileError, got ${e}`);
    assert.equal(e.exitCode, 2);
    assert.match(e.message, /^model file m\.json: /);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes("\n"), "one line");
    return true;
  });
}

Deno.test("model file round trip keeps every bit, plain and compact", async (t) => {
  const net = randomNetwork([5, 4, 3, 2], 7);
  for (const compact of [false, true]) {
    await t.step(compact ? "compact" : "plain", () => {
      const text = modelFileJson(net, { t_in: 5, note: "hello" }, { compact });
      const loaded = parseModel(JSON.parse(text), "x");
      assert.deepEqual(loaded.network.sizes, [5, 4, 3, 2]);
      assert.deepEqual(loaded.network.neuron, NEURON);
      assert.equal(loaded.t_in, 5);
      assert.equal((loaded.raw as Record<string, unknown>).note, "hello");
      for (let l = 0; l < 3; l++) {
        assert.equal(loaded.network.weights[l].length, net.weights[l].length);
        for (let i = 0; i < net.weights[l].length; i++) {
          assert.ok(Object.is(loaded.network.weights[l][i], net.weights[l][i]), `layer ${l} entry ${i}`);
        }
      }
    });
  }
});

Deno.test("plain model file follows the documented layout W[i][j] = input i -> neuron j", () => {
  const net: Network = {
    neuron: NEURON,
    sizes: [2, 3],
    weights: [Float64Array.from([1, 2, 3, 4, 5, 6])], // row-major (2, 3)
  };
  const raw = JSON.parse(modelFileJson(net, { config: undefined }));
  assert.equal(raw.format, "multispike-model");
  assert.equal(raw.version, 1);
  assert.deepEqual(raw.neuron, NEURON);
  assert.deepEqual(raw.layers, [{ weights: [[1, 2, 3], [4, 5, 6]] }]);
  assert.ok(!("config" in raw), "undefined extras are left out");
  // Extras cannot overwrite the format's own fields.
  const raw2 = JSON.parse(modelFileJson(net, { format: "other", version: 9, t_in: 3 }));
  assert.equal(raw2.format, "multispike-model");
  assert.equal(raw2.version, 1);
  assert.equal(raw2.t_in, 3);
});

Deno.test("hand-written model file is read from disk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/hand.json`;
    await Deno.writeTextFile(path, JSON.stringify(handWritten()));
    const { network, config, t_in } = await readModelFile(path);
    assert.deepEqual(network.sizes, [2, 3, 1]);
    assert.deepEqual([...network.weights[0]], [1.5, -0.5, 0, 2, 1, 0.25]);
    assert.deepEqual([...network.weights[1]], [1, 0.5, -1]);
    assert.equal(network.neuron.tau_m, 5);
    assert.equal(config, undefined);
    assert.equal(t_in, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compact encoding is little-endian float64 in row-major order", () => {
  // 1.0 is 0x3FF0000000000000: little-endian bytes 00 00 00 00 00 00 F0 3F.
  const b64 = btoa(String.fromCharCode(0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xc0));
  assert.deepEqual([...decodeFloat64Base64(b64)], [1, -2]);
  assert.equal(encodeFloat64Base64(Float64Array.from([1, -2])), b64);
  const raw = handWritten();
  raw.layers = [{ shape: [1, 2], weights_b64: b64 }, { weights: [[3], [4]] }];
  const { network } = parseModel(raw, "m.json");
  assert.deepEqual(network.sizes, [1, 2, 1]);
  assert.deepEqual([...network.weights[0]], [1, -2]);
  const big = new Float64Array(50_000).map((_, i) => Math.sin(i));
  const native = encodeFloat64Base64(big);
  assert.deepEqual(decodeFloat64Base64(native), big);
  // Without Uint8Array's base64 methods (older runtimes), the btoa/atob path gives the same text and values.
  const U = Uint8Array as unknown as Record<string, unknown>;
  const P = Uint8Array.prototype as unknown as Record<string, unknown>;
  const saved = [U.fromBase64, P.toBase64];
  try {
    U.fromBase64 = undefined;
    P.toBase64 = undefined;
    assert.equal(encodeFloat64Base64(big), native);
    assert.deepEqual(decodeFloat64Base64(native), big);
    assert.throws(() => decodeFloat64Base64("AAAA"), /3 bytes/);
  } finally {
    [U.fromBase64, P.toBase64] = saved;
  }
});

Deno.test("malformed model files: one line naming the file and the problem", async (t) => {
  const cases: [string, (raw: Record<string, unknown>) => unknown, RegExp][] = [
    ["not an object", () => [1, 2], /expected a JSON object, got an array/],
    [
      "wrong format name",
      (r) => ({ ...r, format: "keras" }),
      /"format" must be "multispike-model", got "keras"/,
    ],
    ["missing format", (r) => ({ ...r, format: undefined }), /"format" must be/],
    ["wrong version", (r) => ({ ...r, version: 2 }), /unsupported "version" 2/],
    ["missing neuron", (r) => ({ ...r, neuron: undefined }), /"neuron" must be an object/],
    [
      "neuron lacks a field",
      (r) => ({ ...r, neuron: { tau_m: 1, tau_s: 1, theta: 1, t_max: 1 } }),
      /lacks "max_spikes"/,
    ],
    ["tau_m <= 0", (r) => ({ ...r, neuron: { ...(r.neuron as object), tau_m: 0 } }), /neuron\.tau_m must be/],
    ["tau_s a string", (r) => ({ ...r, neuron: { ...(r.neuron as object), tau_s: "5" } }), /neuron\.tau_s/],
    ["max_spikes 0", (r) => ({ ...r, neuron: { ...(r.neuron as object), max_spikes: 0 } }), /max_spikes/],
    ["max_spikes 1.5", (r) => ({ ...r, neuron: { ...(r.neuron as object), max_spikes: 1.5 } }), /max_spikes/],
    ["no layers", (r) => ({ ...r, layers: [] }), /"layers" must be a non-empty array/],
    ["layer not an object", (r) => ({ ...r, layers: [[[1]]] }), /layers\[0\] must be an object/],
    [
      "layer without weights",
      (r) => ({ ...r, layers: [{ w: [[1]] }] }),
      /neither "weights" nor "weights_b64"/,
    ],
    [
      "empty weights",
      (r) => ({ ...r, layers: [{ weights: [] }] }),
      /layers\[0\]\.weights must be a non-empty/,
    ],
    ["empty row", (r) => ({ ...r, layers: [{ weights: [[]] }] }), /weights\[0\] must be a non-empty/],
    [
      "ragged W",
      (r) => ({ ...r, layers: [{ weights: [[1, 2], [3]] }] }),
      /ragged: row 1 has 1 entries, row 0 has 2/,
    ],
    [
      "row not an array",
      (r) => ({ ...r, layers: [{ weights: [[1, 2], 3] }] }),
      /weights\[1\] must be an array/,
    ],
    [
      "null (NaN written by JSON.stringify)",
      (r) => ({ ...r, layers: [{ weights: [[1, null]] }] }),
      /weights\[0\]\[1\] must be a finite number, got null/,
    ],
    [
      "string weight",
      (r) => ({ ...r, layers: [{ weights: [["1"]] }] }),
      /weights\[0\]\[0\] must be a finite number/,
    ],
    ["infinite weight", (r) => ({ ...r, layers: [{ weights: [[Infinity]] }] }), /finite number/],
    [
      "shape mismatch between layers",
      (r) => ({ ...r, layers: [{ weights: [[1, 2, 3]] }, { weights: [[1], [2]] }] }),
      /layers\[1\] has 2 input rows but layers\[0\] has 3 neurons/,
    ],
    ["bad t_in", (r) => ({ ...r, t_in: -1 }), /"t_in" must be a finite number > 0, got -1/],
    ["bad config", (r) => ({ ...r, config: "x" }), /"config" must be an object/],
    [
      "compact without shape",
      (r) => ({ ...r, layers: [{ weights_b64: "AAAAAAAA8D8=" }] }),
      /shape must be \[n_in, n_out\]/,
    ],
    [
      "compact not base64",
      (r) => ({ ...r, layers: [{ shape: [1, 1], weights_b64: "!!!!" }] }),
      /not valid base64/,
    ],
    [
      "compact wrong size",
      (r) => ({ ...r, layers: [{ shape: [1, 2], weights_b64: "AAAAAAAA8D8=" }] }),
      /holds 1 values but shape is 1 x 2/,
    ],
    [
      "compact partial value",
      (r) => ({ ...r, layers: [{ shape: [1, 1], weights_b64: "AAAA" }] }),
      /3 bytes is not a whole number/,
    ],
    [
      "compact NaN",
      (r) => ({ ...r, layers: [{ shape: [1, 1], weights_b64: encodeFloat64Base64(Float64Array.of(NaN)) }] }),
      /entry \[0\]\[0\] is NaN, not finite/,
    ],
  ];
  for (const [name, breakIt, pattern] of cases) {
    await t.step(name, () => assertModelError(breakIt(handWritten()), pattern));
  }
});

Deno.test("unreadable and non-JSON model files are ModelFileErrors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(readModelFile(`${dir}/missing.json`), (e: unknown) => {
      assert.ok(e instanceof ModelFileError);
      assert.match(e.message, /^cannot read model file .*missing\.json: /);
      return true;
    });
    await Deno.writeTextFile(`${dir}/bad.json`, '{"format": "multispike-model", "layers": [NaN]}');
    await assert.rejects(readModelFile(`${dir}/bad.json`), (e: unknown) => {
      assert.ok(e instanceof ModelFileError);
      assert.match(e.message, /^model file .*bad\.json is not valid JSON: /);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writing refuses networks the loader would reject", () => {
  const net: Network = { neuron: NEURON, sizes: [1, 2], weights: [Float64Array.of(1, NaN)] };
  assert.throws(() => modelFileJson(net), /weights\[0\]\[0\]\[1\] is NaN/);
  assert.throws(() => modelFileJson({ ...net, weights: [Float64Array.of(1)] }), /expected 1 x 2/);
  assert.throws(() => modelFileJson({ ...net, neuron: { ...NEURON, tau_m: -1 } }), RangeError);
});
