// forward.wgsl: exact event-driven forward pass of one layer (MODEL.md section 2), one thread per
// (sample, neuron): walks the sample's sorted events, finds every threshold crossing in each interval (up
// to CAP spikes), and records what the backward pass needs (spike slopes rho, the potential maximum of a
// silent neuron). Mirrors LayerTrace.run of src/engine/cpu/forward.ts.
//
// Dispatch: (ceil(n_out / WG), samples, 1).
// @group(0) @binding(0) uniform  p        LayerParams (common.wgsl)
// @group(0) @binding(1) storage  w        array<f32>        (n_in, n_out) weights, input j -> neuron i
// @group(0) @binding(2) storage  ev       array<vec4<f32>>  (samples, cap_ev) (time, dm, ds, K) of sorted events
// @group(0) @binding(3) storage  key_s    array<u32>        (samples, cap_ev) slot j * cap_in + k of each event
// @group(0) @binding(4) storage  ev_info  array<vec2<u32>>  (samples) (events, lost)
// @group(0) @binding(5) storage  count    array<u32>        (samples, n_out) spikes of each neuron (written)
// @group(0) @binding(6) storage  time     array<f32>        (samples, n_out, CAP) spike times (written)
// @group(0) @binding(7) storage  rho      array<f32>        (samples, n_out, CAP) dV/dt at each spike, >= RHO_MIN
// @group(0) @binding(8) storage  vm       array<vec4<f32>>  (samples, n_out) (Vmax while silent, its time,
//                                                           dV/dt before it if it is a kink at an event else 0,
//                                                           clamped crossings)
// Overrides: A, B, THETA, T_MAX, RHO_MIN, CAP, TOL, WG (common.wgsl).

@group(0) @binding(0) var<uniform> p: LayerParams;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> ev: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> key_s: array<u32>;
@group(0) @binding(4) var<storage, read> ev_info: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read_write> count: array<u32>;
@group(0) @binding(6) var<storage, read_write> time: array<f32>;
@group(0) @binding(7) var<storage, read_write> rho: array<f32>;
@group(0) @binding(8) var<storage, read_write> vm: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let b = gid.y;
  if (i >= p.n_out) {
    return;
  }
  let n = ev_info[b].x;
  let base = b * p.cap_ev;
  let out = b * p.n_out + i;
  let so = out * CAP;
  var v = 0.0;
  var c = 0.0;
  var cnt = 0u;
  var grazing = 0u;
  var t_prev = 0.0;
  var vmax = 0.0;
  var tvmax = 0.0;
  var vslope = 0.0;
  for (var e = 0u; e <= n; e++) {
    var t_ev = T_MAX;
    var dm = 1.0;
    var ds = 1.0;
    var kd = 0.0;
    if (e < n) {
      let x = ev[base + e];
      t_ev = x.x;
      dm = x.y;
      ds = x.z;
      kd = x.w;
    } else if (T_MAX > t_prev) {
      let dl = T_MAX - t_prev;
      dm = exp(-A * dl);
      ds = exp(-B * dl);
      kd = kernel_from(dl, dm, ds);
    }
    let d = t_ev - t_prev;
    if (d > 0.0) {
      let v_end = v * dm + c * kd;
      let i_end = c * ds;
      let has_max = c > v && i_end < v_end; // rising at the start, falling at the end
      if (cnt == 0u) {
        // Potential maximum of a still-silent neuron (MODEL.md section 4).
        if (v_end > vmax) {
          vmax = v_end;
          tvmax = t_ev;
          let s = A * (i_end - v_end);
          vslope = select(0.0, s, e < n && s > 0.0);
        }
        if (has_max) {
          let tp = clamp(extremum_time(v, c), 0.0, d);
          let vp = potential(v, c, tp);
          if (vp > vmax) {
            vmax = vp;
            tvmax = t_prev + tp;
            vslope = 0.0;
          }
        }
      }
      if (v_end >= THETA || has_max) {
        // Every crossing in [t_prev, t_ev]: after a spike V = 0 (I untouched) and the search goes on.
        var t0 = t_prev;
        var dd = d;
        var vv = v;
        var cc = c;
        var ve = v_end;
        var ie = i_end;
        loop {
          let tc = first_crossing(vv, cc, dd, ve, ie);
          if (tc < 0.0) {
            v = ve;
            c = ie;
            break;
          }
          let i_at = cc * exp(-B * tc);
          // At the crossing V = THETA, so dV/dt = A (I - THETA) (MODEL.md section 3).
          var slope = A * (i_at - THETA);
          if (slope < RHO_MIN) {
            slope = RHO_MIN;
            grazing++;
          }
          time[so + cnt] = t0 + tc;
          rho[so + cnt] = slope;
          cnt++;
          if (cnt >= CAP) {
            break;
          }
          t0 += tc;
          dd -= tc;
          vv = 0.0;
          cc = i_at;
          ve = cc * kernel(dd);
          ie = cc * exp(-B * dd);
        }
        if (cnt >= CAP) {
          break; // silent after its last allowed spike
        }
      } else {
        v = v_end;
        c = i_end;
      }
    }
    if (e < n) {
      let j = key_s[base + e] / p.cap_in;
      c += w[j * p.n_out + i] * p.w_scale; // w_scale: dropout of the inputs, else 1 (exact)
    }
    t_prev = t_ev;
  }
  count[out] = cnt;
  vm[out] = vec4<f32>(vmax, tvmax, vslope, f32(grazing));
}
