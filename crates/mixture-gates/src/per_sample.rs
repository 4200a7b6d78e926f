//! Per-row Dirichlet weights (MixtureLib's `HyperModelGateSparsed`).

use core::ops::Range;

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Batch, Error, Gate, Result, Statistics,
    special::{digamma, digamma_f64, lgamma, lgamma_f64},
    tensor::{from_f64_like, to_vec_f64},
};

/// Every training row `i` has its own weights `π_i ~ Dir(γ μ)` (prior mean `μ` on the
/// simplex, concentration `γ`), with the variational posterior `q(π_i) = Dir(a_i)`,
/// `a_i = γ μ + r_i` (its responsibilities).
///
/// * [`log_weights`](Gate::log_weights) of a training row is
///   `E_q[log π_ik] = ψ(a_ik) − ψ(Σ_k a_ik)` (`[N, K]`), before any update the prior's
///   `ψ(γ μ_k) − ψ(γ)`;
/// * [`bound_correction`](Gate::bound_correction) is `−Σ_i KL(Dir(a_i) ‖ Dir(γ μ))`.
///
/// **Rows not seen in training.** A row's posterior says nothing about another row, so a new
/// row gets the prior `Dir(γ μ̂)` with the prior mean replaced by its empirical-Bayes
/// estimate from the training rows, the average posterior mean
/// `μ̂ = (1/N) Σ_i a_i / Σ_k a_ik` ([`population_weights`](Self::population_weights)):
/// [`predict_weights`](Gate::predict_weights) returns `μ̂` for every row, and
/// `log_weights` of rows beyond the training range returns `ψ(γ μ̂_k) − ψ(γ)`. (MixtureLib
/// returns the training rows' posteriors whatever rows are passed.)
///
/// Rows are identified by [`Batch::rows`]: the gate stores one posterior per training row,
/// `[N, K]`, and looks the batch's rows up in it.
#[derive(Debug, Clone)]
pub struct PerSampleDirichlet<B: Backend> {
    prior_mean: Tensor<B, 1>,
    concentration: f64,
    alpha: Option<Tensor<B, 2>>,
    population: Tensor<B, 1>,
}

/// Statistics of a [`PerSampleDirichlet`]: each batch's rows and responsibilities.
#[derive(Debug, Clone)]
pub struct PerSampleStats<B: Backend> {
    /// `(rows, [rows.len(), K] responsibilities)` per batch.
    pub parts: Vec<(Range<usize>, Tensor<B, 2>)>,
}

impl<B: Backend> Statistics for PerSampleStats<B> {
    fn merge(mut self, other: Self) -> Self {
        self.parts.extend(other.parts);
        self
    }
}

impl<B: Backend> PerSampleDirichlet<B> {
    /// `k` components with a uniform prior mean `μ = 1/k` and concentration `γ = 1`
    /// (MixtureLib's defaults for two components), on the device and dtype of `like`.
    pub fn new<const E: usize>(k: usize, like: &Tensor<B, E>) -> Self {
        let mu = from_f64_like::<B, 1, E>(vec![1.0 / k as f64; k], [k], like);
        Self {
            population: mu.clone(),
            prior_mean: mu,
            concentration: 1.0,
            alpha: None,
        }
    }

    /// Sets the prior mean `μ` (`[K]`, non-negative, normalised here to sum to one) and the
    /// concentration `γ`; clears the per-row posteriors.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a negative or non-finite mean entry, an all-zero mean,
    /// or `γ` not finite and positive.
    pub fn with_prior(mut self, mean: Tensor<B, 1>, concentration: f64) -> Result<Self> {
        let values = to_vec_f64(mean.clone())?;
        let total: f64 = values.iter().sum();
        if values.iter().any(|v| !(v.is_finite() && *v >= 0.0)) || !(total > 0.0) {
            return Err(Error::InvalidConfig {
                field: "per_sample_prior_mean",
                reason: format!("entries must be finite, >= 0 and not all zero, got {values:?}"),
            });
        }
        if !(concentration.is_finite() && concentration > 0.0) {
            return Err(Error::InvalidConfig {
                field: "per_sample_concentration",
                reason: format!("must be finite and > 0, got {concentration}"),
            });
        }
        let mean = mean.div_scalar(total);
        self.population = mean.clone();
        self.prior_mean = mean;
        self.concentration = concentration;
        self.alpha = None;
        Ok(self)
    }

