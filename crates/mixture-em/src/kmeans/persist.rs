//! Saving and loading a fitted k-means model as JSON (exact round trip), in the
//! [envelope](crate::persist) every model file uses.
//!
//! The file holds the configuration, the centroids (in their dtype, reloaded bit for bit), the
//! inertia, `n_iter` and `converged`. The training labels are not saved (they are one number
//! per training row); a loaded model's [`labels`](KMeans::labels) is `None`, and
//! [`predict`](KMeans::predict) on the training data gives them back.

use std::path::Path;

use burn::tensor::backend::Backend;
use mixture_core::{
    Result,
    tensor::{from_f64, to_vec_f64},
};

use super::{KMeans, KMeansConfig};
use crate::persist::{ModelKind, decode, encode, invalid, read, shift_rows, write};

const KIND: ModelKind = ModelKind::KMeans;

/// The model's fields in the envelope.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    config: KMeansConfig,
    n_features: usize,
    /// `[K, D]`, row-major.
    centroids: Vec<f64>,
    /// `null` for a model made by [`KMeans::from_centroids`] (its inertia is NaN, which JSON
    /// cannot hold).
    inertia: Option<f64>,
    n_iter: usize,
    converged: bool,
}

/// [`crate::persist::translate`] for k-means: its centroids.
pub(crate) fn translate(json: &str, offset: &[f64]) -> Result<String> {
    let (dtype, mut s): (_, Saved) = decode(json, KIND)?;
    shift_rows(KIND, Some(&mut s.centroids), offset, s.n_features)?;
    encode(KIND, dtype, &s)
}

impl<B: Backend> KMeans<B> {
    /// The model as a JSON document (the training labels are not included).
    ///
    /// # Example
    /// ```
    /// use burn::tensor::Tensor;
    /// use mixture_em::{KMeans, KMeansConfig};
    /// type B = burn_flex::Flex;
    /// let dev = Default::default();
    /// let x = Tensor::<B, 2>::from_floats([[0.0, 0.1], [0.2, 0.0], [4.0, 4.1], [4.2, 4.0]], &dev);
    /// let model = KMeansConfig::new(2).fit(&x)?;
    /// let back = KMeans::<B>::from_json(&model.to_json()?, &dev)?;
    /// assert_eq!(back.centroids().into_data(), model.centroids().into_data());
    /// assert_eq!((back.inertia(), back.n_iter()), (model.inertia(), model.n_iter()));
    /// # Ok::<(), mixture_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Encode`](mixture_core::Error::Encode) when serialisation fails; the backend's
    /// error when the centroids cannot be read.
    pub fn to_json(&self) -> Result<String> {
        let centroids = self.centroids();
        let dtype = centroids.dtype();
        let saved = Saved {
            config: self.config().clone(),
            n_features: self.n_features(),
            centroids: to_vec_f64(centroids)?,
            inertia: Some(self.inertia()).filter(|v| v.is_finite()),
            n_iter: self.n_iter(),
            converged: self.converged(),
        };
        encode(KIND, dtype, &saved)
    }

    /// Reads a model written by [`to_json`](Self::to_json) onto `device`, in the dtype the
    /// file records.
    ///
    /// # Errors
    /// [`Error::ModelFile`](mixture_core::Error::ModelFile) for a document that is not such a
    /// model (another kind, a newer format version, centroids that do not match
    /// `n_clusters × n_features`, non-finite centroids, an invalid configuration).
    pub fn from_json(json: &str, device: &B::Device) -> Result<Self> {
        let (dtype, s): (_, Saved) = decode(json, KIND)?;
        s.config
            .validate()
            .map_err(|e| invalid(KIND, format!("its configuration is invalid: {e}")))?;
        let (k, d) = (s.config.n_clusters, s.n_features);
        if d == 0 || s.centroids.len() != k * d {
            return Err(invalid(
                KIND,
                format!(
                    "{} centroid values do not make {k} clusters × {d} features",
                    s.centroids.len()
                ),
            ));
        }
        if s.centroids.iter().any(|v| !v.is_finite()) {
            return Err(invalid(KIND, "a centroid is not finite"));
        }
        let centroids = from_f64(s.centroids, [k, d], device, dtype);
        Ok(Self::from_saved(
            s.config,
            centroids,
            s.inertia.unwrap_or(f64::NAN),
            s.n_iter,
            s.converged,
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

#[cfg(test)]
mod tests {
    use burn::tensor::{DType, Tensor};
    use mixture_core::Error;

    use super::*;
    use crate::KMeansInit;

    type B = burn_flex::Flex;

    fn blobs(dtype: DType) -> Tensor<B, 2> {
        let rows = vec![
            0.0, 0.1, 0.2, 0.0, 0.1, 0.3, 4.0, 4.1, 4.2, 4.0, 4.1, 3.9, 0.3, 0.2,
        ];
        from_f64::<B, 2>(rows, [7, 2], &Default::default(), dtype)
    }

    #[test]
    fn round_trips_exactly_in_f32_and_f64() {
        for dtype in [DType::F32, DType::F64] {
            let config = KMeansConfig::new(2)
                .with_init(KMeansInit::Random)
                .with_n_init(2)
                .with_seed(7);
            let model = config.fit(&blobs(dtype)).unwrap();
            let json = model.to_json().unwrap();
            let back = KMeans::<B>::from_json(&json, &Default::default()).unwrap();
            assert_eq!(back.centroids().dtype(), dtype);
            assert_eq!(back.centroids().into_data(), model.centroids().into_data());
            assert_eq!(back.inertia().to_bits(), model.inertia().to_bits());
            assert_eq!(
                (back.n_iter(), back.converged(), back.config()),
                (model.n_iter(), model.converged(), &config)
            );
            assert!(back.labels().is_none());
            assert_eq!(back.to_json().unwrap(), json);
        }
    }

    #[test]
    fn a_model_without_a_fit_round_trips_its_nan_inertia() {
        let centroids = Tensor::<B, 2>::from_floats([[0.0, 1.0]], &Default::default());
        let model = KMeans::from_centroids(centroids);
        let json = model.to_json().unwrap();
        assert!(json.contains("\"inertia\": null"), "{json}");
        let back = KMeans::<B>::from_json(&json, &Default::default()).unwrap();
        assert!(back.inertia().is_nan());
        assert_eq!(back.n_clusters(), 1);
    }

    #[test]
    fn bad_documents_are_model_file_errors() {
        let model = KMeansConfig::new(2).fit(&blobs(DType::F32)).unwrap();
        let json = model.to_json().unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let edited = |edit: &dyn Fn(&mut serde_json::Value)| {
            let mut v = value.clone();
            edit(&mut v);
            v.to_string()
        };
        let short = edited(&|v| v["centroids"].as_array_mut().unwrap().truncate(3));
        let zero_k = edited(&|v| v["config"]["n_clusters"] = 0.into());
        let gmm = edited(&|v| v["format"] = "mixture.gaussian-mixture".into());
        for (doc, says) in [
            (
                short.as_str(),
                "3 centroid values do not make 2 clusters × 2 features",
            ),
            (zero_k.as_str(), "n_clusters"),
            (gmm.as_str(), "its format is mixture.gaussian-mixture"),
            ("[1, 2]", "not a JSON object"),
        ] {
            match KMeans::<B>::from_json(doc, &Default::default()) {
                Err(e @ Error::ModelFile { .. }) => {
                    assert!(e.to_string().contains(says), "{e}")
                }
                other => panic!("{doc}: {other:?}"),
            }
        }
    }
}
