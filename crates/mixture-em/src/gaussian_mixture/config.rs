//! Settings of a Gaussian mixture fit, with scikit-learn's defaults.

use mixture_core::{Error, Result};
use mixture_experts::{CovarianceType, StatisticsCentre};

/// How the initial responsibilities are drawn (scikit-learn's `init_params`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum InitMethod {
    /// Hard labels of one seeded k-means run (scikit-learn's default). The run goes over
    /// the fit's own row blocks; beyond 65 536 rows (and 64 per component) k-means++ seeds
    /// it from a seeded uniform sample of that many rows and Lloyd then runs over all rows,
    /// for data in memory as for a stream, so both start from the same centres.
    #[default]
    KMeans,
    /// One-hot responsibilities at the k-means++ seeds (other rows zero).
    KMeansPlusPlus,
    /// Uniform random responsibilities, normalised per row.
    Random,
    /// One-hot responsibilities at K distinct random rows.
    RandomFromData,
}

mixture_core::named_enum!(InitMethod, "init", {
    KMeans => "kmeans" | "k-means",
    KMeansPlusPlus => "k-means++" | "kmeans++",
    Random => "random",
    RandomFromData => "random-from-data" | "random_from_data",
});

/// Settings of a Gaussian mixture fit. Defaults are scikit-learn's.
///
/// `fit` validates the settings first; [`validate`](Self::validate) reports the first field
/// that is out of range.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GaussianMixtureConfig {
    /// Number of components, K (≥ 1).
    pub n_components: usize,
    /// Covariance structure (default full).
    pub covariance_type: CovarianceType,
    /// Convergence threshold on the change of the mean log-likelihood (default 1e-3, ≥ 0).
    pub tol: f64,
    /// Added to the covariances' diagonals (default 1e-6, ≥ 0).
    pub reg_covar: f64,
    /// EM iterations per initialisation (default 100, ≥ 1).
    pub max_iter: usize,
    /// Initialisations; the one with the best lower bound is kept (default 1, ≥ 1).
    pub n_init: usize,
    /// How initial responsibilities are drawn (default k-means).
    pub init: InitMethod,
    /// Initial weights, `[K]` (normalised to sum to one).
    pub weights_init: Option<Vec<f64>>,
    /// Initial means, `[K·D]` row-major.
    pub means_init: Option<Vec<f64>>,
    /// Initial precisions in scikit-learn's shapes, flattened row-major: full `[K·D·D]`,
    /// tied `[D·D]`, diagonal `[K·D]`, spherical `[K]`.
    pub precisions_init: Option<Vec<f64>>,
    /// Seed for every random choice (default 0).
    pub seed: u64,
    /// Whether [`GaussianMixture::refit`](crate::GaussianMixture::refit) starts from the
    /// fitted parameters (default false).
    pub warm_start: bool,
    /// Rows per batch; statistics are summed over all batches before each M-step, so the fit
    /// equals the full-batch fit up to rounding (default `None`: cache-sized blocks).
    ///
    /// Without it, [`fit`](Self::fit) runs in blocks of its own choosing and, for diagonal
    /// and spherical covariances, keeps the data-only features of every block for the whole
    /// fit (`x − c`, `(x − c)²` and a column of ones: about twice the data's memory, at most
    /// 1 GiB), so that an iteration is one product for the scores and one for the
    /// statistics. Setting `batch_size` bounds memory to one batch's intermediates instead.
    pub batch_size: Option<usize>,
    /// About which point the E-step writes the components' scores and second moments
    /// (default the data mean; see [`StatisticsCentre`]). `ComponentMeans` keeps an f32 fit
    /// exact when components are thin and far from the data mean, at the cost of the
    /// residuals of every row to every mean (`N·K·D` values) per iteration: 3–40× slower on
    /// a CPU. Older model files without it read as the default.
    #[serde(default)]
    pub statistics_centre: StatisticsCentre,
}

impl GaussianMixtureConfig {
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
            weights_init: None,
            means_init: None,
            precisions_init: None,
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

