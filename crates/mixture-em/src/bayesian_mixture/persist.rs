//! Saving and loading a fitted variational mixture as JSON (exact round trip), in the
//! [envelope](crate::persist) every model uses.

use std::path::Path;

use burn::tensor::{DType, backend::Backend};
use mixture_core::{
    Result,
    tensor::{from_f64, to_vec_f64},
};
use mixture_experts::{CovarianceType, Covariances, NormalWishart, NormalWishartPrior};
use mixture_gates::{VariationalWeights, WeightPrior};

use super::{BayesianGaussianMixture, BayesianGaussianMixtureConfig};
use crate::persist::{ModelKind, decode, encode, invalid, read, shift_rows, write};

const KIND: ModelKind = ModelKind::BayesianGaussianMixture;

/// The resolved prior.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedPrior {
    mean_precision: f64,
    mean: Vec<f64>,
    degrees_of_freedom: f64,
    covariance: Vec<f64>,
}

/// The model's fields in the envelope.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    config: BayesianGaussianMixtureConfig,
    n_features: usize,
    /// `weights_`, for readers that want them without recomputing (not read back).
    weights: Vec<f64>,
    weight_concentration: Vec<f64>,
    means: Vec<f64>,
    covariances: Vec<f64>,
    mean_precision: Vec<f64>,
    degrees_of_freedom: Vec<f64>,
    prior: SavedPrior,
    center: Vec<f64>,
    converged: bool,
    n_iter: usize,
    lower_bounds: Vec<f64>,
}

/// [`crate::persist::translate`] for a variational mixture: its means, its centre, its
/// prior's mean and the configuration's `mean_prior`.
pub(crate) fn translate(json: &str, offset: &[f64]) -> Result<String> {
    let (dtype, mut s): (_, Saved) = decode(json, KIND)?;
    let d = s.n_features;
    shift_rows(KIND, Some(&mut s.means), offset, d)?;
    shift_rows(KIND, Some(&mut s.center), offset, d)?;
    shift_rows(KIND, Some(&mut s.prior.mean), offset, d)?;
    shift_rows(KIND, s.config.mean_prior.as_mut(), offset, d)?;
    encode(KIND, dtype, &s)
}

impl<B: Backend> BayesianGaussianMixture<B> {
    /// The model as a JSON document.
    ///
    /// # Errors
    /// [`Error::Backend`](mixture_core::Error::Backend) when a tensor cannot be read.
    pub fn to_json(&self) -> Result<String> {
        let c = self.components();
        let prior = c.prior();
        let dtype = c.means().dtype();
        let saved = Saved {
            config: self.config().clone(),
            n_features: self.n_features(),
            weights: to_vec_f64(self.weights())?,
            weight_concentration: to_vec_f64(self.weight_concentration())?,
            means: to_vec_f64(c.means())?,
            covariances: c.covariances().to_vec_f64()?,
            mean_precision: to_vec_f64(c.mean_precision())?,
            degrees_of_freedom: to_vec_f64(c.degrees_of_freedom())?,
            prior: SavedPrior {
                mean_precision: prior.mean_precision,
                mean: to_vec_f64(prior.mean.clone())?,
                degrees_of_freedom: prior.degrees_of_freedom,
                covariance: prior.covariance.to_vec_f64()?,
            },
            center: to_vec_f64(c.center())?,
            converged: self.converged(),
            n_iter: self.n_iter(),
            lower_bounds: self.lower_bounds().to_vec(),
        };
        encode(KIND, dtype, &saved)
    }

    /// Reads a model written by [`to_json`](Self::to_json) onto `device`, in its dtype.
    ///
    /// ```
    /// use burn::tensor::{DType, Tensor};
    /// use mixture_core::tensor::{from_f64, to_vec_f64};
    /// use mixture_em::{BayesianGaussianMixture, BayesianGaussianMixtureConfig};
    /// type B = burn_ndarray::NdArray<f64>;
    /// let dev = Default::default();
    /// let x: Tensor<B, 2> = from_f64(vec![0.0, 0.3, 0.1, 5.0, 5.2, 5.1], [6, 1], &dev, DType::F64);
    /// let model = BayesianGaussianMixtureConfig::new(2).fit(&x)?;
    /// let back = BayesianGaussianMixture::<B>::from_json(&model.to_json()?, &dev)?;
    /// assert_eq!(to_vec_f64(back.score_samples(&x)?)?, to_vec_f64(model.score_samples(&x)?)?);
    /// # Ok::<(), mixture_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::ModelFile`](mixture_core::Error::ModelFile) for a document that is not such
    /// a model (another kind, a newer version, parameters of the wrong sizes, a covariance
    /// that is not positive definite).
    pub fn from_json(json: &str, device: &B::Device) -> Result<Self> {
        Self::read_json(json, device, None)
    }

