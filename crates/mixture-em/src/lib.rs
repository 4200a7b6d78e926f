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
//! * [`kmeans`]: [`KMeansConfig`] → fitted [`KMeans`] (Lloyd, greedy k-means++).
#![warn(missing_docs)]

pub mod driver;
pub mod experts;
pub mod gaussian_mixture;
pub mod kmeans;
pub mod persist;
pub mod selection;

pub use driver::{EmFit, EmMode, EmSettings, EmTrace};
pub use experts::{GateKind, MixtureOfExperts, MixtureOfExpertsConfig};
pub use gaussian_mixture::{GaussianMixture, GaussianMixtureConfig, InitMethod};
pub use kmeans::{KMeans, KMeansConfig, KMeansInit};
pub use mixture_experts::{CovarianceType, Covariances};
