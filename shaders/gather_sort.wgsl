// gather_sort.wgsl: the time-ordered input events of one layer, per sample (MODEL.md section 2: events
// are processed in time order). One workgroup per sample: compacts the spikes of the layer below into the
// sample's event segment, bitonic-sorts the segment in place (global memory, so any size fits), then
// stores each event's decays relative to the previous event (no exp(t/tau) anywhere).
//
// Dispatch: (samples, 1, 1), workgroup size 256.
// @group(0) @binding(0) uniform  p       LayerParams (common.wgsl)
// @group(0) @binding(1) storage  in_count array<u32>        (samples, n_in) spikes per input neuron
// @group(0) @binding(2) storage  in_time  array<f32>        (samples, n_in, cap_in) spike times, ascending
// @group(0) @binding(3) storage  key_t    array<u32>        (samples, cap_ev) f32 bits of event times (rw)
// @group(0) @binding(4) storage  key_s    array<u32>        (samples, cap_ev) slot j * cap_in + k (rw)
// @group(0) @binding(5) storage  ev       array<vec4<f32>>  (samples, cap_ev) (time, e^{-A d}, e^{-B d}, K(d)),
//                                                           d = time minus the previous event's time (or 0)
// @group(0) @binding(6) storage  ev_info  array<vec2<u32>>  (samples) (events kept, events lost: no room)
// Sort order: time, then slot, i.e. (time, input neuron, its spike index): the CPU engine's order. Spikes of
// input neurons under dropout (common.wgsl `dropped`) are left out: they reach no neuron of this layer.
// Overrides: T_MAX, A, B (common.wgsl).

@group(0) @binding(0) var<uniform> p: LayerParams;
@group(0) @binding(1) var<storage, read> in_count: array<u32>;
@group(0) @binding(2) var<storage, read> in_time: array<f32>;
@group(0) @binding(3) var<storage, read_write> key_t: array<u32>;
@group(0) @binding(4) var<storage, read_write> key_s: array<u32>;
@group(0) @binding(5) var<storage, read_write> ev: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> ev_info: array<vec2<u32>>;

const SORT_WG: u32 = 256u;

var<workgroup> wg_n: atomic<u32>;
var<workgroup> wg_lost: atomic<u32>;
var<workgroup> wg_total: u32;

// Whether event x sorts after event y.
fn after(tx: u32, sx: u32, ty: u32, sy: u32) -> bool {
  return tx > ty || (tx == ty && sx > sy);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  if (lid == 0u) {
    atomicStore(&wg_n, 0u);
    atomicStore(&wg_lost, 0u);
  }
  workgroupBarrier();
  let base = b * p.cap_ev;
  let slots = p.n_in * p.cap_in;
  let in_base = b * p.n_in;
  for (var slot = lid; slot < slots; slot += SORT_WG) {
    let j = slot / p.cap_in;
    let k = slot % p.cap_in;
    if (k < in_count[in_base + j] && !dropped(p.drop_threshold, p.drop_seed, p.sample_base + b, j)) {
      let t = in_time[in_base * p.cap_in + slot];
      if (t <= T_MAX) {
        let pos = atomicAdd(&wg_n, 1u);
        if (pos < p.cap_ev) {
          key_t[base + pos] = bitcast<u32>(t);
          key_s[base + pos] = slot;
        } else {
          atomicAdd(&wg_lost, 1u);
        }
      }
    }
  }
  workgroupBarrier();
  if (lid == 0u) {
    wg_total = min(atomicLoad(&wg_n), p.cap_ev);
  }
  let n = workgroupUniformLoad(&wg_total);
  var size = 1u;
  while (size < n) {
    size = size << 1u;
  }
  // Padding sorts last: all-ones bits exceed every finite time's bits.
  for (var e = n + lid; e < size; e += SORT_WG) {
    key_t[base + e] = 0xffffffffu;
    key_s[base + e] = 0xffffffffu;
  }
  storageBarrier();
  // Bitonic sort of `size` keys; times are >= 0, so their f32 bits order like the times.
  for (var k = 2u; k <= size; k = k << 1u) {
    for (var j = k >> 1u; j > 0u; j = j >> 1u) {
      for (var q = lid; q < size / 2u; q += SORT_WG) {
        let x = (q / j) * 2u * j + (q % j);
        let y = x + j;
        let tx = key_t[base + x];
        let sx = key_s[base + x];
        let ty = key_t[base + y];
        let sy = key_s[base + y];
        let ascending = (x & k) == 0u;
        if (after(tx, sx, ty, sy) == ascending) {
          key_t[base + x] = ty;
          key_s[base + x] = sy;
          key_t[base + y] = tx;
          key_s[base + y] = sx;
        }
      }
      storageBarrier();
    }
  }
  // Decays over the interval before each event, shared by every neuron of the layer.
  for (var e = lid; e < n; e += SORT_WG) {
    let t = bitcast<f32>(key_t[base + e]);
    var t_prev = 0.0;
    if (e > 0u) {
      t_prev = bitcast<f32>(key_t[base + e - 1u]);
    }
    let d = t - t_prev;
    var dec = vec4<f32>(t, 1.0, 1.0, 0.0);
    if (d > 0.0) {
      let dm = exp(-A * d);
      let ds = exp(-B * d);
      dec = vec4<f32>(t, dm, ds, kernel_from(d, dm, ds));
    }
    ev[base + e] = dec;
  }
  if (lid == 0u) {
    ev_info[b] = vec2<u32>(n, atomicLoad(&wg_lost));
  }
}
