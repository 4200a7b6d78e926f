//! # mixture-regularizers
//!
//! Regularizers that act inside an EM update. (The log-priors of gradient training live with
//! their trainer, in `mixture-gradient`'s `prior` module.)
//!
//! * [`TiePriorMeans`]: pulls the experts' prior means together (MixtureLib's
//!   `RegularizeModel`).
//! * [`LinkFunction`]: maximises the prior terms plus a user link `R(W0)` by Adam steps on the
//!   autodiff backend (MixtureLib's `RegularizeFunc`).
#![warn(missing_docs)]

pub mod link_function;
pub mod tie_prior_means;

pub use link_function::{Link, LinkFunction};
pub use tie_prior_means::TiePriorMeans;
