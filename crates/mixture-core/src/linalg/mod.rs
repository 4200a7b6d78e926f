//! Batched dense linear algebra that burn 0.21 lacks, written with tensor ops so that it runs
//! on every backend and carries gradients under `Autodiff`.
//!
//! Matrices are batched on the leading dimension: `[K, D, D]` is K matrices of size D×D.
//! The loops below run over matrix columns (D steps of batched tensor ops), never over the K
//! matrices or over samples.

mod cholesky;
mod sweep;
mod triangular;

pub use cholesky::cholesky;
pub use sweep::inverse_spd;
pub use triangular::{inverse_lower, solve_lower, solve_upper};

use burn::tensor::{Tensor, backend::Backend};

use crate::tensor::eye_like;

/// The diagonals of a batch of square matrices: `[K, D, D]` → `[K, D]`.
pub fn diagonal<B: Backend>(a: Tensor<B, 3>) -> Tensor<B, 2> {
    let [k, d, _] = a.dims();
    let eye = eye_like(d, &a).unsqueeze_dim::<3>(0);
    (a * eye).sum_dim(2).reshape([k, d])
}

/// `log det(A)` from the Cholesky factor `L` of `A = L Lᵀ`: `2 Σ_i log L_ii`.
///
/// # Shapes
/// `l`: `[K, D, D]` → `[K]`.
pub fn log_det_from_cholesky<B: Backend>(l: Tensor<B, 3>) -> Tensor<B, 1> {
    let k = l.dims()[0];
    diagonal(l).log().sum_dim(1).reshape([k]).mul_scalar(2.0)
}

/// `A Aᵀ` for a batch of matrices (`[K, D, D]`), the covariance from a Cholesky factor.
pub fn gram<B: Backend>(a: Tensor<B, 3>) -> Tensor<B, 3> {
    a.clone().matmul(a.swap_dims(1, 2))
}

/// Symmetrises a batch of matrices: `(A + Aᵀ) / 2`.
pub fn symmetrize<B: Backend>(a: Tensor<B, 3>) -> Tensor<B, 3> {
    (a.clone() + a.swap_dims(1, 2)).mul_scalar(0.5)
}

/// Adds `value` to the diagonal of every matrix in the batch.
pub fn add_to_diagonal<B: Backend>(a: Tensor<B, 3>, value: f64) -> Tensor<B, 3> {
    let d = a.dims()[1];
    let eye = eye_like(d, &a).unsqueeze_dim::<3>(0).mul_scalar(value);
    a + eye
}
