//! Configuration of K Bayesian linear experts: prior, noise, learned hyperparameters.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Error, Result,
    tensor::{full_like_dtype, zeros_like_dtype},
};

use super::{BayesianLinear, Prior};

/// The form of the experts' prior covariance `A` in `w ~ N(w0, A)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum PriorType {
    /// No prior: the weights are point estimates, fitted by weighted least squares
    /// (maximum likelihood). An expert whose rows do not determine its weights (no rows, or
    /// fewer rows in general position than weights) cannot be fitted:
    /// [`Error::SingularExpert`](mixture_core::Error::SingularExpert).
    None,
    /// A diagonal prior covariance (one variance per input dimension and expert).
    #[default]
    Diag,
    /// A full prior covariance per expert.
    Full,
}

mixture_core::named_enum!(PriorType, "prior", {
    None => "none",
    Diag => "diag" | "diagonal",
    Full => "full",
});

/// Whether the noise precision `β` is one per expert or one shared by all experts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum NoiseSharing {
    /// Each expert has its own noise precision `β_k`.
    #[default]
    PerExpert,
    /// One noise precision shared by all experts.
    Shared,
}

mixture_core::named_enum!(NoiseSharing, "noise sharing", {
    PerExpert => "per-expert" | "per_expert",
    Shared => "shared",
});

/// Which hyperparameters the M-step learns by their closed-form (type-II) updates. Each
/// update maximises the variational lower bound with the others held fixed, so any
/// combination keeps the bound non-decreasing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Learned {
    /// Learn the prior covariance: `A ← B + (m − w0)(m − w0)ᵀ` (its diagonal for a diagonal
    /// prior; averaged over outputs). Default: `true` (automatic relevance determination).
    pub prior_covariance: bool,
    /// Learn the prior mean: `w0 ← m`. Default: `false`: learning both `w0` and `A` per
    /// expert makes the prior follow the posterior, which counts the data again at every
    /// iteration and slows EM to a crawl; turn it on when a regularizer ties the means.
    pub prior_mean: bool,
    /// Learn the noise precision: `1/β ← Σ r (‖y − mᵀx‖² + P xᵀBx) / (P Σ r)`.
    /// Default: `true`.
    pub noise: bool,
}

impl Default for Learned {
    fn default() -> Self {
        Self {
            prior_covariance: true,
            prior_mean: false,
            noise: true,
        }
    }
}

impl Learned {
    /// Nothing is learned: the hyperparameters stay at their initial values.
    pub fn none() -> Self {
        Self {
            prior_covariance: false,
            prior_mean: false,
            noise: false,
        }
    }

    /// Everything is learned (MixtureLib's default `OptimizedHyper={'w_0','A','beta'}`).
    pub fn all() -> Self {
        Self {
            prior_covariance: true,
            prior_mean: true,
            noise: true,
        }
    }
}

/// Configuration of K Bayesian linear experts `y = Wᵀx + ε`, `ε ~ N(0, I/β)`, with the prior
/// `w ~ N(w0, A)` on each output column of `W`. Build them with [`init`](Self::init).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BayesianLinearConfig {
    /// Number of experts K. Required.
    pub n_experts: usize,
    /// Input columns (without the intercept). Required.
    pub n_features: usize,
    /// Output columns P. Default: 1.
    pub n_outputs: usize,
    /// Append a constant input 1 (an intercept per expert and output). Default: `true`.
    pub intercept: bool,
    /// The prior covariance form. Default: [`PriorType::Diag`].
    pub prior: PriorType,
    /// Initial prior variance (the diagonal of `A`); the initial prior mean is zero.
    /// Default: 1.
    pub prior_variance: f64,
    /// Initial noise variance `1/β`. Default: 1.
    pub noise_variance: f64,
    /// One noise precision per expert or one shared. Default: per expert.
    pub noise: NoiseSharing,
    /// The learned hyperparameters. Default: see [`Learned`].
    pub learn: Learned,
    /// The learned noise variance never falls below this value, so that an expert fitted
    /// exactly to a few rows keeps a finite precision. Default: 1e-10.
    pub noise_variance_floor: f64,
}

