//! Sufficient statistics of Gaussian components.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Result, Statistics,
    reduce::{Reducer, all_reduce_tensors},
};

use super::{
    CovarianceType, Covariances,
    components::mismatch,
    family::{Diag, Family, Full, Spherical, Tied},
    typed::{TypedStats, estimate},
};

pub use mixture_core::stats::NK_EPS;

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
    /// `None`: `sx` and `sxx` are about the centre `c`. `Some(δ)` (`[K, D]`): component k's
    /// are about `c + δ_k` instead (the component's mean when the statistics were taken, see
    /// [`StatisticsCentre::ComponentMeans`](super::StatisticsCentre)); `δ` is the same for
    /// every batch and rank of one pass, so the sums still add up.
    pub shift: Option<Tensor<B, 2>>,
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

impl<B: Backend> SecondMoment<B> {
    /// The covariance structure the moment is of.
    pub fn covariance_type(&self) -> CovarianceType {
        match self {
            Self::Full(_) => CovarianceType::Full,
            Self::Tied(_) => CovarianceType::Tied,
            Self::Diag(_) => CovarianceType::Diag,
            Self::Spherical(_) => CovarianceType::Spherical,
        }
    }
}

impl<B: Backend> Statistics for GaussianStats<B> {
    /// # Panics
    /// For statistics of two covariance types (a programming error: one fit's statistics
    /// share one type).
    fn merge(self, other: Self) -> Self {
        let sxx = match (self.sxx, other.sxx) {
            (SecondMoment::Full(a), SecondMoment::Full(b)) => SecondMoment::Full(a + b),
            (SecondMoment::Tied(a), SecondMoment::Tied(b)) => SecondMoment::Tied(a + b),
            (SecondMoment::Diag(a), SecondMoment::Diag(b)) => SecondMoment::Diag(a + b),
            (SecondMoment::Spherical(a), SecondMoment::Spherical(b)) => {
                SecondMoment::Spherical(a + b)
            }
            (a, b) => mismatch("statistics", a.covariance_type(), b.covariance_type()),
        };
        Self {
            nk: self.nk + other.nk,
            sx: self.sx + other.sx,
            sxx,
            shift: self.shift,
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
        Ok(Self {
            nk,
            sx,
            sxx,
            shift: self.shift,
        })
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
        let Self { nk, sx, sxx, shift } = self;
        let (nk, means_c, covariances) = match sxx {
            SecondMoment::Full(s) => typed::<B, Full>((nk, sx, s, shift), reg_covar),
            SecondMoment::Tied(s) => typed::<B, Tied>((nk, sx, s, shift), reg_covar),
            SecondMoment::Diag(s) => typed::<B, Diag>((nk, sx, s, shift), reg_covar),
            SecondMoment::Spherical(s) => typed::<B, Spherical>((nk, sx, s, shift), reg_covar),
        };
        GaussianEstimate {
            nk,
            means_c,
            covariances,
        }
    }
}

/// One structure's estimate, its covariances wrapped in the public enum.
fn typed<B: Backend, F: Family<B>>(
    stats: TypedStats<B, F>,
    reg: f64,
) -> (Tensor<B, 1>, Tensor<B, 2>, Covariances<B>) {
    let (nk, means_c, cov) = estimate::<B, F>(stats, reg);
    (nk, means_c, F::covariances(cov))
}
