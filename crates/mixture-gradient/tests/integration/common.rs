//! Test data with exact sample moments, so that maximum-likelihood answers are closed forms.

use rand::{SeedableRng, rngs::StdRng};

/// Lower Cholesky factor of a small symmetric positive-definite `d×d` matrix (row-major).
pub fn chol(a: &[f64], d: usize) -> Vec<f64> {
    let mut l = vec![0.0; d * d];
    for i in 0..d {
        for j in 0..=i {
            let s: f64 = (0..j).map(|p| l[i * d + p] * l[j * d + p]).sum();
            l[i * d + j] = if i == j {
                (a[i * d + i] - s).sqrt()
            } else {
                (a[i * d + j] - s) / l[j * d + j]
            };
        }
    }
    l
}

/// `n` rows whose sample mean is exactly `mean` and whose (biased, 1/n) sample covariance is
/// exactly `cov` (`d×d`): normal draws, whitened by their own moments, then coloured.
pub fn exact_cluster(n: usize, mean: &[f64], cov: &[f64], seed: u64) -> Vec<f64> {
    let d = mean.len();
    let mut rng = StdRng::seed_from_u64(seed);
    let z = mixture_gradient::module::standard_normal(n * d, &mut rng);
    let m: Vec<f64> = (0..d)
        .map(|j| (0..n).map(|i| z[i * d + j]).sum::<f64>() / n as f64)
        .collect();
    let mut s = vec![0.0; d * d];
    for i in 0..n {
        for a in 0..d {
            for b in 0..d {
                s[a * d + b] += (z[i * d + a] - m[a]) * (z[i * d + b] - m[b]) / n as f64;
            }
        }
    }
    let ls = chol(&s, d);
    let lc = chol(cov, d);
    let mut out = Vec::with_capacity(n * d);
    for i in 0..n {
        // w = Ls⁻¹ (z − m) by forward substitution, then x = mean + Lc w.
        let mut w = vec![0.0; d];
        for a in 0..d {
            let r: f64 = (0..a).map(|p| ls[a * d + p] * w[p]).sum();
            w[a] = (z[i * d + a] - m[a] - r) / ls[a * d + a];
        }
        for a in 0..d {
            out.push(mean[a] + (0..=a).map(|p| lc[a * d + p] * w[p]).sum::<f64>());
        }
    }
    out
}

/// `½ ln |2πe Σ|`: the mean NLL of the maximum-likelihood Gaussian of data whose sample
/// covariance is `Σ` (anchors.md §3.5's sanity check).
pub fn gaussian_entropy(cov: &[f64], d: usize) -> f64 {
    let l = chol(cov, d);
    let log_det: f64 = (0..d).map(|i| 2.0 * l[i * d + i].ln()).sum();
    0.5 * (d as f64 * (2.0 * std::f64::consts::PI * std::f64::consts::E).ln() + log_det)
}

/// The identity matrix, row-major.
pub fn eye(d: usize) -> Vec<f64> {
    let mut v = vec![0.0; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    v
}

/// `|a − b| <= rel·|b|`: pytest.approx(b, rel) as GMMPytorch's tests use it.
pub fn approx_rel(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}
