//! Settings of a variational Bayesian Gaussian mixture, with scikit-learn's defaults.

use mixture_core::{Error, Result};
use mixture_experts::{CovarianceType, StatisticsCentre};
use mixture_gates::WeightPrior;

use crate::{GaussianMixtureConfig, InitMethod};

/// Settings of a variational Bayesian Gaussian mixture (scikit-learn's
/// `BayesianGaussianMixture`). Defaults are scikit-learn's; the priors left `None` are
/// computed from the data as scikit-learn computes them.
///
/// ```
/// use mixture_em::{BayesianGaussianMixtureConfig, CovarianceType, WeightPrior};
/// let config = BayesianGaussianMixtureConfig::new(8)
///     .with_covariance_type(CovarianceType::Diag)
///     .with_weight_concentration_prior_type(WeightPrior::DirichletProcess)
///     .with_weight_concentration_prior(0.01);
/// assert!(config.validate().is_ok());
/// assert!(config.clone().with_mean_precision_prior(0.0).validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BayesianGaussianMixtureConfig {
    /// Number of components, K (≥ 1): an upper bound, the prior switches unneeded ones off.
    pub n_components: usize,
    /// Covariance structure (default full).
    pub covariance_type: CovarianceType,
    /// Convergence threshold on the change of the lower bound, which is a **sum** over
    /// samples as in scikit-learn (default 1e-3, ≥ 0).
    pub tol: f64,
    /// Added to the covariances' diagonals (default 1e-6, ≥ 0).
    pub reg_covar: f64,
    /// Iterations per initialisation (default 100, ≥ 1).
    pub max_iter: usize,
    /// Initialisations; the one with the best lower bound is kept (default 1, ≥ 1).
    pub n_init: usize,
    /// How initial responsibilities are drawn (default k-means).
    pub init: InitMethod,
    /// The prior over the weights (default the Dirichlet process).
    pub weight_concentration_prior_type: WeightPrior,
    /// `α0 > 0` (default `1 / K`). Small values favour few components.
    pub weight_concentration_prior: Option<f64>,
    /// `β0 > 0`, the precision of the prior on the means (default 1).
    pub mean_precision_prior: Option<f64>,
    /// `m0`, `[D]` (default: the data mean).
    pub mean_prior: Option<Vec<f64>>,
    /// `ν0 > D − 1` (default D).
    pub degrees_of_freedom_prior: Option<f64>,
    /// `Ψ0` in scikit-learn's shape, flattened row-major: full and tied `[D·D]`, diagonal
    /// `[D]`, spherical `[1]` (default: the data's covariance with `ddof = 1`, its diagonal,
    /// or the mean of the diagonal).
    pub covariance_prior: Option<Vec<f64>>,
    /// Seed for every random choice (default 0).
    pub seed: u64,
    /// Whether [`refit`](crate::BayesianGaussianMixture::refit) starts from the fitted
    /// posteriors (default false).
    pub warm_start: bool,
    /// Rows per batch (statistics are summed over all batches before each update, so the
    /// result does not depend on it; default `None`: cache-sized blocks).
    pub batch_size: Option<usize>,
    /// About which point the E-step writes the components' scores and second moments
    /// (default the data mean; see [`StatisticsCentre`]). `ComponentMeans` keeps an f32 fit
    /// exact when components are thin and far from the data mean, at the cost of the
    /// residuals of every row to every mean (`N·K·D` values) per iteration: 3–40× slower on
    /// a CPU. Older model files without it read as the default.
    #[serde(default)]
    pub statistics_centre: StatisticsCentre,
}

impl BayesianGaussianMixtureConfig {
    /// Settings for `n_components` components with scikit-learn's defaults.
    pub fn new(n_components: usize) -> Self {
        Self {
            n_components,
            covariance_type: CovarianceType::Full,
            tol: 1e-3,
            reg_covar: 1e-6,
            max_iter: 100,
            n_init: 1,
            init: InitMethod::KMeans,
            weight_concentration_prior_type: WeightPrior::DirichletProcess,
            weight_concentration_prior: None,
            mean_precision_prior: None,
            mean_prior: None,
            degrees_of_freedom_prior: None,
            covariance_prior: None,
            seed: 0,
            warm_start: false,
            batch_size: None,
            statistics_centre: StatisticsCentre::DataMean,
        }
    }

    /// Sets about which point the E-step writes scores and second moments.
    pub fn with_statistics_centre(mut self, centre: StatisticsCentre) -> Self {
        self.statistics_centre = centre;
        self
    }

    /// Sets the covariance structure.
    pub fn with_covariance_type(mut self, covariance_type: CovarianceType) -> Self {
        self.covariance_type = covariance_type;
        self
    }

    /// Sets the convergence threshold (on the summed bound).
    pub fn with_tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Sets the covariance regularisation.
    pub fn with_reg_covar(mut self, reg_covar: f64) -> Self {
        self.reg_covar = reg_covar;
        self
    }

