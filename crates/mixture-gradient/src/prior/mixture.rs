//! The three priors of a Gaussian mixture, each optional, composed.

use crate::module::GaussianMixtureModule;
use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{LogPrior, Result, tensor::zeros_like_dtype};
use serde::{Deserialize, Serialize};

use super::{DirichletPrior, LogVariancePrior, SoftballPrior};

/// The log-prior of a Gaussian mixture's parameters: a softball on the means, a Gaussian on
/// the negative log-variances and a Dirichlet on the weights, each optional; the log-prior is
/// their sum (zero when all are off).
///
/// multiDGD's `prior()` is [`MixturePrior::multidgd`]. How much of it enters a loss is the
/// [`PriorWeighting`](crate::module::PriorWeighting) of the objective.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct MixturePrior {
    /// Softball on the means.
    pub softball: Option<SoftballPrior>,
    /// Gaussian on the negative log-variances.
    pub log_variance: Option<LogVariancePrior>,
    /// Dirichlet on the weights.
    pub dirichlet: Option<DirichletPrior>,
}

impl MixturePrior {
    /// No prior at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// multiDGD's prior: `softball(radius, sharpness)` on the means, `N(−2 ln sd_mean,
    /// sd_sd²)` on the negative log-variances and `Dir(alpha)` on the weights.
    pub fn multidgd(radius: f64, sharpness: f64, sd_mean: f64, sd_sd: f64, alpha: f64) -> Self {
        Self {
            softball: Some(SoftballPrior::new(radius, sharpness)),
            log_variance: Some(LogVariancePrior::from_std(sd_mean, sd_sd)),
            dirichlet: Some(DirichletPrior::new(alpha)),
        }
    }

    /// Adds (or replaces) the softball on the means.
    pub fn with_softball(mut self, prior: SoftballPrior) -> Self {
        self.softball = Some(prior);
        self
    }

    /// Adds (or replaces) the prior on the negative log-variances.
    pub fn with_log_variance(mut self, prior: LogVariancePrior) -> Self {
        self.log_variance = Some(prior);
        self
    }

    /// Adds (or replaces) the Dirichlet on the weights.
    pub fn with_dirichlet(mut self, prior: DirichletPrior) -> Self {
        self.dirichlet = Some(prior);
        self
    }

    /// Whether every part is off.
    pub fn is_empty(&self) -> bool {
        self.softball.is_none() && self.log_variance.is_none() && self.dirichlet.is_none()
    }

    /// Checks every part that is on.
    ///
    /// # Errors
    /// The first part's [`Error::InvalidConfig`](mixture_core::Error::InvalidConfig).
    pub fn validate(&self) -> Result<()> {
        if let Some(p) = &self.softball {
            p.validate()?;
        }
        if let Some(p) = &self.log_variance {
            p.validate()?;
        }
        if let Some(p) = &self.dirichlet {
            p.validate()?;
        }
        Ok(())
    }
}

impl<B: Backend> LogPrior<B, GaussianMixtureModule<B>> for MixturePrior {
    fn log_prior(&self, model: &GaussianMixtureModule<B>) -> Tensor<B, 1> {
        let mut total = zeros_like_dtype::<B, 1, 2>([1], &model.means.val());
        if let Some(p) = &self.softball {
            total = total + p.log_prior(model);
        }
        if let Some(p) = &self.log_variance {
            total = total + p.log_prior(model);
        }
        if let Some(p) = &self.dirichlet {
            total = total + p.log_prior(model);
        }
        total
    }
}
