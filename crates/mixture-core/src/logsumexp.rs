//! Numerically stable log-sum-exp and softmax over the component axis.

use burn::tensor::{Tensor, activation::softmax, backend::Backend};

/// `log Σ_k exp(a[n, k])` over dimension 1, stable for any finite input: the row maximum is
/// subtracted first. Rows that are all `-inf` give `-inf` (not NaN). Terms more than 80
/// below the row maximum count as `e^-80` of it (a relative change below 1e-34).
///
/// # Shapes
/// `a`: `[N, K]` → `[N]`.
pub fn logsumexp<B: Backend>(a: Tensor<B, 2>) -> Tensor<B, 1> {
    logsumexp_keepdim(a).squeeze_dim::<1>(1)
}

/// [`logsumexp`] keeping the reduced dimension: `[N, K]` → `[N, 1]`.
pub fn logsumexp_keepdim<B: Backend>(a: Tensor<B, 2>) -> Tensor<B, 2> {
    let (lse, _) = logsumexp_with_exp(a);
    lse
}

/// Log-sum-exp and the normalised exponentials in one pass over the `[N, K]` matrix:
/// returns (`[N, 1]` log-normaliser, `[N, K]` softmax). The softmax is what EM calls the
/// responsibilities, computed without a second `exp` of the log-probabilities.
pub fn logsumexp_with_exp<B: Backend>(a: Tensor<B, 2>) -> (Tensor<B, 2>, Tensor<B, 2>) {
    let max = a.clone().max_dim(1);
    // A row of -inf has max -inf; shift by 0 there so that exp gives 0, not NaN.
    let finite = max.clone().is_finite();
    let shift = max.clone().mask_fill(finite.bool_not(), 0.0);
    // Terms below e^-80 (≈ 1.8e-35 of the largest) cannot change the sum in f32 or f64;
    // flooring them keeps `exp` off its slow underflow path.
    let e = (a - shift).clamp_min(EXP_FLOOR).exp();
    let s = e.clone().sum_dim(1);
    let lse = s.clone().log() + max;
    (lse, e / s)
}

/// The E-step's normalisation: (`[N, 1]` log-normaliser, `[N, K]` responsibilities), with
/// the softmax done by the backend's own kernel (burn-flex runs it fused and in parallel over
/// rows; other backends compose it from max, exp, sum and div).
///
/// The entries are shifted by their row maximum and floored at `-80` first (as in
/// [`logsumexp_with_exp`]: `exp` of anything lower cannot change a sum in f32 or f64, and
/// flooring keeps `exp` off libm's slow underflow path). The log-normaliser then needs no
/// second pass over `exp`: the softmax's largest entry is `exp(0) / Σ_k exp(a_k − max)`, so
/// `log Σ_k exp(a_k) = max − log(max_k softmax_k)`, and `max_k softmax_k ≥ 1/K` keeps that
/// logarithm well conditioned. Every row must hold a finite entry: a row of `-inf` gives NaN
/// (use [`logsumexp_with_exp`] where such rows can occur).
///
/// With the `flex` feature and a burn-flex backend (f32 or f64), all of this is one fused
/// pass instead (see the crate's `flex` feature): same values to rounding, rows of `-inf`
/// included.
///
/// Small matrices (fewer than [`Tuning::small_softmax`](crate::tuning::Tuning::small_softmax) entries) are normalised by
/// [`logsumexp_with_exp`] (composed max, exp, sum and div) instead: burn-flex hands its fused softmax to its thread pool
/// whatever the size, and on a two-planes fit (N = 200, K = 2) waking the pool every
/// iteration cost more than the whole E-step's arithmetic.
pub fn softmax_with_logsumexp<B: Backend>(a: Tensor<B, 2>) -> (Tensor<B, 2>, Tensor<B, 2>) {
    #[cfg(feature = "flex")]
    let a = match crate::flex::softmax::try_softmax_with_logsumexp(a) {
        Ok(fused) => return fused,
        Err(a) => a,
    };
    let [n, k] = a.dims();
    if n * k < crate::tuning::Tuning::of::<B>().small_softmax {
        return logsumexp_with_exp(a);
    }
    let max = a.clone().max_dim(1);
    let resp = softmax((a - max.clone()).clamp_min(EXP_FLOOR), 1);
    let lse = max - resp.clone().max_dim(1).log();
    (lse, resp)
}

/// Shifted log-probabilities are floored here before `exp`.
pub(crate) const EXP_FLOOR: f64 = -80.0;

/// Softmax over dimension 1 of log-weights (`[N, K]` → `[N, K]`, rows sum to one).
pub fn softmax_log<B: Backend>(a: Tensor<B, 2>) -> Tensor<B, 2> {
    logsumexp_with_exp(a).1
}

