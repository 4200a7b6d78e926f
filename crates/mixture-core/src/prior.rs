//! Priors and regularizers: corrections inside an EM update, and log-priors for gradient
//! training.

use burn::tensor::{Tensor, backend::Backend};

/// A correction applied to components after their M-step, such as pulling the experts' prior
/// means together (MixtureLib's `RegularizeModel`).
///
/// The EM driver calls [`Regularizer::regularize`] after the components' update and before
/// the gate's, once per iteration.
pub trait Regularizer<C> {
    /// Adjusts the components in place.
    fn regularize(&mut self, components: &mut C);
}

/// A differentiable log-prior over a model's parameters, for gradient training (softball on
/// means, Gaussian on log-variances, Dirichlet on weights).
pub trait LogPrior<B: Backend, M> {
    /// The log-prior of the model's current parameters, a `[1]` tensor that carries gradients.
    fn log_prior(&self, model: &M) -> Tensor<B, 1>;
}
