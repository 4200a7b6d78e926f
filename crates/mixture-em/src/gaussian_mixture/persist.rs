//! Saving and loading a fitted mixture as JSON (exact round trip).
//!
//! Values are written as `f64` with the shortest representation that reads back to the same
//! number, and the file records the dtype, so an f32 model reloads bit for bit as f32 and an
//! f64 model as f64.

use std::path::Path;

use burn::tensor::{DType, backend::Backend};
use mixture_core::{
    Result,
    tensor::{from_f64, to_vec_f64},
};
use mixture_experts::{CovarianceType, Covariances, GaussianComponents};
use mixture_gates::Weights;

use super::{GaussianMixture, GaussianMixtureConfig};
use crate::persist::{ModelKind, decode, encode, invalid, read, shift_rows, write};

const KIND: ModelKind = ModelKind::GaussianMixture;

/// The model's fields in the [envelope](crate::persist).
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    config: GaussianMixtureConfig,
    n_features: usize,
    weights: Vec<f64>,
    means: Vec<f64>,
    covariances: Vec<f64>,
    /// The centre the scores are computed about (the training data's mean); keeps scores
    /// bit-identical after a round trip. Absent: the origin.
    #[serde(default)]
    center: Vec<f64>,
    converged: bool,
    n_iter: usize,
    lower_bounds: Vec<f64>,
}

/// [`crate::persist::translate`] for a Gaussian mixture: its means, its centre (the origin
/// when the file has none) and the configuration's `means_init`.
pub(crate) fn translate(json: &str, offset: &[f64]) -> Result<String> {
    let (dtype, mut s): (_, Saved) = decode(json, KIND)?;
    let d = s.n_features;
    if s.center.is_empty() {
        s.center = vec![0.0; d];
    }
    shift_rows(KIND, Some(&mut s.means), offset, d)?;
    shift_rows(KIND, Some(&mut s.center), offset, d)?;
    shift_rows(KIND, s.config.means_init.as_mut(), offset, d)?;
    encode(KIND, dtype, &s)
}

impl<B: Backend> GaussianMixture<B> {
    /// The model as a JSON document.
    pub fn to_json(&self) -> Result<String> {
        let (comps, gate) = self.parts();
        let means = comps.means();
        let dtype = means.dtype();
        let saved = Saved {
            config: self.config().clone(),
            n_features: self.n_features(),
            weights: to_vec_f64(gate.weights())?,
            means: to_vec_f64(means)?,
            covariances: comps.covariances().to_vec_f64()?,
            center: to_vec_f64(comps.center())?,
            converged: self.converged(),
            n_iter: self.n_iter(),
            lower_bounds: self.lower_bounds().to_vec(),
        };
        encode(KIND, dtype, &saved)
    }

    /// Reads a model written by [`to_json`](Self::to_json) onto `device`.
    ///
    /// # Errors
    /// [`Error::ModelFile`](mixture_core::Error::ModelFile) for a document that is not such a model (another kind, a newer
    /// format version, parameters of the wrong sizes, a covariance that is not positive
    /// definite).
    pub fn from_json(json: &str, device: &B::Device) -> Result<Self> {
        Self::read_json(json, device, None)
    }

    /// Reads a model written by [`to_json`](Self::to_json) onto `device`, its parameters
    /// converted to `dtype` whatever the file records: an f32 model widened to f64 keeps its
    /// values exactly (that is how the command line checks an f32 fit's likelihood in f64).
    ///
    /// # Example
    /// ```
    /// use burn::tensor::{DType, Tensor};
    /// use mixture_em::{GaussianMixture, GaussianMixtureConfig};
    /// type B = burn_flex::Flex;
    /// let dev = Default::default();
    /// let x = Tensor::<B, 2>::from_floats([[0.0, 0.1], [0.2, 0.0], [4.0, 4.1], [4.2, 4.0]], &dev);
    /// let model = GaussianMixtureConfig::new(2).with_seed(0).fit(&x)?;
    /// let wide = GaussianMixture::<B>::from_json_as(&model.to_json()?, &dev, DType::F64)?;
    /// assert_eq!(wide.means().dtype(), DType::F64);
    /// let rows = vec![0.0, 0.1, 0.2, 0.0, 4.0, 4.1, 4.2, 4.0];
    /// let x64 = mixture_core::tensor::from_f64::<B, 2>(rows, [4, 2], &dev, DType::F64);
    /// assert!((wide.score(&x64)? - model.score(&x)?).abs() < 1e-4);
    /// # Ok::<(), mixture_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`from_json`](Self::from_json).
    pub fn from_json_as(json: &str, device: &B::Device, dtype: DType) -> Result<Self> {
        Self::read_json(json, device, Some(dtype))
    }

    /// [`from_json`](Self::from_json) in the file's dtype, or in `dtype` when given.
    fn read_json(json: &str, device: &B::Device, dtype: Option<DType>) -> Result<Self> {
        let bad = |reason: &str| invalid(KIND, reason);
        let (saved_dtype, s): (_, Saved) = decode(json, KIND)?;
        let dtype = dtype.unwrap_or(saved_dtype);
        let k = s.config.n_components;
        let d = s.n_features;
        let ct: CovarianceType = s.config.covariance_type;
        if s.weights.len() != k
            || s.means.len() != k * d
            || s.covariances.len() != ct.n_values(k, d)
        {
            return Err(bad(
                "parameter sizes do not match n_components and n_features",
            ));
        }
        let means = from_f64(s.means, [k, d], device, dtype);
        let cov = Covariances::from_f64(ct, s.covariances, k, d, device, dtype);
        let (mut comps, pivot) =
            GaussianComponents::from_covariances(means, cov, s.config.reg_covar);
        if !s.center.is_empty() {
            if s.center.len() != d {
                return Err(bad("the centre does not match n_features"));
            }
            comps = comps.with_center(from_f64(s.center, [1, d], device, dtype));
        }
        comps = comps.with_statistics_centre(s.config.statistics_centre);
        if to_vec_f64(pivot)?.iter().any(|p| !(*p > 0.0)) {
            return Err(bad("a covariance is not positive definite"));
        }
        let gate = Weights::learned(from_f64(s.weights, [k], device, dtype));
        Ok(Self::from_saved(
            s.config,
            comps,
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
    /// [`Error::Io`](mixture_core::Error::Io) when the file cannot be read, [`Error::ModelFile`](mixture_core::Error::ModelFile) as
    /// [`from_json`](Self::from_json).
    pub fn load(path: impl AsRef<Path>, device: &B::Device) -> Result<Self> {
        Self::from_json(&read(path.as_ref())?, device)
    }
}
