// common.wgsl: neuron math shared by every kernel (MODEL.md sections 1-3), in f32. Prepended to each
// kernel's source at load time; mirrors src/model/kernel.ts name by name.
//
// Override constants (set once per engine through `constants`):
//   A        f32  1/tau_m
//   B        f32  1/tau_s
//   THETA    f32  firing threshold
//   T_MAX    f32  end of the time window
//   RHO_MIN  f32  smallest slope accepted at a crossing (smaller ones are clamped and counted)
//   CAP      u32  max_spikes: spike slots per neuron
//   TOL      f32  Newton step below which a crossing counts as solved (1e-6 of the smaller tau)
//   WG       u32  workgroup size of the 1-D kernels
//   A_AB     f32  A/(A-B), 0 when A == B (then the expm1 form is always taken); an override so that no
//                 constant expression divides by zero
//
// Notation: between events, from (V0, I0): I(d) = I0 e^{-B d}, V(d) = V0 e^{-A d} + I0 K(d), with
// K(d) = A/(A-B) (e^{-B d} - e^{-A d}) = A d e^{-A d} expm1((A-B) d)/((A-B) d).

override A: f32;
override B: f32;
override THETA: f32;
override T_MAX: f32;
override RHO_MIN: f32;
override CAP: u32;
override TOL: f32;
override WG: u32 = 64u;
override A_AB: f32;

// expm1(x)/x for |x| < 0.5: Taylor series to x^8 (truncation error < 1e-8 relative). WGSL has no expm1.
fn expm1_over_x_small(x: f32) -> f32 {
  return 1.0 + x * (0.5 + x * (1.0 / 6.0 + x * (1.0 / 24.0 + x * (1.0 / 120.0 + x * (1.0 / 720.0
    + x * (1.0 / 5040.0 + x * (1.0 / 40320.0 + x * (1.0 / 362880.0))))))));
}

// log1p(x)/x for x > -1: series for |x| < 0.1 (error < 1e-9), else the direct quotient. WGSL has no log1p.
fn log1p_over_x(x: f32) -> f32 {
  if (abs(x) < 0.1) {
    return 1.0 + x * (-0.5 + x * (1.0 / 3.0 + x * (-0.25 + x * (0.2 + x * (-1.0 / 6.0 + x * (1.0 / 7.0
      - x * 0.125))))));
  }
  return log(1.0 + x) / x;
}

// K(t) from em = e^{-A t} and es = e^{-B t} already at hand; the expm1 form near tau_m == tau_s.
fn kernel_from(t: f32, em: f32, es: f32) -> f32 {
  let x = (A - B) * t;
  if (abs(x) < 0.5) {
    return A * t * em * expm1_over_x_small(x);
  }
  return A_AB * (es - em);
}

// PSP kernel K(d) (MODEL.md section 1); 0 for d <= 0.
fn kernel(d: f32) -> f32 {
  if (d <= 0.0) {
    return 0.0;
  }
  return kernel_from(d, exp(-A * d), exp(-B * d));
}

// V at offset t from (v0, i0).
fn potential(v0: f32, i0: f32, t: f32) -> f32 {
  return v0 * exp(-A * t) + i0 * kernel(t);
}

// Offset of the extremum of V from (v0, i0) (dV/dt = A (I - V) = 0), written with log1p(x)/x so that it
// stays exact as tau_s -> tau_m. Callers check that dV/dt changes sign inside the interval first.
fn extremum_time(v0: f32, i0: f32) -> f32 {
  let den = A * (i0 - v0) + B * v0;
  let x = (B - A) * (i0 - v0) / den;
  return log1p_over_x(x) * (i0 - v0) / den;
}

