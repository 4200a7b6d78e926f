//! The gate: how the components are weighted, globally or per row.

use burn::tensor::{Tensor, backend::Backend};

use crate::{Batch, Statistics};

/// Mixing weights of a mixture, as log-weights.
///
/// A global gate (the weights of a Gaussian mixture, a Dirichlet) returns a `1×K` tensor that
/// broadcasts over rows; a gate that depends on the inputs (a softmax network, per-row
/// Dirichlet posteriors) returns `N×K`. Like [`Components`](crate::Components) it updates
/// from additive [`Statistics`]; a network gate's statistics are the batch rows and their
/// responsibilities, and its update is a few gradient epochs, which the driver need not know.
pub trait Gate<B: Backend> {
    /// Statistics the update needs (counts for a global gate).
    type Stats: Statistics;

    /// Number of components the gate weighs.
    fn n_components(&self) -> usize;

    /// Log mixing weights, `[N, K]` or `[1, K]`; in variational gates the expectation
    /// `E_q[log π]`.
    fn log_weights(&self, batch: &Batch<B>) -> Tensor<B, 2>;

    /// Statistics of a batch given its responsibilities `[N, K]` (already multiplied by the
    /// sample weights).
    fn statistics(&self, batch: &Batch<B>, resp: Tensor<B, 2>) -> Self::Stats;

    /// The M-step: new gate parameters from the summed statistics.
    fn update(&mut self, stats: Self::Stats);

    /// Predicted mixing weights for new rows, `[N, K]` (rows sum to one).
    fn predict_weights(&self, batch: &Batch<B>) -> Tensor<B, 2> {
        let lw = self.log_weights(batch);
        let n = batch.n_samples();
        let k = self.n_components();
        let w = crate::logsumexp::softmax_log(lw);
        w.expand([n, k])
    }

    /// A term added to the evidence lower bound beyond the data term, such as
    /// `-KL(q(π) || p(π))` for a variational Dirichlet gate; `None` when there is none.
    fn bound_correction(&self) -> Option<Tensor<B, 1>> {
        None
    }

    /// The gate's part of a bound computed after the M-step (see
    /// [`Components::bound_after_update`](crate::Components::bound_after_update)), such as
    /// minus the log-normaliser of a variational Dirichlet or stick-breaking posterior.
    fn bound_after_update(&self) -> Option<Tensor<B, 1>> {
        None
    }

    /// Free parameters, for BIC and AIC.
    fn n_parameters(&self) -> usize;
}
