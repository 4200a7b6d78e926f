//! Configuration of a gradient fit.

use crate::module::{
    Family, GaussianMixtureModule, GaussianMixtureModuleConfig, MeanInit, PriorWeighting, ScaleInit,
};
use crate::prior::MixturePrior;
use burn::tensor::{Tensor, backend::AutodiffBackend};
use mixture_core::{Error, FitObserver, NoopObserver, Result, tensor::to_vec_f64};
use mixture_em::{CovarianceType, GaussianMixtureConfig};
use serde::{Deserialize, Serialize};

use crate::{AdamSettings, GradientReport, GradientTrainer};

/// Everything a gradient fit of a Gaussian mixture needs: the module's family and
/// initialisation, the optimizer (Adam with one learning rate for the mixture weights and
/// one for the components, cosine annealing), batching, stopping, priors and the seed.
///
/// ```
/// use burn::backend::Autodiff;
/// use burn::tensor::{DType, Tensor};
/// use mixture_core::tensor::from_f64;
/// use mixture_gradient::{Family, GradientMixtureConfig};
///
/// type B = Autodiff<burn_flex::Flex>;
/// let x = from_f64::<B, 2>(vec![-2.0, -1.9, -2.1, 2.0, 2.1, 1.9], [6, 1], &Default::default(), DType::F32);
/// let (gmm, report) = GradientMixtureConfig::new(2)
///     .with_family(Family::Diagonal)
///     .with_iterations(300)
///     .with_component_lr(0.05)
///     .fit(&x)?;
/// assert_eq!(gmm.n_components(), 2);
/// // The default start is where EM starts (the k-means clusters), here already the optimum:
/// // two clusters of variance 0.02 / 3 with equal weights, which the training keeps.
/// use std::f64::consts::{E, PI};
/// let optimum = 0.5 * (2.0 * PI * E * 0.02 / 3.0).ln() + 2f64.ln();
/// assert!((report.final_loss - optimum).abs() < 1e-3, "{} vs {optimum}", report.final_loss);
/// # Ok::<(), mixture_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradientMixtureConfig {
    /// The mixture module: number of components, covariance family, where the means, scales
    /// and weights start, the floor on standard deviations and the seed (which also seeds
    /// the shuffling). Its `n_features` is taken from the data (the value here is not used).
    /// Default: [`GaussianMixtureModuleConfig::new`]`(k, 0)` with the means where EM starts
    /// ([`MeanInit::KMeans`], which also sets the scales and the weights) and the scales
    /// from the data's variance.
    pub module: GaussianMixtureModuleConfig,
    /// The optimizer, Adam (default PyTorch's settings).
    pub optimizer: AdamSettings,
    /// Iterations: optimizer steps in full-batch mode, epochs with mini-batches (default
    /// 1000; GMMPytorch's demo runs 20 000).
    pub iterations: usize,
    /// Adam learning rate of the mixture weights (default 1e-2; GMMPytorch's demo uses 3e-5,
    /// its tests 0 to keep the weights uniform).
    pub mixture_lr: f64,
    /// Adam learning rate of the means and covariance parameters (default 1e-2).
    pub component_lr: f64,
    /// Rows per mini-batch; `None` (default): full batch.
    pub batch_size: Option<usize>,
    /// Whether to shuffle the rows before each epoch of mini-batches (default true; seeded).
    pub shuffle: bool,
    /// Cosine annealing of both learning rates to zero over all steps (default true).
    pub cosine_annealing: bool,
    /// Stop when the loss changes by less than `tol` for `patience` iterations in a row
    /// (default 1e-6; 0 runs every iteration).
    pub tol: f64,
    /// See `tol` (default 10).
    pub patience: usize,
    /// Priors on the parameters (default none).
    pub prior: MixturePrior,
    /// How the prior is weighed against the data (default once per pass over the data).
    pub prior_weighting: PriorWeighting,
}

impl GradientMixtureConfig {
    /// A fit of `n_components` components with the defaults.
    pub fn new(n_components: usize) -> Self {
        Self {
            module: GaussianMixtureModuleConfig::new(n_components, 0)
                .with_family(Family::Full)
                .with_mean_init(MeanInit::KMeans)
                .with_scale_init(ScaleInit::FromData),
            optimizer: AdamSettings::new(),
            iterations: 1000,
            mixture_lr: 1e-2,
            component_lr: 1e-2,
            batch_size: None,
            shuffle: true,
            cosine_annealing: true,
            tol: 1e-6,
            patience: 10,
            prior: MixturePrior::none(),
            prior_weighting: PriorWeighting::PerDataset,
        }
    }

    /// The number of components, K.
    pub fn n_components(&self) -> usize {
        self.module.n_components
    }

