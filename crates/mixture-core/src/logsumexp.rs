//! Numerically stable log-sum-exp and softmax over the component axis.

use burn::tensor::{backend::Backend, Tensor};

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

/// Shifted log-probabilities are floored here before `exp`.
const EXP_FLOOR: f64 = -80.0;

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
