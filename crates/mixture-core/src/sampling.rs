//! Seeded sampling: categorical draws, multinomial counts and standard normal deviates.
//!
//! Uniform numbers come from a seeded host RNG and travel to the device as one tensor, so a
//! draw is reproducible on every backend and independent of other users of the backend's
//! global RNG (tests running in parallel, say).

use burn::tensor::{Int, Tensor, backend::Backend};
use rand::{Rng, RngExt};

use crate::tensor::from_f64_like;

/// One categorical draw per row of unnormalised non-negative weights `[N, K]` → `[N]`
/// labels, by inverse CDF on the device.
///
/// Rows whose weights are all zero give label 0.
pub fn categorical<B: Backend, R: Rng + ?Sized>(
    weights: Tensor<B, 2>,
    rng: &mut R,
) -> Tensor<B, 1, Int> {
    let [n, k] = weights.dims();
    let total = weights.clone().sum_dim(1);
    let cdf = weights.cumsum(1) / total;
    let u: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
    let u = from_f64_like::<B, 2, 2>(u, [n, 1], &cdf);
    let below = cdf.lower(u.expand([n, k])).int().sum_dim(1).reshape([n]);
    below.clamp(0, k as i64 - 1)
}

/// Multinomial counts of `n` draws with probabilities `p` (host; used to split samples over
/// components, as scikit-learn's `sample`).
pub fn multinomial_counts<R: Rng + ?Sized>(n: usize, p: &[f64], rng: &mut R) -> Vec<usize> {
    let total: f64 = p.iter().sum();
    let mut counts = vec![0usize; p.len()];
    for _ in 0..n {
        let u = rng.random::<f64>() * total;
        let mut c = 0.0;
        let mut idx = p.len() - 1;
        for (k, pk) in p.iter().enumerate() {
            c += pk;
            if u < c {
                idx = k;
                break;
            }
        }
        counts[idx] += 1;
    }
    counts
}

/// Two independent standard normal deviates from two uniforms by the Box–Muller transform,
/// `u1` in `(0, 1]` (so that its log is finite) and `u2` in `[0, 1)`.
fn box_muller(u1: f64, u2: f64) -> (f64, f64) {
    let r = (-2.0 * u1.ln()).sqrt();
    let t = core::f64::consts::TAU * u2;
    (r * t.cos(), r * t.sin())
}

/// One standard normal deviate (Box–Muller on two uniforms of `rng`, the cosine branch):
/// the stream of scikit-learn-style samplers that draw one value at a time.
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// let mut rng = StdRng::seed_from_u64(0);
/// let z = mixture_core::sampling::standard_normal(&mut rng);
/// assert!(z.is_finite());
/// ```
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    box_muller(u1, u2).0
}

/// `n` independent standard normal deviates (Box–Muller, both branches of each pair of
/// uniforms of `rng`).
///
/// ```
/// use rand::{rngs::StdRng, SeedableRng};
/// let mut rng = StdRng::seed_from_u64(0);
/// let z = mixture_core::sampling::standard_normals(10_000, &mut rng);
/// let mean = z.iter().sum::<f64>() / 1e4;
/// let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 1e4;
/// assert!(mean.abs() < 0.05 && (var - 1.0).abs() < 0.05, "{mean} {var}");
/// ```
pub fn standard_normals<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Vec<f64> {
    let mut out = Vec::with_capacity(n + 1);
    while out.len() < n {
        let u1 = 1.0 - rng.random::<f64>();
        let u2 = rng.random::<f64>();
        let (a, b) = box_muller(u1, u2);
        out.push(a);
        out.push(b);
    }
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{from_f64, to_vec_i64};
    use burn::tensor::DType;
    use rand::{SeedableRng, rngs::StdRng};

    type B = burn_ndarray::NdArray<f64>;

    #[test]
    fn degenerate_rows_always_pick_their_category() {
        let dev = Default::default();
        let w = from_f64::<B, 2>(vec![0.0, 1.0, 0.0, 0.0, 0.0, 3.0], [2, 3], &dev, DType::F64);
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..20 {
            assert_eq!(
                to_vec_i64(categorical(w.clone(), &mut rng)).unwrap(),
                vec![1, 2]
            );
        }
    }

    #[test]
    fn frequencies_follow_the_weights() {
        let dev = Default::default();
        let n = 20_000;
        let w = from_f64::<B, 2>([1.0, 3.0].repeat(n), [n, 2], &dev, DType::F64);
        let mut rng = StdRng::seed_from_u64(7);
        let labels = to_vec_i64(categorical(w, &mut rng)).unwrap();
        let ones = labels.iter().filter(|&&l| l == 1).count() as f64 / n as f64;
        // binomial sd = sqrt(.75·.25/n) ≈ 0.003; 5 sd
        assert!((ones - 0.75).abs() < 0.015, "{ones}");
        let counts = multinomial_counts(n, &[0.2, 0.8], &mut rng);
        assert_eq!(counts.iter().sum::<usize>(), n);
        assert!((counts[0] as f64 / n as f64 - 0.2).abs() < 0.015);
    }
}
