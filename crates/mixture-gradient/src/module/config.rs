//! Configuration and initialisation of the learnable mixture.

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::{
    Error, Result,
    linalg::{cholesky, diagonal, inverse_lower},
    tensor::{from_f64, from_f64_like, to_vec_f64},
};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use super::{Family, GaussianMixtureModule, MeanInit, ScaleInit, sample::sample_in_ball};

/// Configuration of a [`GaussianMixtureModule`]: sizes, family, initialisation and floor.
///
/// ```
/// use burn::tensor::DType;
/// use mixture_gradient::module::{Family, GaussianMixtureModuleConfig, MeanInit};
///
/// type B = burn_flex::Flex;
/// let gmm = GaussianMixtureModuleConfig::new(3, 2)
///     .with_family(Family::Diagonal)
///     .with_mean_init(MeanInit::Uniform { radius: 8.0 })
///     .with_seed(42)
///     .init::<B>(&Default::default(), DType::F32)
///     .unwrap();
/// assert_eq!(gmm.means.dims(), [3, 2]);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaussianMixtureModuleConfig {
    /// Number of components, K (required, `>= 1`).
    pub n_components: usize,
    /// Dimension of the data, D (required, `>= 1`).
    pub n_features: usize,
    /// Covariance family (default full).
    pub family: Family,
    /// Where the means start (default uniform in `[−1, 1]^D`).
    pub mean_init: MeanInit,
    /// Where the scales start (default standard deviation 1).
    pub scale_init: ScaleInit,
    /// Initial mixing weights, `K` positive values (normalised); `None`: uniform.
    pub weights_init: Option<Vec<f64>>,
    /// Floor on standard deviations (default 1e-6, GMMPytorch's clamp).
    pub min_std: f64,
    /// Seed of the initialisation (default 0).
    pub seed: u64,
}

impl GaussianMixtureModuleConfig {
    /// `n_components` components in `n_features` dimensions, with the defaults.
    pub fn new(n_components: usize, n_features: usize) -> Self {
        Self {
            n_components,
            n_features,
            family: Family::default(),
            mean_init: MeanInit::default(),
            scale_init: ScaleInit::default(),
            weights_init: None,
            min_std: 1e-6,
            seed: 0,
        }
    }

    /// Sets the covariance family.
    pub fn with_family(mut self, family: Family) -> Self {
        self.family = family;
        self
    }

    /// Sets the mean initialisation.
    pub fn with_mean_init(mut self, mean_init: MeanInit) -> Self {
        self.mean_init = mean_init;
        self
    }

    /// Sets the scale initialisation.
    pub fn with_scale_init(mut self, scale_init: ScaleInit) -> Self {
        self.scale_init = scale_init;
        self
    }

    /// Sets the initial mixing weights.
    pub fn with_weights_init(mut self, weights: Vec<f64>) -> Self {
        self.weights_init = Some(weights);
        self
    }

