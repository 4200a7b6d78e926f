//! The experts' prior covariance `A`: absent, diagonal or full.

use burn::tensor::{Slice, Tensor, backend::Backend};
use mixture_core::{linalg::inverse_spd, tensor::zeros_like_dtype};

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
                let (precision, log_det, pivot) = inverse_spd(a.clone());
                Some(PriorFactors {
                    precision,
                    log_det,
                    pivot,
                })
            }
        }
    }
}

/// `[K, D]` → `[K, D, D]` diagonal matrices: the values written into every (D+1)-th entry of
/// flattened zeros.
pub(crate) fn diag_embed<B: Backend>(v: Tensor<B, 2>) -> Tensor<B, 3> {
    let [k, d] = v.dims();
    zeros_like_dtype::<B, 2, 2>([k, d * d], &v)
        .slice_assign(diagonal_slices(k, d), v)
        .reshape([k, d, d])
}

/// The diagonal entries of K flattened `D×D` matrices (`[K, D²]`): every (D+1)-th column.
fn diagonal_slices(k: usize, d: usize) -> [Slice; 2] {
    [
        Slice::from(0..k),
        Slice::from_range_stepped(0..d * d, d as isize + 1),
    ]
}

/// The diagonals of `[K, D, D]` (`[K, D]`): every (D+1)-th entry of the flattened matrices, a
/// strided view (no copy).
pub(crate) fn diag_of<B: Backend>(a: Tensor<B, 3>) -> Tensor<B, 2> {
    let [k, d, _] = a.dims();
    a.reshape([k, d * d]).slice(diagonal_slices(k, d))
}
