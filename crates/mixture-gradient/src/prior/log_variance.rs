//! The Gaussian prior on negative log-variances (multiDGD).

use crate::module::GaussianMixtureModule;
use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{Error, LogPrior, Result, tensor::zeros_like_dtype};
use serde::{Deserialize, Serialize};

use mixture_core::special::HALF_LN_2PI;

/// A Gaussian prior `N(mean, sd²)` on every negative log-variance `−ln σ²` of the mixture
/// (multiDGD's `neglogvar_prior`).
///
/// multiDGD sets it from `sd_init = (s, sd)`: `mean = −2 ln s` (a typical standard deviation
/// `s`) and standard deviation `sd`; see [`from_std`](Self::from_std). For the full family
/// the parameter is `2 ln P_ii` (the diagonal of the precision's Cholesky factor), the
/// negative log of a conditional variance; the `Constant` family has nothing to learn and
/// gets no prior term.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LogVariancePrior {
    /// Mean of the negative log-variance.
    pub mean: f64,
    /// Standard deviation of the negative log-variance, `> 0`.
    pub sd: f64,
}

impl LogVariancePrior {
    /// A prior `N(mean, sd²)` on the negative log-variances.
    pub fn new(mean: f64, sd: f64) -> Self {
        Self { mean, sd }
    }

    /// multiDGD's parameterisation: typical standard deviation `std` (mean `−2 ln std`) and
    /// spread `sd` of the negative log-variance.
    pub fn from_std(std: f64, sd: f64) -> Self {
        Self::new(-2.0 * std.ln(), sd)
    }

    /// Checks the fields.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the mean is not finite or `sd` not finite and positive.
    pub fn validate(&self) -> Result<()> {
        if !self.mean.is_finite() {
            return Err(Error::InvalidConfig {
                field: "log_variance.mean",
                reason: format!("must be finite, got {}", self.mean),
            });
        }
        if !(self.sd > 0.0 && self.sd.is_finite()) {
            return Err(Error::InvalidConfig {
                field: "log_variance.sd",
                reason: format!("must be finite and > 0, got {}", self.sd),
            });
        }
        Ok(())
    }

    /// Elementwise `log N(v | mean, sd²)`.
    pub fn log_prob<B: Backend, const D: usize>(&self, v: Tensor<B, D>) -> Tensor<B, D> {
        let z = v.sub_scalar(self.mean).div_scalar(self.sd);
        z.square()
            .mul_scalar(-0.5)
            .sub_scalar(HALF_LN_2PI + self.sd.ln())
    }
}

/// The sum over every learned negative log-variance (as stored, before the floor).
impl<B: Backend> LogPrior<B, GaussianMixtureModule<B>> for LogVariancePrior {
    fn log_prior(&self, model: &GaussianMixtureModule<B>) -> Tensor<B, 1> {
        let v = model.neglogvar.val();
        if !model.family().is_learned() {
            return zeros_like_dtype::<B, 1, 2>([1], &v);
        }
        self.log_prob(v).sum()
    }
}
