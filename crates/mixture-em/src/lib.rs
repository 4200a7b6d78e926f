//! # mixture-em
//!
//! The EM driver of the workspace and the estimators built on it.
//!
//! * [`driver`]: one EM loop for every mixture (weighted, hard and stochastic modes; exact
//!   mini-batch EM by summed sufficient statistics).
//! * [`experts`]: [`MixtureOfExpertsConfig`] → fitted [`MixtureOfExperts`], mixtures of
//!   Bayesian linear experts by variational EM (MixtureLib's `MixtureEM`, done right).
//! * [`gaussian_mixture`]: [`GaussianMixtureConfig`] → fitted [`GaussianMixture`], at
//!   scikit-learn parity, with sample weights and exact mini-batch EM.
//! * [`bayesian_mixture`]: [`BayesianGaussianMixtureConfig`] → fitted
//!   [`BayesianGaussianMixture`], the variational Bayesian Gaussian mixture (scikit-learn's
//!   `BayesianGaussianMixture`: Dirichlet-process or Dirichlet weights, Normal-Wishart
//!   components), on the same driver.
//! * [`kmeans`]: [`KMeansConfig`] → fitted [`KMeans`] (Lloyd, greedy k-means++).
#![warn(missing_docs)]

pub mod bayesian_mixture;
pub mod driver;
pub mod experts;
pub mod gaussian_mixture;
pub mod kmeans;
pub mod persist;
pub mod selection;

pub use bayesian_mixture::{BayesianGaussianMixture, BayesianGaussianMixtureConfig, Density};
pub use driver::{EmFit, EmMode, EmSettings, EmTrace};
pub use experts::{GateKind, MixtureOfExperts, MixtureOfExpertsConfig};
pub use gaussian_mixture::{GaussianMixture, GaussianMixtureConfig, InitMethod};
pub use kmeans::{KMeans, KMeansConfig, KMeansInit};
pub use mixture_experts::{CovarianceType, Covariances, StatisticsCentre};
pub use mixture_gates::WeightPrior;
