//! The experts' prior covariance `A`: absent, diagonal or full.

use burn::tensor::{backend::Backend, Tensor};
use mixture_core::{
    linalg::{cholesky, diagonal, gram, inverse_lower, log_det_from_cholesky, symmetrize},
    tensor::eye_like,
};

/// The prior covariance `A_k` of each expert's weights (`w ~ N(w0_k, A_k)` for every output
/// column), K of them batched.
#[derive(Debug, Clone)]
pub enum Prior<B: Backend> {
    /// No prior (weighted least squares).
    None,
    /// Diagonal covariances, `[K, D]` variances.
    Diag(Tensor<B, 2>),
    /// Full covariances, `[K, D, D]`.
    Full(Tensor<B, 3>),
}

/// The prior's precision and log-determinant, computed once per update.
#[derive(Debug, Clone)]
pub(crate) struct PriorFactors<B: Backend> {
    /// `A⁻¹`, `[K, D, D]`.
    pub precision: Tensor<B, 3>,
    /// `log |A|`, `[K]`.
    pub log_det: Tensor<B, 1>,
    /// Smallest Cholesky pivot (full) or variance (diagonal) of `A`, `[K]`.
    pub pivot: Tensor<B, 1>,
}

impl<B: Backend> Prior<B> {
    /// Whether there is a prior at all.
    pub fn is_some(&self) -> bool {
        !matches!(self, Prior::None)
    }

    /// The prior covariances as full matrices, `[K, D, D]` (`None` without a prior).
    pub fn covariance(&self) -> Option<Tensor<B, 3>> {
        match self {
            Prior::None => None,
            Prior::Diag(v) => Some(diag_embed(v.clone())),
            Prior::Full(a) => Some(a.clone()),
        }
    }

    pub(crate) fn factors(&self) -> Option<PriorFactors<B>> {
        match self {
            Prior::None => None,
            Prior::Diag(v) => {
                let k = v.dims()[0];
                Some(PriorFactors {
                    precision: diag_embed(v.clone().recip()),
                    log_det: v.clone().log().sum_dim(1).reshape([k]),
                    pivot: v.clone().min_dim(1).reshape([k]),
                })
            }
            Prior::Full(a) => {
                let (l, pivot) = cholesky(a.clone());
                let l_inv = inverse_lower(l.clone());
                Some(PriorFactors {
                    precision: symmetrize(gram(l_inv.swap_dims(1, 2))),
                    log_det: log_det_from_cholesky(l),
                    pivot,
                })
            }
        }
    }
}

/// `[K, D]` → `[K, D, D]` diagonal matrices.
pub(crate) fn diag_embed<B: Backend>(v: Tensor<B, 2>) -> Tensor<B, 3> {
    let [k, d] = v.dims();
    let eye = eye_like(d, &v).unsqueeze_dim::<3>(0).expand([k, d, d]);
    eye * v.unsqueeze_dim::<3>(1).expand([k, d, d])
}

/// The diagonals of `[K, D, D]`, re-exported for the hyperparameter update.
pub(crate) fn diag_of<B: Backend>(a: Tensor<B, 3>) -> Tensor<B, 2> {
    diagonal(a)
}
