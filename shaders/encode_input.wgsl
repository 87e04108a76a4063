// encode_input.wgsl: the latency code of images (MODEL.md section 4) on the GPU, one thread per (sample,
// pixel): pixel p with intensity x > 0 sends one spike of input neuron p at t = t_in (1 - x); x = 0 sends
// none, and nothing after T_MAX exists. Writes layer 0's input in the layout every layer reads from the layer
// below, as src/engine/webgpu/input_pack.ts would from the spikes of encodeImages (src/data/encode.ts).
//
// Dispatch: (ceil(n_in / WG), samples, 1).
// @group(0) @binding(0) uniform  ep        EncodeParams (below)
// @group(0) @binding(1) storage  pixels    array<u32>  format 0: (samples * n_in) bytes v, 4 per word, the first
//                                                      in the low byte; format 1: (samples, n_in) f32 bits of x
// @group(0) @binding(2) storage  table     array<f32>  (256) spike time of byte intensity v, t_in (1 - v/255),
//                                                      computed on the host (byteSpikeTimes of encode.ts)
// @group(0) @binding(3) storage  in_count  array<u32>  (samples, n_in) 1 where the pixel spikes, else 0 (written)
// @group(0) @binding(4) storage  in_time   array<f32>  (samples, n_in, cap_in) slot 0: its spike time (written;
//                                                      the other slots are never read: in_count <= 1)
// Overrides: T_MAX, WG (common.wgsl).

struct EncodeParams {
  n_in: u32,    // pixels per image, e.g. 784
  cap_in: u32,  // slots per input neuron of layer 0's input buffers (>= 1)
  samples: u32, // samples in this chunk
  format: u32,  // 0: byte intensities v (x = v / 255), times from `table`; 1: f32 intensities x in [0, 1]
  t_in: f32,    // encoding window (format 1)
  pad0: f32,
  pad1: f32,
  pad2: f32,
}

@group(0) @binding(0) var<uniform> ep: EncodeParams;
@group(0) @binding(1) var<storage, read> pixels: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<storage, read_write> in_count: array<u32>;
@group(0) @binding(4) var<storage, read_write> in_time: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  let b = gid.y;
  if (j >= ep.n_in || b >= ep.samples) {
    return;
  }
  let k = b * ep.n_in + j;
  var lit = false;
  var t = 0.0;
  if (ep.format == 0u) {
    let v = (pixels[k / 4u] >> (8u * (k % 4u))) & 0xffu;
    lit = v != 0u;
    t = table[v];
  } else {
    let x = bitcast<f32>(pixels[k]);
    lit = x != 0.0;
    t = ep.t_in * (1.0 - x);
  }
  let spikes = lit && t <= T_MAX;
  in_count[k] = select(0u, 1u, spikes);
  in_time[k * ep.cap_in] = t;
}
