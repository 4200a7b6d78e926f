//! # mixture-experts
//!
//! The components of a mixture, each K of them held as one batched value:
//!
//! * [`gaussian`]: Gaussian components with full, tied, diagonal or spherical covariances,
//!   in scikit-learn's Cholesky-of-precision parameterisation, for EM, and their
//!   Normal-Wishart posteriors ([`NormalWishart`]) for the variational Bayesian mixture.
//! * [`bayes_linear`]: Bayesian linear regression experts (prior full, diagonal or none;
//!   learned hyperparameters), K of them batched, for variational EM.
#![warn(missing_docs)]

pub mod bayes_linear;
pub mod gaussian;

pub use bayes_linear::{
    BayesianLinear, BayesianLinearConfig, Learned, LinearStats, NoiseSharing, Prepared, Prior,
    PriorType,
};
pub use gaussian::{
    CovarianceType, Covariances, GaussianComponents, GaussianFeatures, GaussianStats,
    NormalWishart, NormalWishartPrior, StatisticsCentre,
};
