//! # mixture-gates
//!
//! Gates weigh the components of a mixture:
//!
//! * [`Weights`]: global mixing weights, learned from counts (a Gaussian mixture's weights)
//!   or fixed.
//! * [`Dirichlet`]: a variational Dirichlet over global weights (MixtureLib's
//!   `HyperModelDirichlet`), with a configurable prior.
//! * [`SoftmaxGate`]: a softmax network `x → π(x)` trained by Adam on the responsibilities
//!   (MixtureLib's `HyperExpertNN`).
//! * [`VariationalWeights`]: the stick-breaking (Dirichlet process) or Dirichlet posterior
//!   over the weights of a variational Bayesian Gaussian mixture (scikit-learn's
//!   `BayesianGaussianMixture`).
//! * [`PerSampleDirichlet`]: one Dirichlet per training row (MixtureLib's
//!   `HyperModelGateSparsed`).
//!
//! Constant (fixed) weights are [`Weights::fixed`].
#![warn(missing_docs)]

pub mod dirichlet;
pub mod per_sample;
pub mod softmax;
pub mod variational_weights;
pub mod weights;

pub use dirichlet::Dirichlet;
pub use per_sample::{PerSampleDirichlet, PerSampleStats};
pub use softmax::{Activation, GateNet, SoftmaxGate, SoftmaxGateConfig, SoftmaxStats};
pub use variational_weights::{VariationalWeights, WeightPrior};
pub use weights::{Counts, Weights};