impl BayesianLinearConfig {
    /// `n_experts` experts on `n_features` inputs, one output, with the defaults.
    pub fn new(n_experts: usize, n_features: usize) -> Self {
        Self {
            n_experts,
            n_features,
            n_outputs: 1,
            intercept: true,
            prior: PriorType::Diag,
            prior_variance: 1.0,
            noise_variance: 1.0,
            noise: NoiseSharing::PerExpert,
            learn: Learned::default(),
            noise_variance_floor: 1e-10,
        }
    }

    /// Sets the number of outputs.
    pub fn with_n_outputs(mut self, n_outputs: usize) -> Self {
        self.n_outputs = n_outputs;
        self
    }

    /// Sets whether an intercept is added.
    pub fn with_intercept(mut self, intercept: bool) -> Self {
        self.intercept = intercept;
        self
    }

    /// Sets the prior covariance form.
    pub fn with_prior(mut self, prior: PriorType) -> Self {
        self.prior = prior;
        self
    }

    /// Sets the initial prior variance.
    pub fn with_prior_variance(mut self, prior_variance: f64) -> Self {
        self.prior_variance = prior_variance;
        self
    }

    /// Sets the initial noise variance.
    pub fn with_noise_variance(mut self, noise_variance: f64) -> Self {
        self.noise_variance = noise_variance;
        self
    }

    /// Sets noise sharing.
    pub fn with_noise(mut self, noise: NoiseSharing) -> Self {
        self.noise = noise;
        self
    }

    /// Sets the learned hyperparameters.
    pub fn with_learn(mut self, learn: Learned) -> Self {
        self.learn = learn;
        self
    }

    /// Sets the noise variance floor.
    pub fn with_noise_variance_floor(mut self, floor: f64) -> Self {
        self.noise_variance_floor = floor;
        self
    }

    /// The input dimension of the weights: `n_features`, plus one with an intercept.
    pub fn n_weights(&self) -> usize {
        self.n_features + usize::from(self.intercept)
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, reason: String| Err(Error::InvalidConfig { field, reason });
        if self.n_experts == 0 {
            return bad("n_experts", "must be at least 1".into());
        }
        if self.n_features == 0 && !self.intercept {
            return bad(
                "n_features",
                "must be at least 1 without an intercept".into(),
            );
        }
        if self.n_outputs == 0 {
            return bad("n_outputs", "must be at least 1".into());
        }
        if !(self.prior_variance.is_finite() && self.prior_variance > 0.0) {
            return bad(
                "prior_variance",
                format!("must be finite and > 0, got {}", self.prior_variance),
            );
        }
        if !(self.noise_variance.is_finite() && self.noise_variance > 0.0) {
            return bad(
                "noise_variance",
                format!("must be finite and > 0, got {}", self.noise_variance),
            );
        }
        if !(self.noise_variance_floor.is_finite() && self.noise_variance_floor >= 0.0) {
            return bad(
                "noise_variance_floor",
                format!("must be finite and >= 0, got {}", self.noise_variance_floor),
            );
        }
        Ok(())
    }

    /// Builds the experts on the device and with the float dtype of `like`: posterior equal
    /// to the prior (mean zero, covariance `prior_variance · I`), noise precision
    /// `1 / noise_variance`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when [`validate`](Self::validate) fails.
    pub fn init<B: Backend, const E: usize>(
        &self,
        like: &Tensor<B, E>,
    ) -> Result<BayesianLinear<B>> {
        self.validate()?;
        let (k, d, p) = (self.n_experts, self.n_weights(), self.n_outputs);
        let prior = match self.prior {
            PriorType::None => Prior::None,
            PriorType::Diag => Prior::Diag(full_like_dtype([k, d], self.prior_variance, like)),
            PriorType::Full => Prior::Full(
                mixture_core::tensor::eye_like(d, like)
                    .mul_scalar(self.prior_variance)
                    .unsqueeze_dim::<3>(0)
                    .repeat_dim(0, k),
            ),
        };
        let w0 = zeros_like_dtype::<B, 3, E>([k, d, p], like);
        let beta = full_like_dtype::<B, 1, E>([k], 1.0 / self.noise_variance, like);
        BayesianLinear::from_parts(self, prior, w0, beta)
    }
}
