//! The diagonal-family density in residual form.
//!
//! The EM components' [`log_prob_diag`](mixture_experts::gaussian::log_prob_diag) expands the quadratic
//! form as `Σ x²p² − 2 Σ x μ p² + Σ μ² p²` (scikit-learn's matrix-product form), which loses
//! everything to cancellation in f32 when `|x|/σ` is large — a collapsing component (`σ`
//! near the floor) or data far from the origin: at `x ≈ μ ≈ 100`, `σ = 1e-3` it is off by
//! hundreds of nats. A gradient fit drives components exactly there, so the learnable mixture
//! forms the residuals `(x − μ) p` first. The full family uses the EM components'
//! [`log_prob_full`](mixture_experts::gaussian::log_prob_full), which already works with `x P − μ P`
//! (no squared terms cancel).

use burn::tensor::{Tensor, backend::Backend};

use mixture_core::{special::LN_2PI, tuning::Tuning};

/// `log N(x_n | μ_k, diag(1/p_k²))` for all rows and components, `[N, K]`, from the
/// residuals `(x_n − μ_k) ⊙ p_k` (`prec` `[K, D]` holds `1/σ_kj`), in row chunks that bound
/// the `[rows, K, D]` intermediate.
pub fn log_prob_diag_residual<B: Backend>(
    x: Tensor<B, 2>,
    means: Tensor<B, 2>,
    prec: Tensor<B, 2>,
) -> Tensor<B, 2> {
    let [n, d] = x.dims();
    let k = means.dims()[0];
    let log_det = prec.clone().log().sum_dim(1).reshape([1, k]);
    let mu = means.unsqueeze_dim::<3>(0); // [1, K, D]
    let p = prec.unsqueeze_dim::<3>(0); // [1, K, D]
    let step = Tuning::of::<B>().chunk_rows(n, k * d);
    let quad_of = |xs: Tensor<B, 2>| {
        let m = xs.dims()[0];
        let y = (xs.unsqueeze_dim::<3>(1) - mu.clone()) * p.clone(); // [m, K, D]
        y.square().sum_dim(2).reshape([m, k])
    };
    let quad = if step >= n {
        quad_of(x)
    } else {
        let parts = (0..n)
            .step_by(step)
            .map(|start| quad_of(x.clone().slice([start..(start + step).min(n), 0..d])))
            .collect();
        Tensor::cat(parts, 0)
    };
    quad.add_scalar(d as f64 * LN_2PI).mul_scalar(-0.5) + log_det
}