// Root of V(t) = THETA in [lo, hi] where V(lo) = v_lo < THETA <= V(hi) = v_hi and V increases: secant
// start, then Newton safeguarded by bisection (a step that leaves the bracket bisects instead).
fn solve_crossing(v0: f32, i0: f32, lo_in: f32, hi_in: f32, v_lo: f32, v_hi: f32) -> f32 {
  var lo = lo_in;
  var hi = hi_in;
  var t = hi;
  if (v_hi > v_lo) {
    t = lo + (hi - lo) * (THETA - v_lo) / (v_hi - v_lo);
  }
  if (!(t > lo && t <= hi)) {
    t = hi;
  }
  for (var iter = 0; iter < 40; iter++) {
    let em = exp(-A * t);
    let es = exp(-B * t);
    let v = v0 * em + i0 * kernel_from(t, em, es);
    let f = v - THETA;
    if (f == 0.0) {
      return t;
    }
    if (f > 0.0) {
      hi = t;
    } else {
      lo = t;
    }
    let slope = A * (i0 * es - v);
    var next = 0.5 * (lo + hi);
    if (slope > 0.0) {
      let newton = t - f / slope;
      if (newton >= lo && newton <= hi) {
        next = newton;
      }
    }
    if (abs(next - t) <= TOL || hi - lo <= 2.4e-7 * hi) {
      return next;
    }
    t = next;
  }
  return t;
}

// First crossing of V = THETA in [0, d] from (v0 < THETA, i0), or -1 when V stays below (MODEL.md
// section 2). V has at most one extremum, so the crossing is bracketed in a monotone piece.
fn first_crossing(v0: f32, i0: f32, d: f32, v_end: f32, i_end: f32) -> f32 {
  let rising_at_start = i0 > v0;
  let falling_at_end = i_end < v_end;
  var lo = 0.0;
  var hi = d;
  var v_lo = v0;
  var v_hi = v_end;
  if (v_end < THETA) {
    // Below threshold at the end: only an interior maximum can cross.
    if (!(rising_at_start && falling_at_end)) {
      return -1.0;
    }
    hi = clamp(extremum_time(v0, i0), 0.0, d);
    v_hi = potential(v0, i0, hi);
    if (v_hi < THETA) {
      return -1.0;
    }
  } else if (rising_at_start && falling_at_end) {
    hi = clamp(extremum_time(v0, i0), 0.0, d);
    v_hi = potential(v0, i0, hi);
  } else if (!rising_at_start && !falling_at_end) {
    lo = clamp(extremum_time(v0, i0), 0.0, d);
    v_lo = potential(v0, i0, lo);
  }
  return solve_crossing(v0, i0, lo, hi, v_lo, v_hi);
}

// Per-layer shape and per-step scalars, one uniform per layer.
struct LayerParams {
  n_in: u32,        // neurons of the layer below (inputs), e.g. 784
  n_out: u32,       // neurons of this layer, e.g. 800
  cap_in: u32,      // spike slots per input neuron: max_spikes, or max events per input for layer 0
  cap_ev: u32,      // event slots per sample in the sorted event list (a power of two)
  samples: u32,     // samples in this chunk
  flags: u32,       // bit 0: accumulate into dW (else overwrite)
  silent_grad: f32, // dL/dVmax of each silent neuron (0: no Vmax term for this layer)
  // Dropout of the layer's inputs (src/engine/dropout.ts); w_scale 1 and drop_threshold 0 when off.
  w_scale: f32,         // factor on the weights: 1 / (1 - rate)
  drop_threshold: u32,  // an input neuron whose mask hash is below this is dropped
  drop_seed: u32,       // the mask seed of the layer below (layerMaskSeed)
  sample_base: u32,     // index in the batch of the chunk's first sample: masks follow the batch index
  pad: u32,
}

// PCG hash of a u32 (Jarzynski & Olano 2020); pcgHash in src/engine/dropout.ts gives the same bits.
fn pcg_hash(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// Whether input neuron j of batch sample s is dropped (isDropped in src/engine/dropout.ts).
fn dropped(threshold: u32, seed: u32, s: u32, j: u32) -> bool {
  return threshold != 0u && pcg_hash(pcg_hash(seed + s) + j) < threshold;
}

// Items of the backward pass: itemN's low 16 bits count the items, VMAX_ITEM marks the Vmax pseudo-item.
const VMAX_ITEM: u32 = 0x10000u;
