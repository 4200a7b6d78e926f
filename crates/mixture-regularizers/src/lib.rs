//! # mixture-regularizers
//!
//! Regularizers that act inside an EM update, and log-priors for gradient training.
#![warn(missing_docs)]

pub mod prior_dirichlet;
pub mod prior_log_variance;
pub mod prior_mixture;
pub mod prior_softball;

pub use prior_dirichlet::DirichletPrior;
pub use prior_log_variance::LogVariancePrior;
pub use prior_mixture::MixturePrior;
pub use prior_softball::SoftballPrior;
