//! Configuration of a mixture of linear experts.

use mixture_core::{Error, Result};
use mixture_experts::{Learned, NoiseSharing, PriorType};
use mixture_gates::{Activation, SoftmaxGateConfig};

use crate::driver::EmMode;

/// How the experts are weighted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum GateKind {
    /// Global weights with a variational Dirichlet posterior ([`mixture_gates::Dirichlet`]):
    /// a *mixture of models*.
    #[default]
    Dirichlet,
    /// Weights that depend on the inputs, `softmax(f(x))` for an MLP `f`
    /// ([`mixture_gates::SoftmaxGate`]): a *mixture of experts*.
    Softmax,
    /// One Dirichlet per training row ([`mixture_gates::PerSampleDirichlet`]).
    PerSample,
    /// Fixed global weights ([`mixture_gates::Weights::fixed`]), uniform unless
    /// [`MixtureOfExpertsConfig::fixed_weights`] says otherwise.
    Constant,
}

mixture_core::named_enum!(GateKind, "gate", {
    Dirichlet => "dirichlet",
    Softmax => "softmax" | "network" | "nn",
    PerSample => "per-sample" | "per_sample" | "persample",
    Constant => "constant" | "fixed",
});

/// Configuration of a mixture of K Bayesian linear experts fitted by variational EM; fit it
/// with [`fit`](Self::fit) to get a [`MixtureOfExperts`](super::MixtureOfExperts).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(from = "compat::Stored")]
pub struct MixtureOfExpertsConfig {
    /// Number of experts K. Required.
    pub n_experts: usize,
    /// The gate. Default: [`GateKind::Dirichlet`].
    pub gate: GateKind,
    /// Weighted (variational) EM, stochastic EM or hard EM. Default: weighted.
    pub mode: EmMode,
    /// The experts' prior covariance form. Default: [`PriorType::Diag`].
    pub prior: PriorType,
    /// Initial prior variance of the weights; `None` (default) takes the data's scale,
    /// `var(y) / mean_j var(x_j)`, so that the prior is weak whatever the units.
    pub prior_variance: Option<f64>,
    /// The learned hyperparameters. Default: prior covariance and noise, not the prior mean
    /// (see [`Learned`]).
    pub learn: Learned,
    /// Noise precision per expert or shared. Default: per expert.
    pub noise: NoiseSharing,
    /// Fit an intercept per expert. Default: `true`.
    pub intercept: bool,
    /// Maximum EM iterations per initialisation. Default: 100.
    pub max_iter: usize,
    /// Stop when the bound (per unit of sample weight) changes by less than this. Default:
    /// 1e-4.
    pub tol: f64,
    /// Seed of the initial responsibilities, the gate network and stochastic EM. Default: 0.
    pub seed: u64,
    /// Initialisations (seeds `seed`, `seed + 1`, …); the one with the best final bound is
    /// kept. Default: 1.
    pub n_init: usize,
    /// Concentration of the Dirichlet gate's symmetric prior `α0`. Default: 1 (MixtureLib's
    /// fixed value).
    pub dirichlet_prior: f64,
    /// Concentration `γ` of the per-sample gate's prior `Dir(γ/K, …, γ/K)`. Default: 1.
    pub per_sample_concentration: f64,
    /// Weights of the constant gate (`[K]`, normalised); `None` (default): uniform.
    pub fixed_weights: Option<Vec<f64>>,
    /// The softmax gate's network and training ([`GateKind::Softmax`]): hidden layers
    /// (default 2) of 32 units, ReLU, 20 epochs per M-step, 256 rows per Adam step,
    /// learning rate 1e-2. Its `n_components`, `n_features` and `seed` are set by the fit
    /// (the experts, the inputs, this configuration's seed); the values here are not used.
    pub softmax_gate: SoftmaxGateConfig,
}

impl MixtureOfExpertsConfig {
    /// `n_experts` experts with the defaults.
    pub fn new(n_experts: usize) -> Self {
        Self {
            n_experts,
            gate: GateKind::Dirichlet,
            mode: EmMode::Weighted,
            prior: PriorType::Diag,
            prior_variance: None,
            learn: Learned::default(),
            noise: NoiseSharing::PerExpert,
            intercept: true,
            max_iter: 100,
            tol: 1e-4,
            seed: 0,
            n_init: 1,
            dirichlet_prior: 1.0,
            per_sample_concentration: 1.0,
            fixed_weights: None,
            softmax_gate: SoftmaxGateConfig::new(n_experts, 0),
        }
    }

