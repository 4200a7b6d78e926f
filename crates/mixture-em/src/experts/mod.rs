//! Mixtures of linear experts by variational EM (MixtureLib's `MixtureEM`, done right).
//!
//! [`MixtureOfExpertsConfig`] → fitted [`MixtureOfExperts`]: K Bayesian linear experts
//! ([`BayesianLinear`](mixture_experts::BayesianLinear)) weighed by a gate ([`GateKind`]: a
//! variational Dirichlet for a *mixture of models*, a softmax network for a *mixture of
//! experts*, per-row Dirichlets, or fixed weights), fitted by the workspace's EM driver:
//!
//! * E-step: responsibilities `r_nk ∝ exp(E[log π_k(x_n)] + E_q[log p(y_n | x_n, W_k)])`;
//! * M-step: the experts' closed-form posterior and hyperparameters, then the regularizers
//!   ([`fit_with`](MixtureOfExpertsConfig::fit_with), say tied prior means), then the gate;
//! * modes ([`EmMode`](crate::EmMode)): weighted (variational) EM, whose bound never
//!   decreases; stochastic EM (a hard assignment drawn from the responsibilities at each
//!   iteration); hard (classification) EM;
//! * stops when the bound changes by less than `tol` or after `max_iter` iterations, with
//!   `n_init` seeded restarts and a progress observer.
//!
//! ```
//! use burn::tensor::{DType, Tensor};
//! use mixture_core::tensor::from_f64;
//! use mixture_em::experts::{two_planes, GateKind, MixtureOfExpertsConfig};
//! type B = burn_flex::Flex;
//! let data = two_planes(200, 5.0, 0);
//! let device = Default::default();
//! let x: Tensor<B, 2> = from_f64(data.x.clone(), [200, 2], &device, DType::F32);
//! let y: Tensor<B, 2> = from_f64(data.y.clone(), [200, 1], &device, DType::F32);
//! let model = MixtureOfExpertsConfig::new(2)
//!     .with_gate(GateKind::Dirichlet)
//!     .with_intercept(false)
//!     .fit(&x, &y)
//!     .unwrap();
//! let (prediction, weights) = model.predict(&x).unwrap();
//! assert_eq!(prediction.dims(), [200, 1]);
//! assert_eq!(weights.dims(), [200, 2]);
//! // the planes [10, 0] and [0, 30], in some order
//! let w: Vec<f32> = model.coefficients().into_data().to_vec().unwrap();
//! let first = if w[0] > w[2] { (w[0], w[1]) } else { (w[2], w[3]) };
//! assert!((first.0 - 10.0).abs() < 1.5 && first.1.abs() < 1.5);
//! ```
//!
//! # Initialisation
//!
//! Each initialisation draws every row's responsibilities from a flat Dirichlet (seeded),
//! updates the experts and the gate from them, then runs EM. The random soft start breaks the
//! experts' symmetry reliably in weighted EM (the two-planes fit finds both planes for every
//! seed tried). Hard EM is more fragile: from nearly identical experts its first argmax can
//! hand every row to one expert; use `n_init > 1`, which keeps the run with the best bound.
//!
//! # Deliberate differences from MixtureLib
//!
//! MixtureLib (0.4.x, whose algorithm code is unchanged since 2020) drifted from the method
//! its documentation describes. This crate implements the sound algorithm:
//!
//! 1. **Experts see their responsibilities.** Since 2020 MixtureLib's default mode gives every
//!    expert every row with weight 1 (`Z = ones`), so experts with equal priors become
//!    identical; here expert k's statistics are weighted by `r_nk` (times the sample
//!    weights), as its docstring ("objects used with weights") and the variational EM
//!    derivation say.
//! 2. **Stochastic EM instead of "sample" thinning.** MixtureLib's `'sample'` mode keeps a
//!    row for expert k only if a posterior draw *and* an independent uniform draw both pick
//!    k (a random ~1/K thinning, with a fall-back to the uniform draw below 3 rows); here
//!    [`EmMode::Stochastic`](crate::EmMode::Stochastic) draws one hard assignment per row from
//!    the responsibilities (flexmix's `classify = "random"`), and
//!    [`EmMode::Hard`](crate::EmMode::Hard) takes the most probable expert.
//! 3. **The noise is a variance per expert (or shared), not a sum.** MixtureLib adds the
//!    experts' mean squared errors into one `HP['beta']`, about `K·σ²` with `Z = ones`;
//!    here `1/β_k = Σ_n r_nk (‖y_n − m_kᵀx_n‖² + P x_nᵀB_k x_n) / (P Σ_n r_nk)`, and the
//!    shared variant pools the same sums over experts.
//! 4. **No prior means no posterior covariance in the likelihood.** Without a prior
//!    (`A = None`) MixtureLib sets `B = (Σ z x xᵀ)⁻¹` without `β` and still adds `xᵀBx` to the
//!    expected log-likelihood; here the weights are then point estimates (weighted least
//!    squares), the E-step uses the plain likelihood, the bound is the log-likelihood, and
//!    `B = (β Σ r x xᵀ)⁻¹` is reported as the sampling covariance of the estimate.
//! 5. **A convergence test and a bound.** MixtureLib runs a fixed 10 epochs; here EM stops on
//!    `tol` or `max_iter`, reports the evidence lower bound per iteration (including
//!    `−KL(q(W)‖p(W))` and the gate's `−KL(q(π)‖p(π))`), and restarts `n_init` times.
//! 6. **The Dirichlet prior is configurable** (MixtureLib fixes it at 1), and its
//!    `E[log π]` uses `ψ(Σ α)`, not `ψ(K + N)` (equal only when responsibilities sum to one).
//! 7. **Per-sample gate on new rows.** MixtureLib's `HyperModelGateSparsed` returns the
//!    training rows' posteriors whatever rows it is asked about; here rows not seen in
//!    training get the average posterior mean of the training rows (see
//!    [`PerSampleDirichlet`](mixture_gates::PerSampleDirichlet)). Its default prior mean is
//!    uniform over K (MixtureLib's `mu = ones(2)` ignores `output_dim`).
//! 8. **The softmax gate** minimises the mean over rows of the soft-target cross-entropy
//!    (MixtureLib averages over rows × K, a constant factor Adam mostly ignores); its
//!    initial weights are seeded; its defaults are two hidden layers of 32 units, 20 epochs
//!    per M-step, batches of 256 rows and Adam's learning rate 1e-2 (MixtureLib: 10 units,
//!    100 epochs, 128 rows, PyTorch's 1e-3, which barely moves the gate in an EM run); any
//!    number of hidden layers and ReLU or tanh.
//! 9. **Link-function regularizer**: the prior term is `w0ᵀA⁻¹m`, as in MixtureLib's
//!    docstring and the bound; its code halves it
//!    ([`LinkFunction`](https://docs.rs/mixture-regularizers)).
//! 10. **Defaults**: a diagonal prior with learned prior variances (automatic relevance
//!     determination) and learned noise, but the prior mean fixed at zero: learning `w0` and
//!     `A` per expert (MixtureLib's default) makes the prior chase the posterior, counting the
//!     data again at every iteration. Set [`Learned::all`](mixture_experts::Learned::all) for
//!     MixtureLib's choice.
//! 11. **Several outputs and an intercept** are supported (MixtureLib: one output, no
//!     intercept), and bad input returns an error instead of a Python exception or NaN.

mod config;
mod data;
mod fit;
mod gate;
mod model;
mod persist;

pub use config::{GateKind, MixtureOfExpertsConfig};
pub use data::{TWO_PLANES, TwoPlanes, two_planes};
pub use fit::{ExpertRegularizers, random_responsibilities};
pub use gate::FittedGate;
pub use model::MixtureOfExperts;