    /// Sets the covariance family.
    pub fn with_family(mut self, family: Family) -> Self {
        self.module.family = family;
        self
    }

    /// Sets the number of iterations (epochs with mini-batches).
    pub fn with_iterations(mut self, iterations: usize) -> Self {
        self.iterations = iterations;
        self
    }

    /// Sets the learning rate of the mixture weights.
    pub fn with_mixture_lr(mut self, lr: f64) -> Self {
        self.mixture_lr = lr;
        self
    }

    /// Sets the learning rate of the components.
    pub fn with_component_lr(mut self, lr: f64) -> Self {
        self.component_lr = lr;
        self
    }

    /// Sets the mini-batch size (`None`: full batch).
    pub fn with_batch_size(mut self, batch_size: Option<usize>) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Sets whether mini-batches are reshuffled each epoch.
    pub fn with_shuffle(mut self, shuffle: bool) -> Self {
        self.shuffle = shuffle;
        self
    }

    /// Turns cosine annealing on or off.
    pub fn with_cosine_annealing(mut self, on: bool) -> Self {
        self.cosine_annealing = on;
        self
    }

    /// Sets the early-stopping tolerance (0 disables early stopping).
    pub fn with_tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Sets how many iterations in a row must change the loss by less than `tol`.
    pub fn with_patience(mut self, patience: usize) -> Self {
        self.patience = patience;
        self
    }

    /// Sets the floor on standard deviations.
    pub fn with_min_std(mut self, min_std: f64) -> Self {
        self.module.min_std = min_std;
        self
    }

    /// Sets the mean initialisation.
    pub fn with_mean_init(mut self, init: MeanInit) -> Self {
        self.module.mean_init = init;
        self
    }

    /// Sets the scale initialisation.
    pub fn with_scale_init(mut self, init: ScaleInit) -> Self {
        self.module.scale_init = init;
        self
    }

    /// Sets the initial mixing weights.
    pub fn with_weights_init(mut self, weights: Vec<f64>) -> Self {
        self.module.weights_init = Some(weights);
        self
    }

    /// Sets the priors.
    pub fn with_prior(mut self, prior: MixturePrior) -> Self {
        self.prior = prior;
        self
    }

    /// Sets how the prior is weighed against the data.
    pub fn with_prior_weighting(mut self, weighting: PriorWeighting) -> Self {
        self.prior_weighting = weighting;
        self
    }

    /// Sets Adam's β₁ and β₂.
    pub fn with_betas(mut self, beta_1: f64, beta_2: f64) -> Self {
        self.optimizer = self.optimizer.with_betas(beta_1, beta_2);
        self
    }

    /// Sets Adam's ε.
    pub fn with_epsilon(mut self, epsilon: f64) -> Self {
        self.optimizer = self.optimizer.with_epsilon(epsilon);
        self
    }

    /// Sets Adam's weight decay.
    pub fn with_weight_decay(mut self, weight_decay: f64) -> Self {
        self.optimizer = self.optimizer.with_weight_decay(weight_decay);
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.module.seed = seed;
        self
    }

    /// Sets Adam's settings.
    pub fn with_optimizer(mut self, optimizer: AdamSettings) -> Self {
        self.optimizer = optimizer;
        self
    }

    /// The module configuration for data with `n_features` columns.
    pub fn module_config(&self, n_features: usize) -> GaussianMixtureModuleConfig {
        GaussianMixtureModuleConfig {
            n_features,
            ..self.module.clone()
        }
    }

