//! Bayesian linear regression experts (MixtureLib's `EachModelLinear`), K of them batched.
//!
//! Each expert is a linear model `y = Wᵀx + ε` with a Gaussian prior `N(w0, A)` on the
//! weights (full, diagonal or none), Gaussian noise with precision `β` (per expert or shared),
//! an optional intercept and any number of outputs. Fitting is variational EM: given the
//! responsibilities, the posterior `q(W) = N(m, B)` is closed form, and the hyperparameters
//! `A`, `w0`, `β` have closed-form updates, each switchable ([`Learned`]).
//!
//! [`BayesianLinear`] implements [`Components`](mixture_core::Components), so the workspace's
//! EM driver fits it with any [`Gate`](mixture_core::Gate): the N×K expected log-likelihood,
//! the statistics and the update are a few batched tensor operations over all K experts.
//!
//! ```
//! use burn::tensor::Tensor;
//! use mixture_core::{Batch, Components};
//! use mixture_experts::bayes_linear::{BayesianLinearConfig, PriorType};
//! type B = burn_flex::Flex;
//! let device = Default::default();
//! // y = 2x + 1 on four points, one expert seeing all rows
//! let x = Tensor::<B, 2>::from_floats([[0.0], [1.0], [2.0], [3.0]], &device);
//! let y = Tensor::<B, 2>::from_floats([[1.0], [3.0], [5.0], [7.0]], &device);
//! let mut experts = BayesianLinearConfig::new(1, 1).with_prior(PriorType::None).init(&x).unwrap();
//! let batch = Batch::new(x.clone()).with_targets(y);
//! let stats = experts.statistics(&batch, Tensor::ones([4, 1], &device))?;
//! experts.update(stats);
//! let w: Vec<f32> = experts.mean().into_data().to_vec().unwrap();
//! assert!((w[0] - 2.0).abs() < 1e-4 && (w[1] - 1.0).abs() < 1e-4);
//! # Ok::<(), mixture_core::Error>(())
//! ```

mod config;
mod experts;
mod prepared;
mod prior;
mod stats;

pub use config::{BayesianLinearConfig, Learned, NoiseSharing, PriorType};
pub use experts::BayesianLinear;
pub use prepared::Prepared;
pub use prior::Prior;
pub use stats::LinearStats;
