//! The fitted variational Bayesian Gaussian mixture.

use burn::tensor::{Int, Tensor, backend::Backend};
use mixture_core::{
    Batch, Components, Gate, NoopObserver, Result, TensorSource,
    blocks::{map_row_blocks, sum_row_blocks},
    host::check_input,
    logsumexp::logsumexp_with_exp,
    tensor::to_vec_f64,
};
use mixture_experts::{CovarianceType, Covariances, NormalWishart};
use mixture_gates::{VariationalWeights, Weights};

use super::BayesianGaussianMixtureConfig;
use crate::{
    GaussianMixture,
    driver::{EmFit, FitData},
};

/// Which density [`BayesianGaussianMixture::score_samples_with`] computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Density {
    /// scikit-learn's `score_samples`: `ln Σ_k exp(E_q[ln π_k] + E_q[ln N(x | μ_k, Λ_k⁻¹)])`,
    /// the variational expectations plugged into the mixture's log-sum-exp (not a
    /// normalised density).
    #[default]
    Expected,
    /// The posterior predictive density `Σ_k E_q[π_k] St(x | m_k, Σ̃_k, ν_k + 1 − D)`, a
    /// mixture of multivariate Student-t (Bishop, eq. 10.81): a proper density that accounts
    /// for the posterior's uncertainty.
    Predictive,
}

mixture_core::named_enum!(Density, "density", {
    Expected => "expected" | "scikit-learn" | "sklearn",
    Predictive => "predictive" | "posterior-predictive" | "student-t",
});

/// A fitted variational Bayesian Gaussian mixture (scikit-learn's fitted
/// `BayesianGaussianMixture`): the posteriors over weights, means and precisions, and the
/// record of the fit.
///
/// The lower bounds are scikit-learn's `lower_bound_` convention: a **sum** over samples of
/// the evidence lower bound, constants dropped, evaluated after each update.
#[derive(Debug, Clone)]
pub struct BayesianGaussianMixture<B: Backend> {
    config: BayesianGaussianMixtureConfig,
    components: NormalWishart<B>,
    gate: VariationalWeights<B>,
    converged: bool,
    n_iter: usize,
    lower_bounds: Vec<f64>,
}

impl<B: Backend> BayesianGaussianMixture<B> {
    /// The best run, its mean bounds turned into scikit-learn's sums over the `n` rows.
    pub(crate) fn from_fit(
        config: BayesianGaussianMixtureConfig,
        fit: EmFit<NormalWishart<B>, VariationalWeights<B>>,
        n: usize,
    ) -> Self {
        Self {
            config,
            components: fit.components,
            gate: fit.gate,
            converged: fit.trace.converged,
            n_iter: fit.trace.n_iter,
            lower_bounds: fit
                .trace
                .lower_bounds
                .iter()
                .map(|b| b * n as f64)
                .collect(),
        }
    }

    pub(crate) fn from_saved(
        config: BayesianGaussianMixtureConfig,
        components: NormalWishart<B>,
        gate: VariationalWeights<B>,
        converged: bool,
        n_iter: usize,
        lower_bounds: Vec<f64>,
    ) -> Self {
        Self {
            config,
            components,
            gate,
            converged,
            n_iter,
            lower_bounds,
        }
    }

    /// The settings it was fitted with.
    pub fn config(&self) -> &BayesianGaussianMixtureConfig {
        &self.config
    }

    /// Number of components, K (effective or not).
    pub fn n_components(&self) -> usize {
        self.config.n_components
    }

    /// Dimension of the data, D.
    pub fn n_features(&self) -> usize {
        self.components.means().dims()[1]
    }

    /// The covariance structure.
    pub fn covariance_type(&self) -> CovarianceType {
        self.components.covariance_type()
    }

    /// The posterior mean weights (scikit-learn's `weights_`), `[K]`.
    pub fn weights(&self) -> Tensor<B, 1> {
        self.gate.weights()
    }

    /// The posterior means `m_k` (scikit-learn's `means_`), `[K, D]`.
    pub fn means(&self) -> Tensor<B, 2> {
        self.components.means()
    }

