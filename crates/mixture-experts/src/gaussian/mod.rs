//! Gaussian components for EM, with full, tied, diagonal or spherical covariances.
//!
//! The parameterisation and the numerics are scikit-learn's `GaussianMixture`: components
//! keep the Cholesky factor of their precision, `P` with `P Pᵀ = Σ⁻¹`, and
//!
//! ```text
//! log N(x | μ, Σ) = Σ_i log P_ii − ½ (D log 2π + ‖(x − μ)ᵀ P‖²)
//! ```
//!
//! All K components are scored at once: the `[N, K]` log-likelihood is a few large matrix
//! products (one GEMM of `X` against every factor side by side for full covariances), never a
//! loop over components or samples.

mod components;
mod covariance_type;
mod covariances;
mod density;
mod family;
mod normal_wishart;
mod statistics_centre;
mod stats;
mod typed;

pub use components::{GaussianComponents, GaussianFeatures};
pub use covariance_type::CovarianceType;
pub use covariances::Covariances;
pub use density::{log_prob_diag, log_prob_full, log_prob_spherical, log_prob_tied};
pub use normal_wishart::{NormalWishart, NormalWishartPrior};
pub use statistics_centre::StatisticsCentre;
pub use stats::{GaussianEstimate, GaussianStats, NK_EPS, SecondMoment};
