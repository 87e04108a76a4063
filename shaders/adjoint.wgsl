// adjoint.wgsl: adjoint recursion of one layer (MODEL.md section 3), one thread per (sample, neuron),
// backwards over the neuron's spikes with one running accumulator:
//   a_k = g_k + sum_{k''>k} a_k'' THETA/(tau_m rho_k'') e^{-(t_k'' - t_k)/tau_m},   e_k = -a_k / rho_k
// A silent neuron with a Vmax term gets one pseudo-item at its Vmax time with weight p.silent_grad
// (dL/dVmax). Items carry p.w_scale (dropout of the inputs, else 1): the weight and input gradients, which
// read the unscaled weights, are then those of the scaled ones the sweep used. Mirrors the first loop of
// LayerBackward.run (src/engine/cpu/backward.ts).
//
// Dispatch: (ceil(n_out / WG), samples, 1).
// @group(0) @binding(0) uniform  p       LayerParams (common.wgsl)
// @group(0) @binding(1) storage  count   array<u32>        (samples, n_out) spikes
// @group(0) @binding(2) storage  time    array<f32>        (samples, n_out, CAP) spike times
// @group(0) @binding(3) storage  rho     array<f32>        (samples, n_out, CAP) clamped slopes
// @group(0) @binding(4) storage  g_time  array<f32>        (samples, n_out, CAP) dL/dt_k
// @group(0) @binding(5) storage  vm      array<vec4<f32>>  (samples, n_out) y: time of Vmax
// @group(0) @binding(6) storage  item    array<vec2<f32>>  (samples, n_out, CAP) (t_k, e_k) (written)
// @group(0) @binding(7) storage  item_n  array<u32>        (samples, n_out) items | VMAX_ITEM (written);
//                                                          0 when every e_k is 0
// Overrides: A, THETA, CAP, WG (common.wgsl).

@group(0) @binding(0) var<uniform> p: LayerParams;
@group(0) @binding(1) var<storage, read> count: array<u32>;
@group(0) @binding(2) var<storage, read> time: array<f32>;
@group(0) @binding(3) var<storage, read> rho: array<f32>;
@group(0) @binding(4) var<storage, read> g_time: array<f32>;
@group(0) @binding(5) var<storage, read> vm: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> item: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> item_n: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let b = gid.y;
  if (i >= p.n_out) {
    return;
  }
  let out = b * p.n_out + i;
  let so = out * CAP;
  let n = count[out];
  if (n > 0u) {
    var acc = 0.0;
    var any = false;
    for (var q = 0u; q < n; q++) {
      let k = n - 1u - q;
      let slot = so + k;
      let ak = g_time[slot] + acc;
      item[slot] = vec2<f32>(time[slot], -ak / rho[slot] * p.w_scale);
      if (ak != 0.0) {
        any = true;
      }
      if (k > 0u) {
        acc = (acc + ak * THETA * A / rho[slot]) * exp(-A * (time[slot] - time[slot - 1u]));
      }
    }
    item_n[out] = select(0u, n, any);
  } else if (p.silent_grad != 0.0) {
    item[so] = vec2<f32>(vm[out].y, p.silent_grad * p.w_scale);
    item_n[out] = 1u | VMAX_ITEM;
  } else {
    item_n[out] = 0u;
  }
}