    /// As [`from_json`](Self::from_json), the parameters converted to `dtype`.
    ///
    /// # Errors
    /// As [`from_json`](Self::from_json).
    pub fn from_json_as(json: &str, device: &B::Device, dtype: DType) -> Result<Self> {
        Self::read_json(json, device, Some(dtype))
    }

    fn read_json(json: &str, device: &B::Device, dtype: Option<DType>) -> Result<Self> {
        let bad = |reason: &str| invalid(KIND, reason);
        let (saved_dtype, s): (_, Saved) = decode(json, KIND)?;
        let dtype = dtype.unwrap_or(saved_dtype);
        let k = s.config.n_components;
        let d = s.n_features;
        let ct: CovarianceType = s.config.covariance_type;
        let rows = match s.config.weight_concentration_prior_type {
            WeightPrior::DirichletProcess => 2,
            WeightPrior::DirichletDistribution => 1,
        };
        let prior_cov = match ct {
            CovarianceType::Full | CovarianceType::Tied => d * d,
            CovarianceType::Diag => d,
            CovarianceType::Spherical => 1,
        };
        if k == 0
            || s.means.len() != k * d
            || s.covariances.len() != ct.n_values(k, d)
            || s.weight_concentration.len() != rows * k
            || s.mean_precision.len() != k
            || s.degrees_of_freedom.len() != k
            || s.prior.mean.len() != d
            || s.prior.covariance.len() != prior_cov
            || s.center.len() != d
        {
            return Err(bad(
                "parameter sizes do not match n_components and n_features",
            ));
        }
        let t1 = |v: Vec<f64>| from_f64::<B, 1>(v, [k], device, dtype);
        let prior_covariance = match ct {
            CovarianceType::Full => {
                Covariances::Full(from_f64(s.prior.covariance, [1, d, d], device, dtype))
            }
            CovarianceType::Tied => {
                Covariances::Tied(from_f64(s.prior.covariance, [d, d], device, dtype))
            }
            CovarianceType::Diag => {
                Covariances::Diag(from_f64(s.prior.covariance, [1, d], device, dtype))
            }
            CovarianceType::Spherical => {
                Covariances::Spherical(from_f64(s.prior.covariance, [1], device, dtype))
            }
        };
        let prior = NormalWishartPrior {
            mean_precision: s.prior.mean_precision,
            mean: from_f64(s.prior.mean, [1, d], device, dtype),
            degrees_of_freedom: s.prior.degrees_of_freedom,
            covariance: prior_covariance,
        };
        let (components, pivot) = NormalWishart::from_parts(
            from_f64(s.means, [k, d], device, dtype),
            Covariances::from_f64(ct, s.covariances, k, d, device, dtype),
            t1(s.mean_precision),
            t1(s.degrees_of_freedom),
            prior,
            s.config.reg_covar,
            from_f64(s.center, [1, d], device, dtype),
        )
        .map_err(|e| bad(&e.to_string()))?;
        let components = components.with_statistics_centre(s.config.statistics_centre);
        if to_vec_f64(pivot)?.iter().any(|p| !(*p > 0.0)) {
            return Err(bad("a covariance is not positive definite"));
        }
        let like = components.means();
        let gate = VariationalWeights::new(
            s.config.weight_concentration_prior_type,
            k,
            s.config.alpha0(),
            &like,
        )
        .and_then(|g| {
            g.with_concentration(from_f64(s.weight_concentration, [rows, k], device, dtype))
        })
        .map_err(|e| bad(&e.to_string()))?;
        Ok(Self::from_saved(
            s.config,
            components,
            gate,
            s.converged,
            s.n_iter,
            s.lower_bounds,
        ))
    }

    /// Writes the model to `path` as JSON.
    ///
    /// # Errors
    /// [`Error::Io`](mixture_core::Error::Io) when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        write(path.as_ref(), &self.to_json()?)
    }

    /// Reads a model saved with [`save`](Self::save) onto `device`.
    ///
    /// # Errors
    /// [`Error::Io`](mixture_core::Error::Io) when the file cannot be read,
    /// [`Error::ModelFile`](mixture_core::Error::ModelFile) as [`from_json`](Self::from_json).
    pub fn load(path: impl AsRef<Path>, device: &B::Device) -> Result<Self> {
        Self::from_json(&read(path.as_ref())?, device)
    }
}