    /// The inverse expected precisions (scikit-learn's `covariances_`).
    pub fn covariances(&self) -> Covariances<B> {
        self.components.covariances()
    }

    /// The expected precisions (scikit-learn's `precisions_`).
    pub fn precisions(&self) -> Covariances<B> {
        self.components.precisions()
    }

    /// Cholesky factors of the precisions (scikit-learn's `precisions_cholesky_`).
    pub fn precisions_cholesky(&self) -> Covariances<B> {
        self.components.precisions_cholesky()
    }

    /// scikit-learn's `weight_concentration_`: `[2, K]` (the Beta posteriors' `a` and `b`)
    /// for the Dirichlet process, `[1, K]` for the Dirichlet distribution.
    pub fn weight_concentration(&self) -> Tensor<B, 2> {
        self.gate.concentration()
    }

    /// `β_k` (scikit-learn's `mean_precision_`), `[K]`.
    pub fn mean_precision(&self) -> Tensor<B, 1> {
        self.components.mean_precision()
    }

    /// `ν_k` (scikit-learn's `degrees_of_freedom_`), `[K]`; tied covariances share one
    /// value, repeated.
    pub fn degrees_of_freedom(&self) -> Tensor<B, 1> {
        self.components.degrees_of_freedom()
    }

    /// The posteriors over means and precisions, for code that works with the traits.
    pub fn components(&self) -> &NormalWishart<B> {
        &self.components
    }

    /// The posterior over the weights.
    pub fn gate(&self) -> &VariationalWeights<B> {
        &self.gate
    }

    /// Whether the best initialisation converged.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// Iterations of the best initialisation.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// The lower bound of the best initialisation's last iteration (scikit-learn's
    /// `lower_bound_`: a sum over the training rows).
    pub fn lower_bound(&self) -> f64 {
        self.lower_bounds
            .last()
            .copied()
            .unwrap_or(f64::NEG_INFINITY)
    }

    /// The lower bound of every iteration of the best initialisation (scikit-learn's
    /// `lower_bounds_`).
    pub fn lower_bounds(&self) -> &[f64] {
        &self.lower_bounds
    }

    /// The number of components whose weight is above `threshold` (a fraction of the data,
    /// in `[0, 1)`). With the Dirichlet-process prior, components the data do not need keep
    /// weights of order `α0 / N`; `1e-2` (one row in a hundred) is what the command line
    /// reports.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](mixture_core::Error::InvalidConfig) for a threshold outside
    /// `[0, 1)`.
    pub fn n_effective_components(&self, threshold: f64) -> Result<usize> {
        if !(0.0..1.0).contains(&threshold) {
            return Err(mixture_core::Error::InvalidConfig {
                field: "threshold",
                reason: format!("must be in [0, 1), got {threshold}"),
            });
        }
        Ok(to_vec_f64(self.weights())?
            .iter()
            .filter(|w| **w > threshold)
            .count())
    }

    fn check_input(&self, x: &Tensor<B, 2>) -> Result<()> {
        check_input(x, "data", self.n_features())?;
        Ok(())
    }

    /// `E_q[ln π_k] + E_q[ln N(x | μ_k, Λ_k⁻¹)]`, `[N, K]` (scikit-learn's
    /// `_estimate_weighted_log_prob`).
    fn joint(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let batch = Batch::new(x.clone());
        self.components.log_joint(x, self.gate.log_weights(&batch))
    }

    /// The joint log-densities of the chosen kind, `[N, K]`.
    fn joint_with(&self, x: Tensor<B, 2>, density: Density) -> Tensor<B, 2> {
        match density {
            Density::Expected => self.joint(x),
            Density::Predictive => {
                self.components.predictive_log_prob(x) + self.weights().log().unsqueeze_dim::<2>(0)
            }
        }
    }

    /// Rows per block of a row-wise evaluation of `x` (sized by the backend, not by the
    /// fit's batch size: see [`map_row_blocks`]).
    fn block_rows(&self, x: &Tensor<B, 2>) -> usize {
        let [n, d] = x.dims();
        self.config.gaussian().tuned_block_rows::<B>(n, d)
    }

