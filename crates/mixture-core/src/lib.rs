//! # mixture-core
//!
//! The shared vocabulary of the `mixture` workspace: the traits that Gaussian mixtures,
//! mixtures of experts and gradient-trained mixtures are built from, and the numerics that
//! burn 0.21 lacks, each written once and generic over any burn [`Backend`](burn::tensor::backend::Backend).
//!
//! One idea carries the design: **a mixture is K components and a gate that trade in
//! responsibilities and additive sufficient statistics**.
//!
//! * [`Components`] score a [`Batch`] (the N×K log-likelihood), turn a batch plus its
//!   responsibilities into [`Statistics`] that add up across batches, and update themselves
//!   from the summed statistics (the M-step).
//! * A [`Gate`] gives the N×K (or 1×K) log mixing weights and updates the same way.
//! * A [`Regularizer`] corrects components after their M-step (tied prior means); a
//!   [`LogPrior`] is a differentiable log-prior for gradient training.
//! * A [`FitObserver`] watches a fit (progress bars, logging, early stopping by the caller).
//! * A [`DataSource`] yields batches, so exact mini-batch EM and out-of-core data are the
//!   same loop as a full-batch fit.
//! * A [`Reducer`](reduce::Reducer) sums statistics over processes or threads that each hold
//!   a [`Sharded`](reduce::Sharded) part of the rows: data-parallel EM is the same loop with
//!   one all-reduce per pass.
//!
//! Numerics (all batched tensor code, autodiff-friendly, tested on CPU backends):
//! [`logsumexp`](fn@logsumexp), [`linalg::cholesky`], [`linalg::solve_lower`],
//! [`linalg::log_det_from_cholesky`], [`special::digamma`], [`special::lgamma`],
//! [`sampling::categorical`].
//!
//! ## Features
//! * `flex` (off by default): the E-step normalisation
//!   ([`logsumexp::softmax_with_logsumexp`]), the full covariance's Mahalanobis terms and
//!   scatter matrices ([`rowwise`]) and the batched Cholesky factorisation
//!   ([`linalg::cholesky`]) run as fused, parallel passes on
//!   [burn-flex](https://docs.rs/burn-flex) tensors (f32 and f64) instead of chains of tensor
//!   operations (the two products with run-time-dispatched AVX-512 or AVX2 through
//!   [pulp](https://docs.rs/pulp)); other backends are untouched. Leaf crates that use burn-flex enable it (the
//!   facade `mixture` forwards it as its own `flex` feature).
#![warn(missing_docs)]

pub mod batch;
pub mod blocks;
#[cfg(feature = "collective")]
pub mod collective;
pub mod components;
pub mod criteria;
pub mod error;
#[cfg(feature = "flex")]
mod flex;
pub mod gate;
pub mod host;
pub mod linalg;
pub mod logsumexp;
pub mod named;
pub mod observer;
pub mod prior;
pub mod reduce;
pub mod rowwise;
pub mod sampling;
pub mod special;
pub mod stats;
pub mod tall;
pub mod tensor;
pub mod tuning;

pub use batch::{Batch, DataSource, TensorSource};
pub use components::{ComponentCheck, ComponentFailure, Components};
pub use error::{BoxError, Error, Result};
pub use gate::Gate;
pub use logsumexp::{logsumexp, logsumexp_keepdim};
pub use observer::{FitEvent, FitObserver, NoopObserver};
pub use prior::{LogPrior, Regularizer};
pub use stats::Statistics;