    /// Sets the gate.
    pub fn with_gate(mut self, gate: GateKind) -> Self {
        self.gate = gate;
        self
    }

    /// Sets the EM mode.
    pub fn with_mode(mut self, mode: EmMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sets the prior covariance form.
    pub fn with_prior(mut self, prior: PriorType) -> Self {
        self.prior = prior;
        self
    }

    /// Sets the initial prior variance.
    pub fn with_prior_variance(mut self, prior_variance: f64) -> Self {
        self.prior_variance = Some(prior_variance);
        self
    }

    /// Sets the learned hyperparameters.
    pub fn with_learn(mut self, learn: Learned) -> Self {
        self.learn = learn;
        self
    }

    /// Sets noise sharing.
    pub fn with_noise(mut self, noise: NoiseSharing) -> Self {
        self.noise = noise;
        self
    }

    /// Sets whether the experts have intercepts.
    pub fn with_intercept(mut self, intercept: bool) -> Self {
        self.intercept = intercept;
        self
    }

    /// Sets the maximum iterations.
    pub fn with_max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Sets the tolerance.
    pub fn with_tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the number of initialisations.
    pub fn with_n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Sets the Dirichlet gate's prior concentration.
    pub fn with_dirichlet_prior(mut self, concentration: f64) -> Self {
        self.dirichlet_prior = concentration;
        self
    }

    /// Sets the per-sample gate's prior concentration.
    pub fn with_per_sample_concentration(mut self, concentration: f64) -> Self {
        self.per_sample_concentration = concentration;
        self
    }

    /// Sets the constant gate's weights.
    pub fn with_fixed_weights(mut self, weights: Vec<f64>) -> Self {
        self.fixed_weights = Some(weights);
        self
    }

    /// Sets the softmax gate's hidden layers and width.
    pub fn with_gate_hidden(mut self, layers: usize, width: usize) -> Self {
        self.softmax_gate = self
            .softmax_gate
            .with_hidden_layers(layers)
            .with_hidden_width(width);
        self
    }

    /// Sets the softmax gate's activation.
    pub fn with_gate_activation(mut self, activation: Activation) -> Self {
        self.softmax_gate = self.softmax_gate.with_activation(activation);
        self
    }

    /// Sets the softmax gate's epochs per M-step.
    pub fn with_gate_epochs(mut self, epochs: usize) -> Self {
        self.softmax_gate = self.softmax_gate.with_epochs(epochs);
        self
    }

    /// Sets the softmax gate's mini-batch size.
    pub fn with_gate_batch_size(mut self, batch_size: usize) -> Self {
        self.softmax_gate = self.softmax_gate.with_batch_size(batch_size);
        self
    }

    /// Sets the softmax gate's learning rate.
    pub fn with_gate_learning_rate(mut self, learning_rate: f64) -> Self {
        self.softmax_gate = self.softmax_gate.with_learning_rate(learning_rate);
        self
    }

    /// The softmax gate's configuration for `n_experts` experts on `n_features` inputs,
    /// seeded with `seed`.
    pub(crate) fn gate_config(
        &self,
        n_experts: usize,
        n_features: usize,
        seed: u64,
    ) -> SoftmaxGateConfig {
        SoftmaxGateConfig {
            n_components: n_experts,
            n_features,
            seed,
            ..self.softmax_gate.clone()
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        fn bad(field: &'static str, reason: String) -> Result<()> {
            Err(Error::InvalidConfig { field, reason })
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if self.n_experts == 0 {
            return bad("n_experts", "must be at least 1".into());
        }
        if self.max_iter == 0 {
            return bad("max_iter", "must be at least 1".into());
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return bad("tol", format!("must be finite and >= 0, got {}", self.tol));
        }
        if self.n_init == 0 {
            return bad("n_init", "must be at least 1".into());
        }
        if let Some(v) = self.prior_variance
            && !positive(v)
        {
            return bad("prior_variance", format!("must be finite and > 0, got {v}"));
        }
        if !positive(self.dirichlet_prior) {
            return bad(
                "dirichlet_prior",
                format!("must be finite and > 0, got {}", self.dirichlet_prior),
            );
        }
        if !positive(self.per_sample_concentration) {
            return bad(
                "per_sample_concentration",
                format!(
                    "must be finite and > 0, got {}",
                    self.per_sample_concentration
                ),
            );
        }
        if let Some(w) = &self.fixed_weights {
            if w.len() != self.n_experts {
                return bad(
                    "fixed_weights",
                    format!(
                        "needs {} values (one per expert), got {}",
                        self.n_experts,
                        w.len()
                    ),
                );
            }
            let total: f64 = w.iter().sum();
            if w.iter().any(|v| !(v.is_finite() && *v > 0.0)) || !total.is_finite() {
                return bad(
                    "fixed_weights",
                    format!("values must be finite and > 0, got {w:?}"),
                );
            }
        }
        // The gate's own checks, with the sizes the fit gives it.
        self.gate_config(1, 1, self.seed)
            .validate()
            .map_err(|e| match e {
                Error::InvalidConfig { field, reason } => Error::InvalidConfig {
                    field: match field {
                        "hidden_width" => "softmax_gate.hidden_width",
                        "batch_size" => "softmax_gate.batch_size",
                        "learning_rate" => "softmax_gate.learning_rate",
                        other => other,
                    },
                    reason,
                },
                e => e,
            })?;
        Ok(())
    }
}

/// Reading configurations saved before the softmax gate's settings were nested (model files
/// of 2026-12-05 and earlier, with `gate_hidden_layers`, `gate_epochs`, … at the top level).
mod compat {
    use mixture_gates::{Activation, SoftmaxGateConfig};

    use super::{GateKind, MixtureOfExpertsConfig};
    use crate::driver::EmMode;
    use mixture_experts::{Learned, NoiseSharing, PriorType};

    /// A configuration as stored: the nested gate, or the old flat fields.
    #[derive(serde::Deserialize)]
    pub(super) struct Stored {
        n_experts: usize,
        gate: GateKind,
        mode: EmMode,
        prior: PriorType,
        prior_variance: Option<f64>,
        learn: Learned,
        noise: NoiseSharing,
        intercept: bool,
        max_iter: usize,
        tol: f64,
        seed: u64,
        n_init: usize,
        dirichlet_prior: f64,
        per_sample_concentration: f64,
        fixed_weights: Option<Vec<f64>>,
        #[serde(default)]
        softmax_gate: Option<SoftmaxGateConfig>,
        #[serde(default)]
        gate_hidden_layers: Option<usize>,
        #[serde(default)]
        gate_hidden_width: Option<usize>,
        #[serde(default)]
        gate_activation: Option<Activation>,
        #[serde(default)]
        gate_epochs: Option<usize>,
        #[serde(default)]
        gate_batch_size: Option<usize>,
        #[serde(default)]
        gate_learning_rate: Option<f64>,
    }

    impl From<Stored> for MixtureOfExpertsConfig {
        fn from(s: Stored) -> Self {
            let mut gate = s
                .softmax_gate
                .unwrap_or_else(|| SoftmaxGateConfig::new(s.n_experts, 0));
            if let Some(v) = s.gate_hidden_layers {
                gate.hidden_layers = v;
            }
            if let Some(v) = s.gate_hidden_width {
                gate.hidden_width = v;
            }
            if let Some(v) = s.gate_activation {
                gate.activation = v;
            }
            if let Some(v) = s.gate_epochs {
                gate.epochs = v;
            }
            if let Some(v) = s.gate_batch_size {
                gate.batch_size = v;
            }
            if let Some(v) = s.gate_learning_rate {
                gate.learning_rate = v;
            }
            Self {
                n_experts: s.n_experts,
                gate: s.gate,
                mode: s.mode,
                prior: s.prior,
                prior_variance: s.prior_variance,
                learn: s.learn,
                noise: s.noise,
                intercept: s.intercept,
                max_iter: s.max_iter,
                tol: s.tol,
                seed: s.seed,
                n_init: s.n_init,
                dirichlet_prior: s.dirichlet_prior,
                per_sample_concentration: s.per_sample_concentration,
                fixed_weights: s.fixed_weights,
                softmax_gate: gate,
            }
        }
    }
}
