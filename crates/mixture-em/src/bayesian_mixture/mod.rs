//! The variational Bayesian Gaussian mixture (scikit-learn's `BayesianGaussianMixture`) on
//! the EM driver: [`NormalWishart`](mixture_experts::NormalWishart) posteriors as the
//! components, [`VariationalWeights`](mixture_gates::VariationalWeights) (stick-breaking or
//! Dirichlet) as the gate.
//!
//! E-step, M-step and lower bound are scikit-learn's `_bayesian_mixture.py`, number for
//! number: the reported bound is its `lower_bound_` (a sum over samples, constants dropped,
//! evaluated after each update), and convergence is its rule on that sum. Restarts, the
//! observer, the initialisations (k-means, k-means++, random, random rows) and row blocks
//! are the driver's and the Gaussian mixture's.
//!
//! Beyond scikit-learn: [`Density::Predictive`] scores rows under the posterior predictive
//! density (a mixture of Student-t), and [`BayesianGaussianMixture::n_effective_components`]
//! counts the components the prior kept.

mod config;
mod fit;
mod model;
mod persist;
pub(crate) use persist::translate;

pub use config::BayesianGaussianMixtureConfig;
pub use model::{BayesianGaussianMixture, Density};
