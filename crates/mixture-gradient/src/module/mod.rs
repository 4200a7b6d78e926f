//! A learnable Gaussian mixture as a burn [`Module`](burn::module::Module), trained by
//! gradient descent on `Autodiff<B>` (GMMPytorch) or used as a learnable prior inside a
//! larger model (multiDGD).
//!
//! * [`GaussianMixtureModule`]: the mixture, families [`Family`] full, diagonal, isotropic,
//!   shared isotropic and constant; log-densities, the loss with an explicit
//!   [`PriorWeighting`], clustering, covariances, sampling.
//! * [`SupervisedGaussianMixture`]: components grouped per class, optional labels per row.
//! * [`RepresentationLayer`]: learnable per-sample vectors looked up by index.
//!
//! The priors (softball, log-variance, Dirichlet) are in [`crate::prior`]; the trainer (Adam
//! with two learning rates, cosine annealing, floor, early stopping) is
//! [`GradientTrainer`](crate::GradientTrainer). The module, its priors and its trainer live in
//! this one crate, which also depends on `mixture-em` (for the start where EM starts).

mod config;
mod density;
mod family;
mod init;
mod mixture;
mod representation;
mod sample;
mod supervised;
mod weighting;

pub use config::GaussianMixtureModuleConfig;
pub use density::log_prob_diag_residual;
pub use family::Family;
pub use init::{MeanInit, ScaleInit};
pub use mixture::GaussianMixtureModule;
pub use representation::RepresentationLayer;
pub use sample::{NewPoints, sample_in_ball, standard_normal};
pub use supervised::{SupervisedGaussianMixture, SupervisedSample};
pub use weighting::PriorWeighting;
