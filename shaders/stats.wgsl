// stats.wgsl: per-sample counters of one layer (MODEL.md section 5), one thread per sample; the host sums
// them over the batch.
//
// Dispatch: (ceil(samples / WG), 1, 1).
// @group(0) @binding(0) uniform  p        LayerParams (common.wgsl)
// @group(0) @binding(1) storage  count    array<u32>        (samples, n_out) spikes
// @group(0) @binding(2) storage  vm       array<vec4<f32>>  (samples, n_out) x: Vmax while silent, w: clamped
//                                                           crossings
// @group(0) @binding(3) storage  ev_info  array<vec2<u32>>  (samples) y: input events lost for lack of room
// @group(0) @binding(4) storage  stats    array<vec4<u32>>  (samples, 2) [spikes, silent, capped, grazing],
//                                                           [lost input events, f32 bits of
//                                                           sum over silent neurons of (THETA - Vmax)/THETA,
//                                                           0, 0] (written)
// Overrides: THETA, CAP, WG (common.wgsl).

@group(0) @binding(0) var<uniform> p: LayerParams;
@group(0) @binding(1) var<storage, read> count: array<u32>;
@group(0) @binding(2) var<storage, read> vm: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> ev_info: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> stats: array<vec4<u32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= p.samples) {
    return;
  }
  var spikes = 0u;
  var silent = 0u;
  var capped = 0u;
  var grazing = 0u;
  var gap = 0.0;
  for (var i = 0u; i < p.n_out; i++) {
    let out = b * p.n_out + i;
    let c = count[out];
    let m = vm[out];
    spikes += c;
    if (c == 0u) {
      silent++;
      gap += (THETA - m.x) / THETA;
    }
    if (c >= CAP) {
      capped++;
    }
    grazing += u32(m.w);
  }
  stats[2u * b] = vec4<u32>(spikes, silent, capped, grazing);
  stats[2u * b + 1u] = vec4<u32>(ev_info[b].y, bitcast<u32>(gap), 0u, 0u);
}