/// Log-softmax over dimension 1: `a - logsumexp(a)`.
pub fn log_softmax<B: Backend>(a: Tensor<B, 2>) -> Tensor<B, 2> {
    let lse = logsumexp_keepdim(a.clone());
    a - lse
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{from_f64, to_vec_f64};
    use burn::tensor::DType;

    type B = burn_ndarray::NdArray<f64>;

    #[test]
    fn stable_for_large_and_infinite_inputs() {
        let dev = Default::default();
        let a = from_f64::<B, 2>(
            vec![
                1000.0,
                1000.0,
                -1000.0,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
            [3, 2],
            &dev,
            DType::F64,
        );
        let (lse, p) = logsumexp_with_exp(a);
        let lse = to_vec_f64(lse).unwrap();
        assert!((lse[0] - (1000.0 + 2f64.ln())).abs() < 1e-12);
        assert_eq!(lse[1], -1000.0);
        assert_eq!(lse[2], f64::NEG_INFINITY);
        let p = to_vec_f64(p).unwrap();
        assert_eq!(&p[..3], &[0.5, 0.5, 1.0]);
        // -inf (and anything more than 80 below the maximum) is floored at e^-80.
        assert!(p[3] > 0.0 && p[3] < 1e-34, "{}", p[3]);
        // A row with no finite entry: every component equally (im)possible.
        assert_eq!(&p[4..], &[0.5, 0.5]);
    }

    /// The fused path agrees with the two-pass one, far from zero and with rows whose
    /// entries span more than `exp` can represent.
    #[test]
    fn fused_softmax_matches_logsumexp_with_exp() {
        let dev = Default::default();
        let rows = vec![
            0.1,
            -2.0,
            3.0, //
            1000.0,
            999.0,
            -5000.0, //
            -700.0,
            -720.0,
            -700.0, //
            f64::NEG_INFINITY,
            2.0,
            2.0,
        ];
        let a = from_f64::<B, 2>(rows, [4, 3], &dev, DType::F64);
        let (lse_a, p_a) = softmax_with_logsumexp(a.clone());
        let (lse_b, p_b) = logsumexp_with_exp(a);
        let (lse_a, lse_b) = (to_vec_f64(lse_a).unwrap(), to_vec_f64(lse_b).unwrap());
        for (x, y) in lse_a.iter().zip(&lse_b) {
            assert!((x - y).abs() < 1e-12 * y.abs().max(1.0), "{x} vs {y}");
        }
        assert!((lse_a[1] - (1000.0 + (1.0 + (-1f64).exp()).ln())).abs() < 1e-12);
        assert!((lse_a[3] - (2.0 + 2f64.ln())).abs() < 1e-12);
        let (p_a, p_b) = (to_vec_f64(p_a).unwrap(), to_vec_f64(p_b).unwrap());
        for (x, y) in p_a.iter().zip(&p_b) {
            assert!((x - y).abs() < 1e-15, "{x} vs {y}");
        }
        // Floored at e^-80 of the row maximum, as the two-pass path.
        assert!(p_a[9] > 0.0 && p_a[9] < 1e-34, "{}", p_a[9]);
    }

    /// From `Tuning::CPU.small_softmax` entries on, the backend's fused softmax: same values.
    #[test]
    fn fused_path_of_large_matrices_matches_logsumexp_with_exp() {
        let dev = Default::default();
        let (n, k) = (crate::tuning::Tuning::CPU.small_softmax / 3 + 1, 3);
        let rows: Vec<f64> = (0..n * k)
            .map(|i| ((i * 37 % 101) as f64 - 50.0) * if i % 7 == 0 { 30.0 } else { 0.2 })
            .collect();
        let a = from_f64::<B, 2>(rows, [n, k], &dev, DType::F64);
        let (lse_a, p_a) = softmax_with_logsumexp(a.clone());
        let (lse_b, p_b) = logsumexp_with_exp(a);
        let (lse_a, lse_b) = (to_vec_f64(lse_a).unwrap(), to_vec_f64(lse_b).unwrap());
        for (x, y) in lse_a.iter().zip(&lse_b) {
            assert!((x - y).abs() < 1e-12 * y.abs().max(1.0), "{x} vs {y}");
        }
        let (p_a, p_b) = (to_vec_f64(p_a).unwrap(), to_vec_f64(p_b).unwrap());
        for (x, y) in p_a.iter().zip(&p_b) {
            assert!((x - y).abs() < 1e-15, "{x} vs {y}");
        }
    }

    #[test]
    fn log_softmax_rows_exponentiate_to_one() {
        let dev = Default::default();
        let a = from_f64::<B, 2>(
            vec![0.1, -2.0, 3.0, 7.0, 7.5, -1.0],
            [2, 3],
            &dev,
            DType::F64,
        );
        let p = to_vec_f64(log_softmax(a).exp().sum_dim(1)).unwrap();
        for v in p {
            assert!((v - 1.0).abs() < 1e-14);
        }
    }
}
