// loss.wgsl: readout and loss of each sample (MODEL.md section 4), with dL/dt of every output spike.
// One thread per sample. Mirrors sampleLoss of src/engine/loss.ts: "first-spike" (kind 0) is the
// cross-entropy over z_i = -t_first_i / tau0 (a silent output counts as T_MAX); "multi-spike" (kind 1)
// over z_i = sum_k exp(-t_ik / tau0). Prediction: earliest first spike / largest z among outputs that
// fired, ties to the lowest index, -1 when all are silent. Every silent output adds
// vmax_weight * (THETA - Vmax_i) / THETA (its gradient enters as the layer's silent_grad, adjoint.wgsl);
// every firing output adds the timing anchor (t_ref_weight / 2) (t_first_i - t_ref)^2 when t_ref_weight > 0.
// With label_smoothing e > 0 the cross-entropy's target is (1 - e) on the label plus e / n_out on every output.
//
// Dispatch: (ceil(samples / WG), 1, 1).
// @group(0) @binding(0) uniform  lp      LossParams (below)
// @group(0) @binding(1) storage  count   array<u32>        (samples, n_out) spikes of each output neuron
// @group(0) @binding(2) storage  time    array<f32>        (samples, n_out, CAP) spike times
// @group(0) @binding(3) storage  vm      array<vec4<f32>>  (samples, n_out) x: Vmax of silent neurons
// @group(0) @binding(4) storage  labels  array<i32>        (samples) target class
// @group(0) @binding(5) storage  g_time  array<f32>        (samples, n_out, CAP) dL/dt_k times scale (written)
// @group(0) @binding(6) storage  result  array<vec4<f32>>  (samples) (loss, prediction, first output spike
//                                                          time or -1, flags) (written); flags = 1 if correct
//                                                          + 2 if two outputs share the winning value
// Overrides: THETA, T_MAX, CAP, WG (common.wgsl).

struct LossParams {
  n_out: u32,       // output neurons, e.g. 10
  samples: u32,     // samples in this chunk
  kind: u32,        // 0 first-spike, 1 multi-spike
  pad0: u32,
  tau0: f32,        // readout temperature, e.g. 1
  vmax_weight: f32, // weight of the Vmax term of silent outputs, e.g. 1
  scale: f32,       // factor of every gradient, e.g. 1/batch
  t_ref_weight: f32, // weight of the timing anchor, 0 = off
  t_ref: f32,        // time the anchor pulls first output spikes towards, e.g. 8
  label_smoothing: f32, // e in [0, 1), 0 = off
  pad2: f32,
  pad3: f32,
}

@group(0) @binding(0) var<uniform> lp: LossParams;
@group(0) @binding(1) var<storage, read> count: array<u32>;
@group(0) @binding(2) var<storage, read> time: array<f32>;
@group(0) @binding(3) var<storage, read> vm: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> labels: array<i32>;
@group(0) @binding(5) var<storage, read_write> g_time: array<f32>;
@group(0) @binding(6) var<storage, read_write> result: array<vec4<f32>>;

fn logit(out: u32) -> f32 {
  let n = count[out];
  if (lp.kind == 0u) {
    var t = T_MAX;
    if (n > 0u) {
      t = time[out * CAP];
    }
    return -t / lp.tau0;
  }
  var z = 0.0;
  for (var k = 0u; k < n; k++) {
    z += exp(-time[out * CAP + k] / lp.tau0);
  }
  return z;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let b = gid.x;
  if (b >= lp.samples) {
    return;
  }
  let row = b * lp.n_out;
  let label = u32(labels[b]);
  var prediction = -1;
  var tied = false;
  var best = 0.0;
  var first = -1.0;
  var z_max = -3.0e38;
  for (var i = 0u; i < lp.n_out; i++) {
    let z = logit(row + i);
    z_max = max(z_max, z);
    if (count[row + i] > 0u) {
      let t = time[(row + i) * CAP];
      if (first < 0.0 || t < first) {
        first = t;
      }
      // Compared on -t for first-spike (exact; -t/tau0 could round two times together).
      let key = select(z, -t, lp.kind == 0u);
      if (prediction < 0 || key > best) {
        best = key;
        prediction = i32(i);
        tied = false;
      } else if (key == best) {
        tied = true;
      }
    }
  }
  var sum = 0.0;
  for (var i = 0u; i < lp.n_out; i++) {
    sum += exp(logit(row + i) - z_max);
  }
  let spread = lp.label_smoothing / f32(lp.n_out);
  var target_logit = (1.0 - lp.label_smoothing) * logit(row + label);
  if (spread > 0.0) {
    for (var i = 0u; i < lp.n_out; i++) {
      target_logit += spread * logit(row + i);
    }
  }
  var loss = z_max + log(sum) - target_logit;
  for (var i = 0u; i < lp.n_out; i++) {
    if (count[row + i] == 0u) {
      loss += lp.vmax_weight * (THETA - vm[row + i].x) / THETA;
    } else if (lp.t_ref_weight > 0.0) {
      let d = time[(row + i) * CAP] - lp.t_ref;
      loss += 0.5 * lp.t_ref_weight * d * d;
    }
  }
  for (var i = 0u; i < lp.n_out; i++) {
    let out = row + i;
    let n = count[out];
    var dz = 0.0;
    if (n > 0u) {
      // Silent outputs get no timing gradient (MODEL.md section 4).
      dz = (exp(logit(out) - z_max) / sum - (select(0.0, 1.0 - lp.label_smoothing, i == label) + spread)) * lp.scale;
    }
    for (var k = 0u; k < CAP; k++) {
      var g = 0.0;
      if (k < n) {
        if (lp.kind == 0u) {
          g = select(0.0, -dz / lp.tau0, k == 0u);
        } else {
          g = -dz * exp(-time[out * CAP + k] / lp.tau0) / lp.tau0;
        }
        if (k == 0u && lp.t_ref_weight > 0.0) {
          g += lp.t_ref_weight * (time[out * CAP] - lp.t_ref) * lp.scale;
        }
      }
      g_time[out * CAP + k] = g;
    }
  }
  let flags = select(0.0, 1.0, prediction == i32(label)) + select(0.0, 2.0, tied);
  result[b] = vec4<f32>(loss, f32(prediction), first, flags);
}
