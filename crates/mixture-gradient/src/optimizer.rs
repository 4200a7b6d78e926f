//! Adam's settings, nested in a gradient fit's configuration.

use burn::optim::{AdamConfig, decay::WeightDecayConfig};
use mixture_core::{Error, Result};
use serde::{Deserialize, Serialize};

/// Adam's settings, nested in [`GradientMixtureConfig`](crate::GradientMixtureConfig) as burn
/// nests an optimizer's configuration in a training configuration. Both parameter groups (the
/// mixture weights and the components) get an Adam of these settings, each with its own
/// learning rate.
///
/// The defaults are PyTorch's (β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸, no weight decay), which
/// GMMPytorch and multiDGD train with. burn's own [`AdamConfig`] defaults ε to 10⁻⁵ and keeps
/// its fields private, so it can be neither compared nor checked; this holds the values,
/// checks them, and builds it ([`adam`](Self::adam)).
///
/// ```
/// use mixture_gradient::AdamSettings;
/// // multiDGD's optimizer.
/// let adam = AdamSettings::new().with_betas(0.5, 0.7).with_weight_decay(1e-4);
/// assert_eq!((adam.beta_1, adam.epsilon), (0.5, 1e-8));
/// assert!(adam.validate().is_ok());
/// assert!(AdamSettings::new().with_betas(1.0, 0.9).validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdamSettings {
    /// β₁, the decay of the first-moment estimate, in `[0, 1)` (default 0.9).
    pub beta_1: f64,
    /// β₂, the decay of the second-moment estimate, in `[0, 1)` (default 0.999).
    pub beta_2: f64,
    /// ε, added to the denominator, `> 0` (default 10⁻⁸).
    pub epsilon: f64,
    /// L2 weight decay, `>= 0` (default 0: none).
    pub weight_decay: f64,
}

impl Default for AdamSettings {
    fn default() -> Self {
        Self::new()
    }
}

impl AdamSettings {
    /// PyTorch's defaults.
    pub fn new() -> Self {
        Self {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-8,
            weight_decay: 0.0,
        }
    }

    /// Sets β₁ and β₂.
    pub fn with_betas(mut self, beta_1: f64, beta_2: f64) -> Self {
        self.beta_1 = beta_1;
        self.beta_2 = beta_2;
        self
    }

    /// Sets ε.
    pub fn with_epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// Sets the weight decay.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Checks every value.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field (`optimizer.beta_1`, ...).
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &'static str, reason: String| Err(Error::InvalidConfig { field, reason });
        for (field, v) in [
            ("optimizer.beta_1", self.beta_1),
            ("optimizer.beta_2", self.beta_2),
        ] {
            if !(0.0..1.0).contains(&v) {
                return bad(field, format!("must be in [0, 1), got {v}"));
            }
        }
        if !(self.epsilon > 0.0 && self.epsilon.is_finite()) {
            return bad(
                "optimizer.epsilon",
                format!("must be finite and > 0, got {}", self.epsilon),
            );
        }
        if !(self.weight_decay >= 0.0 && self.weight_decay.is_finite()) {
            return bad(
                "optimizer.weight_decay",
                format!("must be finite and >= 0, got {}", self.weight_decay),
            );
        }
        Ok(())
    }

    /// burn's [`AdamConfig`] with these settings.
    pub fn adam(&self) -> AdamConfig {
        let adam = AdamConfig::new()
            .with_beta_1(self.beta_1 as f32)
            .with_beta_2(self.beta_2 as f32)
            .with_epsilon(self.epsilon as f32);
        if self.weight_decay > 0.0 {
            adam.with_weight_decay(Some(WeightDecayConfig::new(self.weight_decay as f32)))
        } else {
            adam
        }
    }
}