    /// Checks every field (the module's initialisation is checked when the data is known).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &'static str, reason: String| Err(Error::InvalidConfig { field, reason });
        if self.module.n_components == 0 {
            return bad("n_components", "must be >= 1".into());
        }
        if self.iterations == 0 {
            return bad("iterations", "must be >= 1".into());
        }
        for (field, v) in [
            ("mixture_lr", self.mixture_lr),
            ("component_lr", self.component_lr),
        ] {
            if !(v >= 0.0 && v.is_finite()) {
                return bad(field, format!("must be finite and >= 0, got {v}"));
            }
        }
        if self.batch_size == Some(0) {
            return bad("batch_size", "must be >= 1 (or none for full batch)".into());
        }
        if !(self.tol >= 0.0 && self.tol.is_finite()) {
            return bad("tol", format!("must be finite and >= 0, got {}", self.tol));
        }
        if self.patience == 0 {
            return bad("patience", "must be >= 1".into());
        }
        if !(self.module.min_std > 0.0 && self.module.min_std.is_finite()) {
            return bad(
                "min_std",
                format!("must be finite and > 0, got {}", self.module.min_std),
            );
        }
        self.optimizer.validate()?;
        self.prior.validate()
    }

    /// Fits a mixture to `x` (`[N, D]`, on an autodiff backend): initialises the module from
    /// the data, then trains it. Returns the trained module and the report.
    ///
    /// # Errors
    /// Invalid configuration or data, more components than rows with
    /// [`MeanInit::FromData`] ([`Error::TooFewSamples`]), or a diverged loss
    /// ([`Error::Diverged`]).
    pub fn fit<B: AutodiffBackend>(
        &self,
        x: &Tensor<B, 2>,
    ) -> Result<(GaussianMixtureModule<B>, GradientReport)> {
        self.fit_with(x, &mut NoopObserver)
    }

    /// [`fit`](Self::fit), reporting each iteration to `observer`.
    pub fn fit_with<B: AutodiffBackend>(
        &self,
        x: &Tensor<B, 2>,
        observer: &mut dyn FitObserver,
    ) -> Result<(GaussianMixtureModule<B>, GradientReport)> {
        let start = std::time::Instant::now();
        self.validate()?;
        let module = self.init_module(x)?;
        GradientTrainer::started_at(self, module, x, start)?.finish(observer)
    }

    /// The module this configuration starts from on `x` (`[N, D]`): where EM starts for
    /// [`MeanInit::KMeans`] (the default), else the module configuration's own
    /// initialisation from the data.
    ///
    /// # Errors
    /// Bad data; more components than rows when the means start at data rows or at k-means
    /// centres ([`Error::TooFewSamples`]; GMMPytorch's singularity test fits two given means
    /// to one point, which given means still allow).
    pub fn init_module<B: AutodiffBackend>(
        &self,
        x: &Tensor<B, 2>,
    ) -> Result<GaussianMixtureModule<B>> {
        mixture_core::host::check_data(x, "data")?;
        let d = x.dims()[1];
        let module_config = match self.module.mean_init {
            MeanInit::KMeans => self.em_start(x)?,
            _ => self.module_config(d),
        };
        module_config.init_from_data(x)
    }

    /// The module configuration that starts where EM starts ([`MeanInit::KMeans`]): the
    /// initial parameters of a [`GaussianMixtureConfig`] with k-means init and this seed
    /// (`reg_covar` 1e-6), in the family's form: full covariances; diagonal variances;
    /// per-component spherical variances (isotropic); their weighted mean (shared
    /// isotropic); the `Constant` family keeps its fixed scale. Given `weights_init` win.
    fn em_start<B: AutodiffBackend>(
        &self,
        x: &Tensor<B, 2>,
    ) -> Result<GaussianMixtureModuleConfig> {
        let [_, d] = x.dims();
        let k = self.module.n_components;
        let covariance_type = match self.module.family {
            Family::Full => CovarianceType::Full,
            Family::Diagonal => CovarianceType::Diag,
            _ => CovarianceType::Spherical,
        };
        let (weights, means, covariances) = GaussianMixtureConfig::new(k)
            .with_covariance_type(covariance_type)
            .with_seed(self.module.seed)
            .initial_parameters(&x.clone().inner())?;
        let weights = to_vec_f64(weights)?;
        let variances = covariances.to_vec_f64()?;
        let neglogvar = |v: &[f64]| v.iter().map(|v| -v.ln()).collect::<Vec<_>>();
        let scale_init = match self.module.family {
            Family::Full => ScaleInit::Covariances(variances),
            Family::Diagonal | Family::Isotropic => ScaleInit::NegLogVar(neglogvar(&variances)),
            Family::SharedIsotropic => {
                let shared: f64 = weights.iter().zip(&variances).map(|(w, v)| w * v).sum();
                ScaleInit::NegLogVar(vec![-shared.ln()])
            }
            Family::Constant => self.module.scale_init.clone(),
        };
        let mut config = self.module_config(d);
        config.mean_init = MeanInit::Values(to_vec_f64(means)?);
        config.scale_init = scale_init;
        if config.weights_init.is_none() {
            config.weights_init = Some(weights);
        }
        Ok(config)
    }

    /// Trains an existing module on `x` with this configuration's optimizer, schedule,
    /// batching, stopping and priors (the module's own family, floor and parameters are
    /// kept; the initialisation fields are ignored).
    ///
    /// # Errors
    /// Invalid configuration or data, or a diverged loss ([`Error::Diverged`]).
    pub fn fit_module<B: AutodiffBackend>(
        &self,
        module: GaussianMixtureModule<B>,
        x: &Tensor<B, 2>,
        observer: &mut dyn FitObserver,
    ) -> Result<(GaussianMixtureModule<B>, GradientReport)> {
        GradientTrainer::new(self, module, x)?.finish(observer)
    }
}
