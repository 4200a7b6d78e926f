//! # mixture
//!
//! Mixture models on [burn](https://burn.dev), generic over the backend: pick crates à la
//! carte or use this facade, which re-exports them.
//!
//! * [`core`]: the traits (components, gates, statistics, observers) and numerics.
//! * [`experts`]: Gaussian components, Bayesian linear experts, the learnable mixture module.
//! * [`gates`]: mixing weights, Dirichlet, softmax network, per-sample Dirichlet.
//! * [`regularizers`]: tied prior means, link functions, priors for gradient training.
//! * [`gradient`]: gradient training of mixture modules (Adam, cosine annealing, priors).
//! * [`em`]: the EM driver, [`em::GaussianMixture`], [`em::BayesianGaussianMixture`],
//!   [`em::KMeans`], model selection.
//! * [`io`]: data sources that stream batches from disk (`.npy`).
#![warn(missing_docs)]

pub use mixture_core as core;
pub use mixture_em as em;
pub use mixture_experts as experts;
pub use mixture_gates as gates;
pub use mixture_gradient as gradient;
pub use mixture_io as io;
pub use mixture_regularizers as regularizers;

pub use mixture_em::{
    BayesianGaussianMixture, BayesianGaussianMixtureConfig, GaussianMixture, GaussianMixtureConfig,
    InitMethod, KMeans, KMeansConfig,
};
pub use mixture_experts::CovarianceType;

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
