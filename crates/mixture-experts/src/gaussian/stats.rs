//! Sufficient statistics of Gaussian components.

use burn::tensor::{backend::Backend, Tensor};
use mixture_core::Statistics;

/// Responsibility-weighted sums over a batch, taken about a fixed centre `c` (the data mean)
/// so that second moments do not lose precision to cancellation:
/// `n_k = Σ r`, `s_k = Σ r (x − c)`, and the second moment the covariance structure needs.
///
/// Adding the statistics of two sets of rows gives the statistics of their union, which is
/// what makes mini-batch EM exact.
#[derive(Debug, Clone)]
pub struct GaussianStats<B: Backend> {
    /// `Σ_n r_nk`, `[K]`.
    pub nk: Tensor<B, 1>,
    /// `Σ_n r_nk (x_n − c)`, `[K, D]`.
    pub sx: Tensor<B, 2>,
    /// The second moment.
    pub sxx: SecondMoment<B>,
}

/// The second-moment statistic of each covariance structure.
#[derive(Debug, Clone)]
pub enum SecondMoment<B: Backend> {
    /// `Σ_n r_nk (x_n − c)(x_n − c)ᵀ`, `[K, D, D]`.
    Full(Tensor<B, 3>),
    /// `Σ_n w_n (x_n − c)(x_n − c)ᵀ`, `[D, D]` (responsibilities summed over components).
    Tied(Tensor<B, 2>),
    /// `Σ_n r_nk (x_n − c)²`, `[K, D]`.
    Diag(Tensor<B, 2>),
    /// `Σ_n r_nk ‖x_n − c‖²`, `[K]`.
    Spherical(Tensor<B, 1>),
}

impl<B: Backend> Statistics for GaussianStats<B> {
    fn merge(self, other: Self) -> Self {
        let sxx = match (self.sxx, other.sxx) {
            (SecondMoment::Full(a), SecondMoment::Full(b)) => SecondMoment::Full(a + b),
            (SecondMoment::Tied(a), SecondMoment::Tied(b)) => SecondMoment::Tied(a + b),
            (SecondMoment::Diag(a), SecondMoment::Diag(b)) => SecondMoment::Diag(a + b),
            (SecondMoment::Spherical(a), SecondMoment::Spherical(b)) => {
                SecondMoment::Spherical(a + b)
            }
            _ => unreachable!("statistics of one fit share one covariance type"),
        };
        Self {
            nk: self.nk + other.nk,
            sx: self.sx + other.sx,
            sxx,
        }
    }
}
