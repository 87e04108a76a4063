// input_grad.wgsl: dL/ds of every input event of one layer (MODEL.md section 3), one thread per (sample,
// sorted event):
//   dL/ds = -sum_i w_ji H_i(s),   H_i(s) = sum_{items k: t_k > s} e_k K'(t_k - s),   K' = A e^{-A x} - B K
// plus, for a silent neuron whose Vmax is a kink made by an inhibitory event exactly at s, dVmax/ds =
// the slope before the kink (the latest such event in sort order takes it, as in the CPU sweep). The
// result goes to the event's slot: dL/dt of the spike of the layer below that caused it (its g_time), or
// the dense input-gradient buffer for the first layer.
//
// Dispatch: (ceil(cap_ev / WG), samples, 1).
// @group(0) @binding(0) uniform  p        LayerParams (common.wgsl)
// @group(0) @binding(1) storage  w        array<f32>        (n_in, n_out) weights
// @group(0) @binding(2) storage  ev       array<vec4<f32>>  (samples, cap_ev) x: sorted event times
// @group(0) @binding(3) storage  key_s    array<u32>        (samples, cap_ev) slot j * cap_in + k of each event
// @group(0) @binding(4) storage  ev_info  array<vec2<u32>>  (samples) (events, lost)
// @group(0) @binding(5) storage  item     array<vec2<f32>>  (samples, n_out, CAP) (t_k, e_k)
// @group(0) @binding(6) storage  item_n   array<u32>        (samples, n_out) items | VMAX_ITEM
// @group(0) @binding(7) storage  vm       array<vec4<f32>>  (samples, n_out) y: Vmax time, z: kink slope
// @group(0) @binding(8) storage  g_in     array<f32>        (samples, n_in, cap_in) dL/ds per slot (written;
//                                                          slots without an event are left alone)
// Overrides: A, B, CAP, WG (common.wgsl).

@group(0) @binding(0) var<uniform> p: LayerParams;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> ev: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> key_s: array<u32>;
@group(0) @binding(4) var<storage, read> ev_info: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read> item: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read> item_n: array<u32>;
@group(0) @binding(7) var<storage, read> vm: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> g_in: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x;
  let b = gid.y;
  let n = ev_info[b].x;
  if (e >= n) {
    return;
  }
  let base = b * p.cap_ev;
  let s = ev[base + e].x;
  let slot = key_s[base + e];
  let j = slot / p.cap_in;
  var h = 0.0;
  for (var i = 0u; i < p.n_out; i++) {
    let out = b * p.n_out + i;
    let flags = item_n[out];
    let ni = flags & 0xffffu;
    if (ni == 0u) {
      continue;
    }
    let wji = w[j * p.n_out + i];
    var hh = 0.0;
    for (var q = ni; q > 0u; q--) {
      let it = item[out * CAP + q - 1u];
      if (it.x <= s) {
        break;
      }
      let x = it.x - s;
      let em = exp(-A * x);
      let k = kernel_from(x, em, exp(-B * x));
      hh += it.y * (A * em - B * k);
    }
    h += wji * hh;
    if ((flags & VMAX_ITEM) != 0u && wji < 0.0) {
      let m = vm[out];
      if (m.z > 0.0 && m.y == s) {
        // Kink maximum at this event: taken unless a later event at the same time is inhibitory too.
        var taken = true;
        for (var e2 = e + 1u; e2 < n; e2++) {
          if (ev[base + e2].x != s) {
            break;
          }
          if (w[(key_s[base + e2] / p.cap_in) * p.n_out + i] < 0.0) {
            taken = false;
            break;
          }
        }
        if (taken) {
          h -= p.silent_grad * m.z; // dL/dVmax itself: the item carries w_scale besides
        }
      }
    }
  }
  g_in[b * p.n_in * p.cap_in + slot] = -h;
}