    /// The per-row posterior parameters `a` (`[N, K]`, every entry finite and > 0) of a
    /// fitted gate, say one read back from a file; the weights of unseen rows (the average
    /// posterior mean) follow from them as after an update.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when an entry is not finite and positive,
    /// [`Error::DimensionMismatch`] when `alpha` does not have K columns.
    pub fn with_posterior(mut self, alpha: Tensor<B, 2>) -> Result<Self> {
        let [_, k] = alpha.dims();
        if k != self.n_components() {
            return Err(Error::DimensionMismatch {
                what: "columns of the per-row posterior",
                expected: self.n_components(),
                found: k,
            });
        }
        let values = to_vec_f64(alpha.clone())?;
        if values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(Error::InvalidConfig {
                field: "per_sample_posterior",
                reason: "every posterior parameter must be finite and > 0".into(),
            });
        }
        self.population = population(&alpha);
        self.alpha = Some(alpha);
        Ok(self)
    }

    /// The prior mean `μ`, `[K]`.
    pub fn prior_mean(&self) -> Tensor<B, 1> {
        self.prior_mean.clone()
    }

    /// The prior concentration `γ`.
    pub fn prior_concentration(&self) -> f64 {
        self.concentration
    }

    /// The per-row posterior parameters `a_i`, `[N, K]` (`None` before any update).
    pub fn posterior(&self) -> Option<Tensor<B, 2>> {
        self.alpha.clone()
    }

    /// The per-row posterior concentrations `Σ_k a_ik`, `[N]` (MixtureLib's
    /// `gamma_posterior`).
    pub fn posterior_concentration(&self) -> Option<Tensor<B, 1>> {
        self.alpha.as_ref().map(|a| {
            let n = a.dims()[0];
            a.clone().sum_dim(1).reshape([n])
        })
    }

    /// The per-row posterior means `a_i / Σ_k a_ik`, `[N, K]` (MixtureLib's `mu_posterior`,
    /// its `PredictPi` on the training rows).
    pub fn posterior_mean(&self) -> Option<Tensor<B, 2>> {
        self.alpha
            .as_ref()
            .map(|a| a.clone() / a.clone().sum_dim(1))
    }

    /// The weights of a row not seen in training: the average posterior mean `μ̂` (the prior
    /// mean before any update), `[K]`.
    pub fn population_weights(&self) -> Tensor<B, 1> {
        self.population.clone()
    }

    /// `ψ(γ μ_k) − ψ(γ)` for a prior mean `μ`, `[K]`.
    fn prior_log_weights(&self, mean: Tensor<B, 1>) -> Tensor<B, 1> {
        let g = self.concentration;
        digamma(mean.mul_scalar(g)).sub_scalar(digamma_f64(g))
    }

    fn trained_rows(&self) -> usize {
        self.alpha.as_ref().map_or(0, |a| a.dims()[0])
    }
}

/// The average posterior mean `μ̂ = mean_i a_i / Σ_k a_ik`, `[K]`.
fn population<B: Backend>(alpha: &Tensor<B, 2>) -> Tensor<B, 1> {
    let k = alpha.dims()[1];
    let mean = alpha.clone() / alpha.clone().sum_dim(1);
    mean.mean_dim(0).reshape([k])
}

impl<B: Backend> Gate<B> for PerSampleDirichlet<B> {
    type Stats = PerSampleStats<B>;

    fn n_components(&self) -> usize {
        self.prior_mean.dims()[0]
    }

    fn log_weights(&self, batch: &Batch<B>) -> Tensor<B, 2> {
        let k = self.n_components();
        match &self.alpha {
            Some(alpha)
                if batch.rows.end <= self.trained_rows()
                    && batch.rows.len() == batch.n_samples() =>
            {
                let a = alpha.clone().slice([batch.rows.clone(), 0..k]);
                digamma(a.clone()) - digamma(a.sum_dim(1))
            }
            Some(_) => self
                .prior_log_weights(self.population.clone())
                .unsqueeze_dim::<2>(0),
            None => self
                .prior_log_weights(self.prior_mean.clone())
                .unsqueeze_dim::<2>(0),
        }
    }

    fn statistics(&self, batch: &Batch<B>, resp: Tensor<B, 2>) -> PerSampleStats<B> {
        PerSampleStats {
            parts: vec![(batch.rows.clone(), resp)],
        }
    }

    fn update(&mut self, stats: PerSampleStats<B>) {
        let mut parts = stats.parts;
        parts.sort_by_key(|(rows, _)| rows.start);
        let resp = Tensor::cat(parts.into_iter().map(|(_, r)| r).collect(), 0);
        let prior = self
            .prior_mean
            .clone()
            .mul_scalar(self.concentration)
            .unsqueeze_dim::<2>(0);
        let alpha = resp + prior;
        self.population = population(&alpha);
        self.alpha = Some(alpha);
    }

    fn predict_weights(&self, batch: &Batch<B>) -> Tensor<B, 2> {
        let k = self.n_components();
        self.population
            .clone()
            .unsqueeze_dim::<2>(0)
            .expand([batch.n_samples(), k])
    }

    fn bound_correction(&self) -> Option<Tensor<B, 1>> {
        let alpha = self.alpha.as_ref()?;
        let [n, k] = alpha.dims();
        let a0 = self.prior_mean.clone().mul_scalar(self.concentration);
        let a_sum = alpha.clone().sum_dim(1); // [N, 1]
        let a0_sum = self.concentration;
        let lg_a0 = lgamma(a0.clone()).sum(); // [1]
        let lg_a0_sum = lgamma_f64(a0_sum);
        // KL_i = lnΓ(Σa_i) − Σ lnΓ(a_i) − lnΓ(Σa0) + Σ lnΓ(a0) + Σ (a_i − a0)(ψ(a_i) − ψ(Σa_i))
        let term = (alpha.clone() - a0.unsqueeze_dim::<2>(0).expand([n, k]))
            * (digamma(alpha.clone()) - digamma(a_sum.clone()));
        let kl = lgamma(a_sum).sum() - lgamma(alpha.clone()).sum()
            + term.sum()
            + lg_a0
                .mul_scalar(n as f64)
                .add_scalar(-(n as f64) * lg_a0_sum);
        Some(kl.neg())
    }

    /// The per-row posteriors are latent variables, not parameters: 0.
    fn n_parameters(&self) -> usize {
        0
    }
}
