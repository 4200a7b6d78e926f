//! The Dirichlet prior on mixing weights.

use crate::module::GaussianMixtureModule;
use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{Error, LogPrior, Result, special::lgamma_f64};
use serde::{Deserialize, Serialize};

/// A symmetric Dirichlet prior `Dir(α, …, α)` on the mixing weights `π = softmax(logits)`
/// (multiDGD's `weight_alpha`):
///
/// ```text
/// log p(π) = lgamma(K α) − K lgamma(α) + (α − 1) Σ_k ln π_k
/// ```
///
/// `α = 1` is flat (a constant `lgamma(K)`); `α > 1` pulls the weights towards uniform;
/// `α < 1` favours sparse weights.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct DirichletPrior {
    /// Concentration, `> 0`.
    pub alpha: f64,
}

impl DirichletPrior {
    /// A symmetric Dirichlet with concentration `alpha`.
    pub fn new(alpha: f64) -> Self {
        Self { alpha }
    }

    /// Checks the field.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if `alpha` is not finite and positive.
    pub fn validate(&self) -> Result<()> {
        if !(self.alpha > 0.0 && self.alpha.is_finite()) {
            return Err(Error::InvalidConfig {
                field: "dirichlet.alpha",
                reason: format!("must be finite and > 0, got {}", self.alpha),
            });
        }
        Ok(())
    }

    /// `log p(π)` from log-weights `log π` (`[K]`), `[1]`.
    pub fn log_prob<B: Backend>(&self, log_weights: Tensor<B, 1>) -> Tensor<B, 1> {
        let k = log_weights.dims()[0] as f64;
        let norm = lgamma_f64(k * self.alpha) - k * lgamma_f64(self.alpha);
        log_weights
            .sum()
            .mul_scalar(self.alpha - 1.0)
            .add_scalar(norm)
    }
}

/// The Dirichlet log-density of the mixing weights.
impl<B: Backend> LogPrior<B, GaussianMixtureModule<B>> for DirichletPrior {
    fn log_prior(&self, model: &GaussianMixtureModule<B>) -> Tensor<B, 1> {
        self.log_prob(model.log_mixture_probs())
    }
}
