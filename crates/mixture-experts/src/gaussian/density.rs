//! Batched Gaussian log-densities from precision Cholesky factors, one function per
//! covariance structure. Each returns the `[N, K]` matrix `log N(x_n | μ_k, Σ_k)`.
//!
//! These are scikit-learn's `_estimate_log_gaussian_prob`, written as a few large tensor
//! operations, and are differentiable (usable under `Autodiff`).

use burn::tensor::{Tensor, backend::Backend};

use mixture_core::{linalg::diagonal, special::LN_2PI, tuning::Tuning};

/// Full covariances: `prec_chol` `[K, D, D]` with `P_k P_kᵀ = Σ_k⁻¹` (upper or lower).
///
/// Computes `y = X P_k − μ_k P_k` for all k with one product of `X` and the factors laid side
/// by side (`[D, K·D]`), in row chunks that bound memory.
pub fn log_prob_full<B: Backend>(
    x: Tensor<B, 2>,
    means: Tensor<B, 2>,
    prec_chol: Tensor<B, 3>,
) -> Tensor<B, 2> {
    let [n, d] = x.dims();
    let k = means.dims()[0];
    let log_det = diagonal(prec_chol.clone()).log().sum_dim(1).reshape([1, k]);
    // [K, D, D] -> [D, K, D] -> [D, K·D]: column block k is P_k.
    let side = prec_chol.clone().swap_dims(0, 1).reshape([d, k * d]);
    let mu_p = means
        .unsqueeze_dim::<3>(1)
        .matmul(prec_chol)
        .reshape([1, k * d]);
    let step = Tuning::of::<B>().chunk_rows(n, k * d);
    let mut parts = Vec::with_capacity(n.div_ceil(step));
    let mut start = 0;
    while start < n {
        let end = (start + step).min(n);
        let xs = if step >= n {
            x.clone()
        } else {
            x.clone().slice([start..end, 0..d])
        };
        let y = xs.matmul(side.clone()) - mu_p.clone();
        parts.push(
            (y.clone() * y)
                .reshape([end - start, k, d])
                .sum_dim(2)
                .reshape([end - start, k]),
        );
        start = end;
    }
    let quad = if parts.len() == 1 {
        parts.pop().unwrap()
    } else {
        Tensor::cat(parts, 0)
    };
    (quad.add_scalar(d as f64 * LN_2PI)).mul_scalar(-0.5) + log_det
}

/// Tied covariance: one `prec_chol` `[D, D]` shared by all components.
pub fn log_prob_tied<B: Backend>(
    x: Tensor<B, 2>,
    means: Tensor<B, 2>,
    prec_chol: Tensor<B, 2>,
) -> Tensor<B, 2> {
    let d = x.dims()[1];
    let log_det = diagonal(prec_chol.clone().unsqueeze_dim::<3>(0))
        .log()
        .sum();
    let xp = x.matmul(prec_chol.clone()); // [N, D]
    let mp = means.matmul(prec_chol); // [K, D]
    let quad = (xp.clone() * xp.clone()).sum_dim(1)
        - xp.matmul(mp.clone().transpose()).mul_scalar(2.0)
        + (mp.clone() * mp).sum_dim(1).transpose();
    (quad.add_scalar(d as f64 * LN_2PI)).mul_scalar(-0.5) + log_det.unsqueeze_dim::<2>(0)
}

/// Diagonal covariances: `prec_chol` `[K, D]` holds `1/σ_kj`.
pub fn log_prob_diag<B: Backend>(
    x: Tensor<B, 2>,
    means: Tensor<B, 2>,
    prec_chol: Tensor<B, 2>,
) -> Tensor<B, 2> {
    let d = x.dims()[1];
    let log_det = prec_chol.clone().log().sum_dim(1).transpose(); // [1, K]
    let prec = prec_chol.clone() * prec_chol; // [K, D]
    let mp = means.clone() * prec.clone();
    let quad = (means * mp.clone()).sum_dim(1).transpose()
        - x.clone().matmul(mp.transpose()).mul_scalar(2.0)
        + (x.clone() * x).matmul(prec.transpose());
    (quad.add_scalar(d as f64 * LN_2PI)).mul_scalar(-0.5) + log_det
}

/// Spherical covariances: `prec_chol` `[K]` holds `1/σ_k`.
pub fn log_prob_spherical<B: Backend>(
    x: Tensor<B, 2>,
    means: Tensor<B, 2>,
    prec_chol: Tensor<B, 1>,
) -> Tensor<B, 2> {
    let [_, d] = x.dims();
    let k = means.dims()[0];
    let log_det = prec_chol.clone().log().mul_scalar(d as f64).reshape([1, k]);
    let prec = (prec_chol.clone() * prec_chol).reshape([1, k]);
    let quad = ((means.clone() * means.clone()).sum_dim(1).transpose()
        - x.clone().matmul(means.transpose()).mul_scalar(2.0)
        + (x.clone() * x).sum_dim(1))
        * prec;
    (quad.add_scalar(d as f64 * LN_2PI)).mul_scalar(-0.5) + log_det
}
