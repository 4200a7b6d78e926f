//! # mixture-regularizers
//!
//! Regularizers that act inside an EM update, and log-priors for gradient training.
//!
//! * [`TiePriorMeans`]: pulls the experts' prior means together (MixtureLib's
//!   `RegularizeModel`).
//! * [`LinkFunction`]: maximises the prior terms plus a user link `R(W0)` by Adam steps on the
//!   autodiff backend (MixtureLib's `RegularizeFunc`).
#![warn(missing_docs)]

pub mod link_function;
pub mod prior_dirichlet;
pub mod prior_log_variance;
pub mod prior_mixture;
pub mod prior_softball;
pub mod tie_prior_means;

pub use link_function::{Link, LinkFunction};
pub use prior_dirichlet::DirichletPrior;
pub use prior_log_variance::LogVariancePrior;
pub use prior_mixture::MixturePrior;
pub use prior_softball::SoftballPrior;
pub use tie_prior_means::TiePriorMeans;
