//! Differentiable log-priors on a mixture module's parameters (multiDGD's), for gradient
//! training: a softball on the means, a Gaussian on the log-variances, a Dirichlet on the
//! weights, and their sum. They implement [`mixture_core::LogPrior`] and enter the loss with
//! the module's [`PriorWeighting`](crate::module::PriorWeighting).

mod dirichlet;
mod log_variance;
mod mixture;
mod softball;

pub use dirichlet::DirichletPrior;
pub use log_variance::LogVariancePrior;
pub use mixture::MixturePrior;
pub use softball::SoftballPrior;