    /// Posterior probability of each component for each row, `[N, K]` (scikit-learn's
    /// `predict_proba`: from the variational expectations).
    pub fn predict_proba(&self, x: &Tensor<B, 2>) -> Result<Tensor<B, 2>> {
        self.check_input(x)?;
        Ok(map_row_blocks(x, self.block_rows(x), |b| {
            logsumexp_with_exp(self.joint(b)).1
        }))
    }

    /// The most probable component of each row, `[N]`.
    pub fn predict(&self, x: &Tensor<B, 2>) -> Result<Tensor<B, 1, Int>> {
        self.check_input(x)?;
        Ok(map_row_blocks(x, self.block_rows(x), |b| {
            let m = b.dims()[0];
            self.joint(b).argmax(1).reshape([m])
        }))
    }

    /// scikit-learn's `score_samples` ([`Density::Expected`]), `[N]`.
    pub fn score_samples(&self, x: &Tensor<B, 2>) -> Result<Tensor<B, 1>> {
        self.score_samples_with(x, Density::Expected)
    }

    /// Per-row log-density of the chosen kind, `[N]`.
    pub fn score_samples_with(&self, x: &Tensor<B, 2>, density: Density) -> Result<Tensor<B, 1>> {
        self.check_input(x)?;
        Ok(map_row_blocks(x, self.block_rows(x), |b| {
            let m = b.dims()[0];
            logsumexp_with_exp(self.joint_with(b, density))
                .0
                .reshape([m])
        }))
    }

    /// Mean of [`score_samples`](Self::score_samples) (scikit-learn's `score`).
    pub fn score(&self, x: &Tensor<B, 2>) -> Result<f64> {
        self.score_with(x, Density::Expected)
    }

    /// Mean of [`score_samples_with`](Self::score_samples_with).
    pub fn score_with(&self, x: &Tensor<B, 2>, density: Density) -> Result<f64> {
        self.check_input(x)?;
        let total = sum_row_blocks(x, self.block_rows(x), |b| {
            logsumexp_with_exp(self.joint_with(b, density)).0.sum()
        });
        Ok(to_vec_f64(total)?[0] / x.dims()[0] as f64)
    }

    /// The plug-in Gaussian mixture: weights `weights_`, means `means_`, covariances
    /// `covariances_` (what scikit-learn samples from).
    pub fn point_estimate(&self) -> GaussianMixture<B> {
        let g = self.config.gaussian();
        GaussianMixture::from_saved(
            g,
            self.components.gaussian().clone(),
            Weights::learned(self.weights()),
            self.converged,
            self.n_iter,
            Vec::new(),
        )
    }

    /// Draws `n` points from the [`point_estimate`](Self::point_estimate), grouped by
    /// component, with their labels (scikit-learn's `sample`).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`](mixture_core::Error::InvalidConfig) when `n` is zero.
    pub fn sample(&self, n: usize, seed: u64) -> Result<(Tensor<B, 2>, Tensor<B, 1, Int>)> {
        self.point_estimate().sample(n, seed)
    }

    /// Free parameters of the point estimate (for reference; a variational fit is compared
    /// by its bound, not by BIC).
    pub fn n_parameters(&self) -> usize {
        self.components.n_parameters() + self.n_components() - 1
    }

    /// Fits again on `x`: from these posteriors when `config().warm_start` is set
    /// (scikit-learn's `warm_start`: `n_init` ignored), else from a fresh initialisation.
    /// The prior stays the one of the first fit.
    ///
    /// # Errors
    /// As [`BayesianGaussianMixtureConfig::fit`].
    pub fn refit(&self, x: &Tensor<B, 2>) -> Result<BayesianGaussianMixture<B>> {
        if !self.config.warm_start {
            return self.config.fit(x);
        }
        self.check_input(x)?;
        let [n, d] = x.dims();
        let source = TensorSource::new(
            Batch::new(x.clone()),
            Some(self.config.gaussian().block_rows::<B>(n, d)),
        );
        let data = FitData::new(&source, n as f64);
        let fit = self.config.run_from(
            self.components.clone(),
            self.gate.clone(),
            &data,
            self.config.seed,
            0,
            &mut NoopObserver,
        )?;
        Ok(Self::from_fit(self.config.clone(), fit, n))
    }
}
