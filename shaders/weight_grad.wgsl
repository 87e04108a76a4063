// weight_grad.wgsl: dL/dW of one layer (MODEL.md section 3), one thread per weight (input j, neuron i),
// summed over the samples of the chunk by direct pairwise evaluation (no float atomics):
//   dL/dw_ji = sum_b sum_{events s of j in b} G_i(s),   G_i(s) = sum_{items k: t_k > s} e_k K(t_k - s)
//
// Dispatch: (ceil(n_out / WG), n_in, 1).
// @group(0) @binding(0) uniform  p        LayerParams (common.wgsl); flags bit 0: add to dw
// @group(0) @binding(1) storage  in_count array<u32>        (samples, n_in) spikes per input neuron
// @group(0) @binding(2) storage  in_time  array<f32>        (samples, n_in, cap_in) their times
// @group(0) @binding(3) storage  item     array<vec2<f32>>  (samples, n_out, CAP) (t_k, e_k), ascending t
// @group(0) @binding(4) storage  item_n   array<u32>        (samples, n_out) items | VMAX_ITEM
// @group(0) @binding(5) storage  dw       array<f32>        (n_in, n_out) gradient (written or added to)
// Overrides: A, B, CAP, T_MAX, WG (common.wgsl).

@group(0) @binding(0) var<uniform> p: LayerParams;
@group(0) @binding(1) var<storage, read> in_count: array<u32>;
@group(0) @binding(2) var<storage, read> in_time: array<f32>;
@group(0) @binding(3) var<storage, read> item: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read> item_n: array<u32>;
@group(0) @binding(5) var<storage, read_write> dw: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let j = gid.y;
  if (i >= p.n_out) {
    return;
  }
  var acc = 0.0;
  for (var b = 0u; b < p.samples; b++) {
    let out = b * p.n_out + i;
    let ni = item_n[out] & 0xffffu;
    if (ni == 0u) {
      continue;
    }
    if (dropped(p.drop_threshold, p.drop_seed, p.sample_base + b, j)) {
      continue; // dropout: input j's spikes did not reach this layer in sample b
    }
    let row = b * p.n_in + j;
    let nj = in_count[row];
    for (var k = 0u; k < nj; k++) {
      let s = in_time[row * p.cap_in + k];
      if (s > T_MAX) {
        continue; // nothing after t_max exists
      }
      // Items are ascending in time: walk down from the last while they are later than s.
      for (var q = ni; q > 0u; q--) {
        let it = item[out * CAP + q - 1u];
        if (it.x <= s) {
          break;
        }
        let x = it.x - s;
        acc += it.y * kernel_from(x, exp(-A * x), exp(-B * x));
      }
    }
  }
  let idx = j * p.n_out + i;
  if ((p.flags & 1u) != 0u) {
    dw[idx] += acc;
  } else {
    dw[idx] = acc;
  }
}
