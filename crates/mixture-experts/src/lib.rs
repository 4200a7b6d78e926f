//! # mixture-experts
//!
//! The components of a mixture, each K of them held as one batched value:
//!
//! * [`gaussian`]: Gaussian components with full, tied, diagonal or spherical covariances,
//!   in scikit-learn's Cholesky-of-precision parameterisation, for EM.
#![warn(missing_docs)]

pub mod gaussian;
pub mod module;

pub use gaussian::{CovarianceType, Covariances, GaussianComponents, GaussianStats};
pub use module::{
    Family, GaussianMixtureModule, GaussianMixtureModuleConfig, PriorWeighting, RepresentationLayer,
    SupervisedGaussianMixture,
};
