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
//! * [`PerSampleDirichlet`]: one Dirichlet per training row (MixtureLib's
//!   `HyperModelGateSparsed`).
//!
//! Constant (fixed) weights are [`Weights::fixed`].
#![warn(missing_docs)]

pub mod dirichlet;
pub mod per_sample;
pub mod softmax;
pub mod weights;

pub use dirichlet::Dirichlet;
pub use per_sample::{PerSampleDirichlet, PerSampleStats};
pub use softmax::{Activation, GateNet, SoftmaxGate, SoftmaxGateConfig, SoftmaxStats};
pub use weights::Weights;
