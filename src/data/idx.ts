/**
 * The IDX file format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/), plain or gzipped.
 *
 * Header, big-endian: two zero bytes, a type byte (0x08 = unsigned byte, the only one used here), the
 * number of dimensions, then one u32 per dimension; the data follows, row-major. So images are magic
 * 2051 (0x00000803: count, rows, cols) and labels magic 2049 (0x00000801: count).
 * @module
 */
import { gunzipSync } from "node:zlib";
import { DatasetError } from "./errors.ts";

/** Magic number of an IDX file of unsigned-byte images (3 dimensions). */
export const IDX_IMAGES_MAGIC = 2051;
/** Magic number of an IDX file of unsigned-byte labels (1 dimension). */
export const IDX_LABELS_MAGIC = 2049;

/** Images of an IDX file. */
export interface IdxImages {
  /** Number of images, e.g. 60000. */
  readonly count: number;
  /** e.g. 28 */
  readonly rows: number;
  /** e.g. 28 */
  readonly cols: number;
  /** (count, rows, cols) intensities 0..255, a view into the file's bytes. */
  readonly pixels: Uint8Array;
}

/**
 * Reads the header of an IDX file and checks it against the expected magic and the file size.
 * @returns the dimensions and the byte offset of the data
 */
function readHeader(bytes: Uint8Array, file: string, magic: number): { dims: number[]; offset: number } {
  const what = magic === IDX_IMAGES_MAGIC ? "images" : "labels";
  if (bytes.length < 4) {
    throw new DatasetError(`${file}: not an IDX ${what} file (only ${bytes.length} bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0);
  if (found !== magic) {
    throw new DatasetError(
      `${file}: not an IDX ${what} file (magic number ${found}, expected ${magic})`,
    );
  }
  const ndim = bytes[3];
  const offset = 4 + 4 * ndim;
  if (bytes.length < offset) {
    throw new DatasetError(`${file}: truncated IDX header (${bytes.length} bytes, header needs ${offset})`);
  }
  const dims = Array.from({ length: ndim }, (_, d) => view.getUint32(4 + 4 * d));
  const expected = offset + dims.reduce((a, b) => a * b, 1);
  if (bytes.length < expected) {
    throw new DatasetError(
      `${file}: truncated: header says ${dims.join("x")} bytes of ${what} (${expected} bytes in all) ` +
        `but the file has ${bytes.length}`,
    );
  }
  if (bytes.length > expected) {
    throw new DatasetError(
      `${file}: ${bytes.length - expected} unexpected bytes after the ${
        dims.join("x")
      } ${what} the header announces`,
    );
  }
  return { dims, offset };
}

/**
 * Parses an IDX images file (magic 2051).
 * @param bytes the whole (decompressed) file
 * @param file its path, for error messages
 * @returns count, rows, cols and a view of the pixels
 * @throws DatasetError for a wrong magic number, a truncated file, extra bytes or empty images
 * @example
 * ```ts
 * const img = parseIdxImages(await readIdxBytes("train-images-idx3-ubyte"), "train-images-idx3-ubyte");
 * img.count; // 60000
 * ```
 */
export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const { dims, offset } = readHeader(bytes, file, IDX_IMAGES_MAGIC);
  const [count, rows, cols] = dims;
  if (rows === 0 || cols === 0) throw new DatasetError(`${file}: images of size ${rows}x${cols}`);
  return { count, rows, cols, pixels: bytes.subarray(offset) };
}

/**
 * Parses an IDX labels file (magic 2049) and checks every label against the number of classes.
 * @param bytes the whole (decompressed) file
 * @param file its path, for error messages
 * @param classes labels must lie in 0 .. classes-1, e.g. 10
 * @returns (count) the labels
 * @throws DatasetError for a wrong magic number, a truncated file, extra bytes or a label out of range
 */
export function parseIdxLabels(bytes: Uint8Array, file: string, classes: number): Int32Array {
  const { dims, offset } = readHeader(bytes, file, IDX_LABELS_MAGIC);
  const labels = Int32Array.from(bytes.subarray(offset, offset + dims[0]));
  const bad = labels.findIndex((c) => c >= classes);
  if (bad >= 0) {
    throw new DatasetError(`${file}: label ${labels[bad]} of item ${bad} is outside 0..${classes - 1}`);
  }
  return labels;
}

/**
 * Reads a file, gunzipping it when it starts with the gzip magic bytes (whatever its name).
 * @param path the file, e.g. "data/train-images-idx3-ubyte.gz"
 * @returns its (decompressed) bytes
 * @throws DatasetError when the file is missing, unreadable or not valid gzip
 */
export async function readIdxBytes(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new DatasetError(`${path}: no such file`);
    if (e instanceof Deno.errors.PermissionDenied) throw new DatasetError(`${path}: permission denied`);
    if (e instanceof Deno.errors.IsADirectory) throw new DatasetError(`${path}: is a directory`);
    throw e;
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      const out = gunzipSync(bytes);
      // A view, not a copy: the training images are 47 MB.
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    } catch (e) {
      // zlib failures on user files are data problems (truncated download, wrong file), not bugs.
      throw new DatasetError(`${path}: not valid gzip (${(e as Error).message})`);
    }
  }
  return bytes;
}
