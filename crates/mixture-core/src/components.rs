//! K components, batched: the N×K log-likelihood, statistics and the M-step.

use burn::tensor::{backend::Backend, Tensor};

use crate::{Batch, Statistics};

/// Per-component health after an M-step, read by the driver together with the lower bound
/// (one host read per iteration).
///
/// `pivot[k]` is the smallest Cholesky pivot (or variance) of component k: not strictly
/// positive (or NaN) means its covariance is not positive definite. `weight[k]` is the total
/// responsibility it received: (almost) zero means it is empty.
#[derive(Debug, Clone)]
pub struct ComponentCheck<B: Backend> {
    /// Smallest pivot per component, `[K]`.
    pub pivot: Tensor<B, 1>,
    /// Total responsibility per component, `[K]`.
    pub weight: Tensor<B, 1>,
}

/// The K components of a mixture, held as one batched value (never a loop over components
/// on the hot path).
///
/// Gaussian components score `log N(x | μ_k, Σ_k)`; a Bayesian linear expert scores the
/// expected log-likelihood `E_q[log p(y | x, w_k)]`. Fitting only needs three things: score
/// a batch, summarise a batch with its responsibilities as additive statistics, and update
/// from the summed statistics.
pub trait Components<B: Backend> {
    /// Sufficient statistics the M-step needs.
    type Stats: Statistics;

    /// Number of components, K.
    fn n_components(&self) -> usize;

    /// The `[N, K]` matrix of per-row, per-component log-likelihoods.
    fn log_likelihood(&self, batch: &Batch<B>) -> Tensor<B, 2>;

    /// Statistics of a batch given its `[N, K]` responsibilities (already multiplied by the
    /// sample weights).
    fn statistics(&self, batch: &Batch<B>, resp: Tensor<B, 2>) -> Self::Stats;

    /// Data-only features of a batch that [`e_step`](Self::e_step) and
    /// [`statistics`](Self::statistics) may reuse on every pass of a fit (tensors with one
    /// row per sample), or none (the default) to work from `batch.x` each time. They may
    /// depend on the batch and on settings fixed for the whole fit (such as the Gaussian
    /// components' centre or the experts' intercept), never on parameters an M-step changes.
    /// A fit that keeps them stores them in [`Batch::features`] (see
    /// [`TensorSource::with_features`](crate::TensorSource::with_features)); the components
    /// must accept a batch with or without them.
    fn prepare(&self, batch: &Batch<B>) -> Vec<Tensor<B, 2>> {
        let _ = batch;
        Vec::new()
    }

    /// One E-step on a batch: score it against the gate's `log_weights` (`[N, K]` or
    /// `[1, K]`), let `respond` turn the joint log-probabilities `[N, K]` into the
    /// responsibilities the statistics should see (the driver records the bound there and
    /// applies the mode and the sample weights), and summarise the batch with them.
    ///
    /// The default composes [`log_likelihood`](Self::log_likelihood) and
    /// [`statistics`](Self::statistics). Families that can share work between the two
    /// override it: the Gaussian families build one feature matrix per batch and use it for
    /// both the scoring GEMM and the statistics GEMM.
    fn e_step(
        &self,
        batch: &Batch<B>,
        log_weights: Tensor<B, 2>,
        respond: &mut dyn FnMut(Tensor<B, 2>) -> Tensor<B, 2>,
    ) -> Self::Stats {
        let joint = log_weights + self.log_likelihood(batch);
        let resp = respond(joint);
        self.statistics(batch, resp)
    }

    /// The M-step: new parameters from the summed statistics. Returns the health of each
    /// component for the driver to check (without a host read here).
    fn update(&mut self, stats: Self::Stats) -> ComponentCheck<B>;

    /// A term added to the evidence lower bound beyond the data term, such as
    /// `-Σ_k KL(q(w_k) || p(w_k))` for variational experts; `None` when there is none.
    fn bound_correction(&self) -> Option<Tensor<B, 1>> {
        None
    }

    /// Free parameters, for BIC and AIC.
    fn n_parameters(&self) -> usize;
}