    /// Sets the maximum iterations.
    pub fn with_max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Sets the number of initialisations.
    pub fn with_n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Sets the initialisation method.
    pub fn with_init(mut self, init: InitMethod) -> Self {
        self.init = init;
        self
    }

    /// Sets the prior over the weights.
    pub fn with_weight_concentration_prior_type(mut self, prior: WeightPrior) -> Self {
        self.weight_concentration_prior_type = prior;
        self
    }

    /// Sets `α0`.
    pub fn with_weight_concentration_prior(mut self, alpha0: f64) -> Self {
        self.weight_concentration_prior = Some(alpha0);
        self
    }

    /// Sets `β0`.
    pub fn with_mean_precision_prior(mut self, beta0: f64) -> Self {
        self.mean_precision_prior = Some(beta0);
        self
    }

    /// Sets `m0` (`[D]`).
    pub fn with_mean_prior(mut self, mean: Vec<f64>) -> Self {
        self.mean_prior = Some(mean);
        self
    }

    /// Sets `ν0`.
    pub fn with_degrees_of_freedom_prior(mut self, nu0: f64) -> Self {
        self.degrees_of_freedom_prior = Some(nu0);
        self
    }

    /// Sets `Ψ0` (scikit-learn's shape, flattened).
    pub fn with_covariance_prior(mut self, covariance: Vec<f64>) -> Self {
        self.covariance_prior = Some(covariance);
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets warm starting.
    pub fn with_warm_start(mut self, warm_start: bool) -> Self {
        self.warm_start = warm_start;
        self
    }

    /// Sets the batch size.
    pub fn with_batch_size(mut self, batch_size: Option<usize>) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// `α0`: the given one or `1 / K`.
    pub fn alpha0(&self) -> f64 {
        self.weight_concentration_prior
            .unwrap_or(1.0 / self.n_components.max(1) as f64)
    }

    /// The settings the EM Gaussian mixture shares (covariance type, iterations, init, seed,
    /// batches): block sizes, feature caching and the initialisations come from there.
    pub(crate) fn gaussian(&self) -> GaussianMixtureConfig {
        GaussianMixtureConfig::new(self.n_components)
            .with_covariance_type(self.covariance_type)
            .with_tol(self.tol)
            .with_reg_covar(self.reg_covar)
            .with_max_iter(self.max_iter)
            .with_n_init(self.n_init)
            .with_init(self.init)
            .with_seed(self.seed)
            .with_batch_size(self.batch_size)
            .with_statistics_centre(self.statistics_centre)
    }

    /// Checks every setting that does not depend on the data.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        self.gaussian().validate()?;
        let bad = |field: &'static str, reason: String| Err(Error::InvalidConfig { field, reason });
        let positive = |v: Option<f64>| v.is_none_or(|v| v.is_finite() && v > 0.0);
        if !positive(self.weight_concentration_prior) {
            return bad(
                "weight_concentration_prior",
                format!(
                    "must be finite and > 0, got {:?}",
                    self.weight_concentration_prior
                ),
            );
        }
        if !positive(self.mean_precision_prior) {
            return bad(
                "mean_precision_prior",
                format!(
                    "must be finite and > 0, got {:?}",
                    self.mean_precision_prior
                ),
            );
        }
        if let Some(m) = &self.mean_prior
            && m.iter().any(|v| !v.is_finite())
        {
            return bad("mean_prior", "must be finite".into());
        }
        if let Some(c) = &self.covariance_prior
            && c.iter().any(|v| !v.is_finite())
        {
            return bad("covariance_prior", "must be finite".into());
        }
        Ok(())
    }

    /// Checks the priors against the data's dimension `d`.
    pub(crate) fn validate_for(&self, d: usize) -> Result<()> {
        let bad = |field: &'static str, reason: String| Err(Error::InvalidConfig { field, reason });
        if let Some(m) = &self.mean_prior
            && m.len() != d
        {
            return bad(
                "mean_prior",
                format!("expected {d} values, got {}", m.len()),
            );
        }
        if let Some(nu) = self.degrees_of_freedom_prior
            && !(nu.is_finite() && nu > d as f64 - 1.0)
        {
            return bad(
                "degrees_of_freedom_prior",
                format!(
                    "must be greater than n_features − 1 = {}, got {nu}",
                    d as f64 - 1.0
                ),
            );
        }
        if let Some(c) = &self.covariance_prior {
            let want = match self.covariance_type {
                CovarianceType::Full | CovarianceType::Tied => d * d,
                CovarianceType::Diag => d,
                CovarianceType::Spherical => 1,
            };
            if c.len() != want {
                return bad(
                    "covariance_prior",
                    format!(
                        "expected {want} values for a {} prior in {d} dimensions, got {}",
                        self.covariance_type,
                        c.len()
                    ),
                );
            }
            if matches!(
                self.covariance_type,
                CovarianceType::Diag | CovarianceType::Spherical
            ) && c.iter().any(|v| *v <= 0.0)
            {
                return bad("covariance_prior", "variances must be > 0".into());
            }
        }
        Ok(())
    }
}