    /// Sets the convergence threshold.
    pub fn with_tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Sets the covariance regularisation.
    pub fn with_reg_covar(mut self, reg_covar: f64) -> Self {
        self.reg_covar = reg_covar;
        self
    }

    /// Sets the maximum EM iterations.
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

    /// Sets the initial weights (`[K]`).
    pub fn with_weights_init(mut self, weights: Vec<f64>) -> Self {
        self.weights_init = Some(weights);
        self
    }

    /// Sets the initial means (`[K·D]` row-major).
    pub fn with_means_init(mut self, means: Vec<f64>) -> Self {
        self.means_init = Some(means);
        self
    }

    /// Sets the initial precisions (scikit-learn's shapes, flattened).
    pub fn with_precisions_init(mut self, precisions: Vec<f64>) -> Self {
        self.precisions_init = Some(precisions);
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets warm starting for [`GaussianMixture::refit`](crate::GaussianMixture::refit).
    pub fn with_warm_start(mut self, warm_start: bool) -> Self {
        self.warm_start = warm_start;
        self
    }

    /// Sets the batch size (`None`: the whole data at once).
    pub fn with_batch_size(mut self, batch_size: Option<usize>) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Checks every setting that does not depend on the data.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &'static str, reason: String| Err(Error::InvalidConfig { field, reason });
        if self.n_components == 0 {
            return bad("n_components", "must be at least 1".into());
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return bad("tol", format!("must be finite and >= 0, got {}", self.tol));
        }
        if !(self.reg_covar >= 0.0 && self.reg_covar.is_finite()) {
            return bad(
                "reg_covar",
                format!("must be finite and >= 0, got {}", self.reg_covar),
            );
        }
        if self.max_iter == 0 {
            return bad("max_iter", "must be at least 1".into());
        }
        if self.n_init == 0 {
            return bad("n_init", "must be at least 1".into());
        }
        if self.batch_size == Some(0) {
            return bad(
                "batch_size",
                "must be at least 1 (or unset for one batch)".into(),
            );
        }
        if let Some(w) = &self.weights_init {
            if w.len() != self.n_components {
                return Err(Error::InvalidInit {
                    field: "weights_init",
                    reason: format!("expected {} weights, got {}", self.n_components, w.len()),
                });
            }
            if w.iter().any(|v| !v.is_finite() || *v < 0.0) {
                return Err(Error::InvalidInit {
                    field: "weights_init",
                    reason: "weights must be finite and >= 0".into(),
                });
            }
            let total: f64 = w.iter().sum();
            if (total - 1.0).abs() > 1e-6 {
                return Err(Error::InvalidInit {
                    field: "weights_init",
                    reason: format!("weights must sum to 1, they sum to {total}"),
                });
            }
        }
        Ok(())
    }

    /// Checks the initial parameters against the data's dimension `d`.
    pub(crate) fn validate_for(&self, d: usize) -> Result<()> {
        let k = self.n_components;
        if let Some(m) = &self.means_init {
            if m.len() != k * d {
                return Err(Error::InvalidInit {
                    field: "means_init",
                    reason: format!("expected {k}×{d} = {} values, got {}", k * d, m.len()),
                });
            }
            if m.iter().any(|v| !v.is_finite()) {
                return Err(Error::InvalidInit {
                    field: "means_init",
                    reason: "means must be finite".into(),
                });
            }
        }
        if let Some(p) = &self.precisions_init {
            let want = self.covariance_type.n_values(k, d);
            if p.len() != want {
                return Err(Error::InvalidInit {
                    field: "precisions_init",
                    reason: format!(
                        "expected {want} values for {} precisions of {k} components in {d} dimensions, got {}",
                        self.covariance_type,
                        p.len()
                    ),
                });
            }
            if p.iter().any(|v| !v.is_finite()) {
                return Err(Error::InvalidInit {
                    field: "precisions_init",
                    reason: "precisions must be finite".into(),
                });
            }
        }
        Ok(())
    }
}