    /// Sets the floor on standard deviations.
    pub fn with_min_std(mut self, min_std: f64) -> Self {
        self.min_std = min_std;
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] or [`Error::InvalidInit`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        let (k, d) = (self.n_components, self.n_features);
        let positive = |field: &'static str, v: f64| {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(Error::InvalidConfig {
                    field,
                    reason: format!("must be finite and > 0, got {v}"),
                })
            }
        };
        if k == 0 {
            return Err(Error::InvalidConfig {
                field: "n_components",
                reason: "must be >= 1".into(),
            });
        }
        if d == 0 {
            return Err(Error::InvalidConfig {
                field: "n_features",
                reason: "must be >= 1".into(),
            });
        }
        positive("min_std", self.min_std)?;
        match &self.mean_init {
            MeanInit::Uniform { radius } | MeanInit::Softball { radius } => {
                positive("mean_init.radius", *radius)?
            }
            MeanInit::FromData => {}
            MeanInit::KMeans => {
                return Err(Error::InvalidConfig {
                    field: "mean_init",
                    reason: "k-means (EM's start) is resolved by mixture-gradient's \
                             GradientMixtureConfig::init_module (and fit); here use FromData \
                             or given values"
                        .into(),
                });
            }
            MeanInit::Values(v) => check_values("means_init", v, k * d)?,
        }
        match &self.scale_init {
            ScaleInit::Std(s) => positive("scale_init.std", *s)?,
            ScaleInit::UniformStd { low, high } => {
                positive("scale_init.low", *low)?;
                if !(high >= low && high.is_finite()) {
                    return Err(Error::InvalidConfig {
                        field: "scale_init.high",
                        reason: format!("must be finite and >= low ({low}), got {high}"),
                    });
                }
            }
            ScaleInit::FromData => {}
            ScaleInit::NegLogVar(v) => {
                let [a, b] = self.family.neglogvar_shape(k, d);
                check_values("neglogvar_init", v, a * b)?
            }
            ScaleInit::Covariances(v) => {
                if self.family != Family::Full {
                    return Err(Error::InvalidConfig {
                        field: "scale_init",
                        reason: format!(
                            "covariance matrices initialise the full family only, not {}; \
                             use NegLogVar or Std",
                            self.family
                        ),
                    });
                }
                check_values("covariances_init", v, k * d * d)?
            }
        }
        if let Some(w) = &self.weights_init {
            check_values("weights_init", w, k)?;
            if w.iter().any(|&v| v <= 0.0) {
                return Err(Error::InvalidInit {
                    field: "weights_init",
                    reason: "every weight must be > 0".into(),
                });
            }
        }
        Ok(())
    }

    /// A mixture on `device` with parameters of `dtype`.
    ///
    /// # Errors
    /// Invalid configuration, or an initialisation that needs data
    /// ([`MeanInit::FromData`], [`ScaleInit::FromData`]: use
    /// [`init_from_data`](Self::init_from_data)), or initial covariances that are not
    /// positive definite.
    pub fn init<B: Backend>(
        &self,
        device: &B::Device,
        dtype: DType,
    ) -> Result<GaussianMixtureModule<B>> {
        self.validate()?;
        if matches!(self.mean_init, MeanInit::FromData)
            || matches!(self.scale_init, ScaleInit::FromData)
        {
            return Err(Error::InvalidConfig {
                field: "mean_init",
                reason: "initialising from data needs the data; call init_from_data".into(),
            });
        }
        let mut rng = StdRng::seed_from_u64(self.seed);
        let means = self.host_means(&mut rng);
        let means = from_f64::<B, 2>(means, [self.n_components, self.n_features], device, dtype);
        self.build(means, None, &mut rng)
    }

    /// A mixture initialised from the data `x` (`[N, D]`): on its device, with its dtype.
    /// Data-free initialisations are honoured as in [`init`](Self::init).
    ///
    /// # Errors
    /// Invalid configuration, bad data ([`Error::EmptyData`], [`Error::NonFinite`],
    /// [`Error::DimensionMismatch`]), fewer rows than components
    /// ([`Error::TooFewSamples`]) for [`MeanInit::FromData`].
    pub fn init_from_data<B: Backend>(&self, x: &Tensor<B, 2>) -> Result<GaussianMixtureModule<B>> {
        self.validate()?;
        mixture_core::host::check_data(x, "data")?;
        let [n, d] = x.dims();
        if d != self.n_features {
            return Err(Error::DimensionMismatch {
                what: "number of features",
                expected: self.n_features,
                found: d,
            });
        }
        let k = self.n_components;
        let mut rng = StdRng::seed_from_u64(self.seed);
        let means = match self.mean_init {
            MeanInit::FromData => {
                if n < k {
                    return Err(Error::TooFewSamples {
                        n_samples: n,
                        n_components: k,
                    });
                }
                // scikit-learn's greedy k-means++, the one k-means and EM seed with.
                mixture_em::kmeans::kmeans_plusplus(x, None, k, &mut rng)?.0
            }
            _ => from_f64_like::<B, 2, 2>(self.host_means(&mut rng), [k, d], x),
        };
        self.build(means, Some(x), &mut rng)
    }

    fn host_means(&self, rng: &mut StdRng) -> Vec<f64> {
        let (k, d) = (self.n_components, self.n_features);
        match &self.mean_init {
            MeanInit::Uniform { radius } => (0..k * d)
                .map(|_| (2.0 * rng.random::<f64>() - 1.0) * radius)
                .collect(),
            MeanInit::Softball { radius } => sample_in_ball(k, d, *radius, rng),
            MeanInit::Values(v) => v.clone(),
            MeanInit::FromData | MeanInit::KMeans => unreachable!("refused by validate"),
        }
    }

    /// Scales, weights and the module, given the means (which set device and dtype).
    fn build<B: Backend>(
        &self,
        means: Tensor<B, 2>,
        data: Option<&Tensor<B, 2>>,
        rng: &mut StdRng,
    ) -> Result<GaussianMixtureModule<B>> {
        let (k, d) = (self.n_components, self.n_features);
        let family = self.family;
        let shape = family.neglogvar_shape(k, d);
        let fill = |v: f64| vec![v; shape[0] * shape[1]];
        let mut off = None;
        let nlv: Vec<f64> = match &self.scale_init {
            ScaleInit::Std(s) => fill(-2.0 * s.ln()),
            ScaleInit::UniformStd { low, high } => (0..shape[0] * shape[1])
                .map(|_| -2.0 * (low + (high - low) * rng.random::<f64>()).ln())
                .collect(),
            ScaleInit::NegLogVar(v) => v.clone(),
            ScaleInit::FromData => {
                let x = data.ok_or_else(|| Error::InvalidConfig {
                    field: "scale_init",
                    reason: "initialising from data needs the data; call init_from_data".into(),
                })?;
                let var = to_vec_f64(x.clone().var(0))?;
                let shrink = (k as f64).powf(2.0 / d as f64);
                let var: Vec<f64> = var.iter().map(|v| (v / shrink).max(1e-12)).collect();
                match family {
                    Family::Full | Family::Diagonal => {
                        (0..k).flat_map(|_| var.iter().map(|v| -v.ln())).collect()
                    }
                    _ => {
                        let mean = var.iter().sum::<f64>() / d as f64;
                        fill(-mean.ln())
                    }
                }
            }
            ScaleInit::Covariances(c) => {
                let cov = from_f64_like::<B, 3, 2>(c.clone(), [k, d, d], &means);
                let (l, pivot) = cholesky(cov);
                let pivots = to_vec_f64(pivot)?;
                if let Some(bad) = pivots.iter().position(|p| !(*p > 0.0)) {
                    return Err(Error::InvalidInit {
                        field: "covariances_init",
                        reason: format!(
                            "covariance {bad} is not positive definite (smallest pivot {:e})",
                            pivots[bad]
                        ),
                    });
                }
                // P = L⁻ᵀ is upper triangular with P Pᵀ = Σ⁻¹.
                let p = inverse_lower(l).swap_dims(1, 2);
                off = Some(p.clone().triu(1));
                to_vec_f64(diagonal(p).log().mul_scalar(2.0))?
            }
        };
        let neglogvar = from_f64_like::<B, 2, 2>(nlv, shape, &means);
        let off_diagonal = match (family, off) {
            (Family::Full, Some(o)) => Some(o),
            (Family::Full, None) => Some(mixture_core::tensor::zeros_like_dtype([k, d, d], &means)),
            _ => None,
        };
        let logits = match &self.weights_init {
            Some(w) => {
                let total: f64 = w.iter().sum();
                w.iter().map(|v| (v / total).ln()).collect()
            }
            None => vec![0.0; k],
        };
        let logits = from_f64_like::<B, 1, 2>(logits, [k], &means);
        GaussianMixtureModule::from_tensors(
            family,
            logits,
            means,
            neglogvar,
            off_diagonal,
            self.min_std,
        )
        .map(GaussianMixtureModule::apply_floor)
    }
}

fn check_values(field: &'static str, v: &[f64], len: usize) -> Result<()> {
    if v.len() != len {
        return Err(Error::InvalidInit {
            field,
            reason: format!("expected {len} values, got {}", v.len()),
        });
    }
    if let Some(bad) = v.iter().find(|x| !x.is_finite()) {
        return Err(Error::InvalidInit {
            field,
            reason: format!("non-finite value {bad}"),
        });
    }
    Ok(())
}
