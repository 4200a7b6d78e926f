//! # mixture-experts
//!
//! The components of a mixture, each K of them held as one batched value:
//!
//! * [`gaussian`]: Gaussian components with full, tied, diagonal or spherical covariances,
//!   in scikit-learn's Cholesky-of-precision parameterisation, for EM.
//! * [`bayes_linear`]: Bayesian linear regression experts (prior full, diagonal or none;
//!   learned hyperparameters), K of them batched, for variational EM.
//! * [`expert_list`]: heterogeneous groups of experts as one set of components.
#![warn(missing_docs)]

pub mod bayes_linear;
pub mod expert_list;
pub mod gaussian;
pub mod module;

pub use bayes_linear::{
    BayesianLinear, BayesianLinearConfig, Learned, LinearStats, NoiseSharing, Prior, PriorType,
};
pub use expert_list::{ErasedStats, Expert, ExpertList, ListStats, PredictMean};
pub use gaussian::{CovarianceType, Covariances, GaussianComponents, GaussianStats};
pub use module::{
    Family, GaussianMixtureModule, GaussianMixtureModuleConfig, PriorWeighting,
    RepresentationLayer, SupervisedGaussianMixture,
};
