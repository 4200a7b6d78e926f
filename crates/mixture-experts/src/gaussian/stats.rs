//! Sufficient statistics of Gaussian components.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Result, Statistics,
    linalg::symmetrize,
    reduce::{Reducer, all_reduce_tensors},
    tensor::eye_like,
};

use super::Covariances;

/// Added to every component's total responsibility before dividing by it, as scikit-learn
/// does (`10 · f64::EPSILON`), so that an empty component gives finite numbers.
pub const NK_EPS: f64 = 10.0 * f64::EPSILON;

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

    /// One f64 all-reduce of `[n_k, s_k, S_k]`. The sums are about the fit's one centre
    /// (the data mean over every shard), so shards whose own means lie far apart add up
    /// without cancellation beyond that of a single process.
    fn all_reduce(self, reducer: &dyn Reducer) -> Result<Self> {
        let [k, d] = self.sx.dims();
        let second = match &self.sxx {
            SecondMoment::Full(s) => s.clone().reshape([k * d * d]),
            SecondMoment::Tied(s) => s.clone().reshape([d * d]),
            SecondMoment::Diag(s) => s.clone().reshape([k * d]),
            SecondMoment::Spherical(s) => s.clone(),
        };
        let mut sums =
            all_reduce_tensors(reducer, vec![self.nk, self.sx.reshape([k * d]), second])?;
        let second = sums.pop().expect("three sums");
        let sx = sums.pop().expect("three sums").reshape([k, d]);
        let nk = sums.pop().expect("three sums");
        let sxx = match self.sxx {
            SecondMoment::Full(_) => SecondMoment::Full(second.reshape([k, d, d])),
            SecondMoment::Tied(_) => SecondMoment::Tied(second.reshape([d, d])),
            SecondMoment::Diag(_) => SecondMoment::Diag(second.reshape([k, d])),
            SecondMoment::Spherical(_) => SecondMoment::Spherical(second),
        };
        Ok(Self { nk, sx, sxx })
    }
}

/// What scikit-learn's `_estimate_gaussian_parameters` makes of a set of responsibilities,
/// here from their additive statistics: the totals (with [`NK_EPS`] added), the means about
/// the centre the statistics were taken about, and the covariances with `reg_covar` on their
/// diagonals. The EM Gaussian update keeps them; the variational update
/// ([`NormalWishart`](super::NormalWishart)) starts from them.
#[derive(Debug, Clone)]
pub struct GaussianEstimate<B: Backend> {
    /// `Σ_n r_nk + 10 ε`, `[K]`.
    pub nk: Tensor<B, 1>,
    /// `x̄_k − c`, `[K, D]`.
    pub means_c: Tensor<B, 2>,
    /// The responsibility-weighted covariances plus `reg_covar · I`, in the statistics'
    /// structure.
    pub covariances: Covariances<B>,
}

impl<B: Backend> GaussianStats<B> {
    /// Means and covariances from the statistics (scikit-learn's
    /// `_estimate_gaussian_parameters`, with `reg_covar` added to the diagonals).
    pub fn estimate(self, reg_covar: f64) -> GaussianEstimate<B> {
        let k = self.nk.dims()[0];
        let d = self.sx.dims()[1];
        let nk = self.nk.add_scalar(NK_EPS);
        let mean_c = self.sx / nk.clone().unsqueeze_dim::<2>(1); // [K, D], centred
        let reg = reg_covar;
        let covariances = match self.sxx {
            SecondMoment::Full(s) => {
                let outer =
                    mean_c.clone().unsqueeze_dim::<3>(2) * mean_c.clone().unsqueeze_dim::<3>(1);
                let cov = s / nk.clone().reshape([k, 1, 1]) - outer;
                let eye = eye_like(d, &cov).unsqueeze_dim::<3>(0).mul_scalar(reg);
                Covariances::Full(symmetrize(cov) + eye)
            }
            SecondMoment::Tied(s) => {
                let means2 = (mean_c.clone() * nk.clone().unsqueeze_dim::<2>(1))
                    .transpose()
                    .matmul(mean_c.clone());
                let cov = (s - means2) / nk.clone().sum().unsqueeze_dim::<2>(1);
                let cov = symmetrize(cov.unsqueeze_dim::<3>(0)).reshape([d, d]);
                Covariances::Tied(cov + eye_like(d, &mean_c).mul_scalar(reg))
            }
            SecondMoment::Diag(s) => {
                let var = s / nk.clone().unsqueeze_dim::<2>(1) - mean_c.clone() * mean_c.clone();
                Covariances::Diag(var.add_scalar(reg))
            }
            SecondMoment::Spherical(s) => {
                // The mean over dimensions of the diagonal variances, plus reg (scikit-learn).
                let var = (s / nk.clone()).div_scalar(d as f64)
                    - (mean_c.clone() * mean_c.clone()).mean_dim(1).reshape([k]);
                Covariances::Spherical(var.add_scalar(reg))
            }
        };
        GaussianEstimate {
            nk,
            means_c: mean_c,
            covariances,
        }
    }
}
