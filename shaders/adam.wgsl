// adam.wgsl: one Adam step (Kingma & Ba 2015, bias-corrected; decoupled weight decay as in AdamW) of one
// layer's weights, one thread per weight; mirrors adamStep of src/engine/adam.ts:
//   m = b1 m + (1-b1) g,  v = b2 v + (1-b2) g^2,  w = keep w - lr (m/c1) / (sqrt(v/c2) + eps)
//
// Dispatch: (min(groups, 65535), ceil(groups / 65535), 1), groups = ceil(n / WG).
// @group(0) @binding(0) uniform  ap   AdamParams (below)
// @group(0) @binding(1) storage  w    array<f32>  (n_in, n_out) weights (updated)
// @group(0) @binding(2) storage  dw   array<f32>  (n_in, n_out) gradient of the batch mean loss
// @group(0) @binding(3) storage  m    array<f32>  (n_in, n_out) first moment (updated)
// @group(0) @binding(4) storage  v    array<f32>  (n_in, n_out) second moment (updated)
// Overrides: WG (common.wgsl).

struct AdamParams {
  n: u32,       // weights of the layer
  pad0: u32,
  pad1: u32,
  pad2: u32,
  lr: f32,      // learning rate of this step
  beta1: f32,   // e.g. 0.9
  beta2: f32,   // e.g. 0.999
  eps: f32,     // e.g. 1e-8
  c1: f32,      // 1 - beta1^step
  c2: f32,      // 1 - beta2^step
  keep: f32,    // 1 - lr * weight_decay (1 without decay)
  pad4: f32,
}

@group(0) @binding(0) var<uniform> ap: AdamParams;
@group(0) @binding(1) var<storage, read_write> w: array<f32>;
@group(0) @binding(2) var<storage, read> dw: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = (wid.y * nwg.x + wid.x) * WG + lid;
  if (idx >= ap.n) {
    return;
  }
  let g = dw[idx];
  let mi = ap.beta1 * m[idx] + (1.0 - ap.beta1) * g;
  let vi = ap.beta2 * v[idx] + (1.0 - ap.beta2) * g * g;
  m[idx] = mi;
  v[idx] = vi;
  w[idx] = ap.keep * w[idx] - ap.lr * (mi / ap.c1) / (sqrt(vi / ap.c2) + ap.eps);
}
