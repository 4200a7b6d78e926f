//! The one envelope of every saved model: a versioned header (what the file holds, its format
//! version, the dtype of its parameters) followed by the model's own fields, as JSON.
//!
//! ```json
//! { "format": "mixture.gaussian-mixture", "version": 1, "dtype": "f32", ...the model... }
//! ```
//!
//! Values are written as `f64` in the shortest form that reads back to the same number, so a
//! model reloads bit for bit, in its dtype. [`peek`] reads the header alone: that is how a
//! reader (the CLI's `mixture predict`) tells what a file holds before loading it. Files
//! written before the envelope existed have the same three fields and load unchanged.

use std::path::Path;

use burn::tensor::DType;
use mixture_core::{Error, Result};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// What a model file holds (its `format` field; written and read as
/// [`format`](Self::format) names it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum ModelKind {
    /// A [`GaussianMixture`](crate::GaussianMixture).
    GaussianMixture,
    /// A [`MixtureOfExperts`](crate::MixtureOfExperts).
    MixtureOfExperts,
    /// A [`KMeans`](crate::KMeans) model.
    KMeans,
    /// A [`BayesianGaussianMixture`](crate::BayesianGaussianMixture).
    BayesianGaussianMixture,
}

impl From<ModelKind> for &'static str {
    fn from(kind: ModelKind) -> Self {
        kind.format()
    }
}

impl TryFrom<String> for ModelKind {
    type Error = String;

    fn try_from(format: String) -> core::result::Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.format() == format)
            .ok_or_else(|| format!("unknown model format `{format}`"))
    }
}

impl ModelKind {
    /// Every kind of model file.
    pub const ALL: [Self; 4] = [
        Self::GaussianMixture,
        Self::MixtureOfExperts,
        Self::KMeans,
        Self::BayesianGaussianMixture,
    ];

    /// The kind's name in messages ("Gaussian mixture").
    pub fn name(self) -> &'static str {
        match self {
            Self::GaussianMixture => "Gaussian mixture",
            Self::MixtureOfExperts => "mixture of experts",
            Self::KMeans => "k-means model",
            Self::BayesianGaussianMixture => "variational Bayesian Gaussian mixture",
        }
    }

    /// The `format` field's value (`mixture.gaussian-mixture`).
    pub fn format(self) -> &'static str {
        match self {
            Self::GaussianMixture => "mixture.gaussian-mixture",
            Self::MixtureOfExperts => "mixture.mixture-of-experts",
            Self::KMeans => "mixture.kmeans",
            Self::BayesianGaussianMixture => "mixture.bayesian-gaussian-mixture",
        }
    }

    /// The format version this build writes (and the newest it reads).
    pub fn version(self) -> u32 {
        match self {
            Self::GaussianMixture
            | Self::MixtureOfExperts
            | Self::KMeans
            | Self::BayesianGaussianMixture => 1,
        }
    }
}

/// The dtype of a saved model's parameters (its `dtype` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SavedDtype {
    /// 32-bit floats.
    F32,
    /// 64-bit floats.
    F64,
    /// 16-bit floats.
    F16,
    /// bfloat16.
    Bf16,
}

impl SavedDtype {
    /// The dtype a model of tensors of `dtype` records (`f32` for anything not a float type).
    pub fn of(dtype: DType) -> Self {
        match dtype {
            DType::F64 => Self::F64,
            DType::F16 => Self::F16,
            DType::BF16 => Self::Bf16,
            _ => Self::F32,
        }
    }

    /// The burn dtype.
    pub fn dtype(self) -> DType {
        match self {
            Self::F32 => DType::F32,
            Self::F64 => DType::F64,
            Self::F16 => DType::F16,
            Self::Bf16 => DType::BF16,
        }
    }
}

/// The header every model file starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// What the file holds.
    pub format: ModelKind,
    /// The version of that kind's format.
    pub version: u32,
    /// The dtype of the parameters.
    pub dtype: SavedDtype,
}

/// A model file: the header, then the model's fields.
#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    #[serde(flatten)]
    header: Header,
    #[serde(flatten)]
    body: T,
}

/// The header of a model document: what it holds and in which dtype.
///
/// # Errors
/// [`Error::ModelFile`] for a document that is not a model file of this library (not JSON,
/// no or an unknown `format`, `version` or `dtype`).
///
/// ```
/// use mixture_em::persist::{peek, ModelKind, SavedDtype};
/// let header = peek(r#"{"format": "mixture.gaussian-mixture", "version": 1, "dtype": "f64"}"#)?;
/// assert_eq!((header.format, header.dtype), (ModelKind::GaussianMixture, SavedDtype::F64));
/// assert!(peek(r#"{"format": "something-else"}"#).is_err());
/// # Ok::<(), mixture_core::Error>(())
/// ```
pub fn peek(json: &str) -> Result<Header> {
    /// The three header fields, as they stand: serde skips the rest of the document
    /// without building it.
    #[derive(Deserialize)]
    struct Raw {
        format: Option<serde_json::Value>,
        version: Option<serde_json::Value>,
        dtype: Option<serde_json::Value>,
    }
    fn field<T: DeserializeOwned>(name: &str, value: Option<serde_json::Value>) -> Result<T> {
        let value = value.ok_or_else(|| bad(format!("no `{name}` field"), None))?;
        T::deserialize(&value).map_err(|e| bad(format!("bad `{name}` {value}"), Some(Box::new(e))))
    }
    fn bad(reason: String, source: Option<mixture_core::BoxError>) -> Error {
        Error::ModelFile {
            kind: "model",
            reason,
            source,
        }
    }
    let raw: Raw = serde_json::from_str(json)
        .map_err(|e| bad(format!("not a JSON object ({e})"), Some(Box::new(e))))?;
    Ok(Header {
        format: field("format", raw.format)?,
        version: field("version", raw.version)?,
        dtype: field("dtype", raw.dtype)?,
    })
}

/// The model document `json` moved by `offset` (one value per feature): every location it
/// holds (the means or centroids, the centre its scores are taken about, a variational
/// prior's mean, initial means given in its configuration) plus `offset`, added in f64.
/// Everything else is unchanged: the moved model gives the moved data `x + offset` the
/// scores, labels and probabilities the model gave `x`.
///
/// This is how a fit in f32 keeps data far from the origin exact: the data are centred on
/// the host in f64 before the cast (the cast would otherwise round away their digits), the
/// model is fitted to the centred data, and its document is moved back to the data's units.
/// The values are written in f64; loading the document as f32 rounds the moved locations
/// (centre the data and move the model by the same amount first to keep them).
///
/// ```
/// use mixture_em::persist::translate;
/// use mixture_em::{GaussianMixture, GaussianMixtureConfig};
/// use burn::tensor::Tensor;
/// type B = burn_ndarray::NdArray<f64>;
/// let dev = Default::default();
/// let x = Tensor::<B, 2>::from_floats([[0.0, 0.1], [0.2, 0.0], [4.0, 4.1], [4.2, 4.0]], &dev);
/// let model = GaussianMixtureConfig::new(2).fit(&x)?;
/// let moved = translate(&model.to_json()?, &[1e8, -3.0])?;
/// let moved = GaussianMixture::<B>::from_json(&moved, &dev)?;
/// let y = x.clone() + Tensor::<B, 2>::from_floats([[1e8, -3.0]], &dev);
/// assert!((moved.score(&y)? - model.score(&x)?).abs() < 1e-9);
/// assert!(translate(&model.to_json()?, &[1.0]).is_err()); // one value per feature
/// # Ok::<(), mixture_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::ModelFile`] for a document that is not a model file, a mixture of experts (a
/// regression has no location to move), or an `offset` that is not one finite value per
/// feature.
pub fn translate(json: &str, offset: &[f64]) -> Result<String> {
    match peek(json)?.format {
        ModelKind::GaussianMixture => crate::gaussian_mixture::translate(json, offset),
        ModelKind::BayesianGaussianMixture => crate::bayesian_mixture::translate(json, offset),
        ModelKind::KMeans => crate::kmeans::translate(json, offset),
        kind @ ModelKind::MixtureOfExperts => Err(invalid(
            kind,
            "a mixture of experts is a regression, with no location to move",
        )),
    }
}

/// Adds `offset` to every row of `values` (rows of `offset.len()` values) of a model of
/// `kind` with `n_features` features; `None` (an absent field) stays absent.
pub(crate) fn shift_rows(
    kind: ModelKind,
    values: Option<&mut Vec<f64>>,
    offset: &[f64],
    n_features: usize,
) -> Result<()> {
    if offset.len() != n_features || offset.iter().any(|o| !o.is_finite()) {
        return Err(invalid(
            kind,
            format!(
                "cannot move it by {} values ({offset:?}): it has {n_features} features and the offset must be finite",
                offset.len()
            ),
        ));
    }
    let Some(values) = values else {
        return Ok(());
    };
    if values.len() % n_features.max(1) != 0 {
        return Err(invalid(kind, "a location does not match n_features"));
    }
    for row in values.chunks_mut(n_features.max(1)) {
        row.iter_mut().zip(offset).for_each(|(v, o)| *v += o);
    }
    Ok(())
}

/// The model `body` in its envelope, as pretty JSON.
pub(crate) fn encode<T: Serialize>(kind: ModelKind, dtype: DType, body: &T) -> Result<String> {
    let envelope = Envelope {
        header: Header {
            format: kind,
            version: kind.version(),
            dtype: SavedDtype::of(dtype),
        },
        body,
    };
    serde_json::to_string_pretty(&envelope).map_err(|e| Error::Encode {
        kind: kind.name(),
        source: Box::new(e),
    })
}

/// A model of `kind` from its document: its dtype and its fields, after the header says it
/// is such a model in a version this build reads.
pub(crate) fn decode<T: DeserializeOwned>(json: &str, kind: ModelKind) -> Result<(DType, T)> {
    let header = peek(json).map_err(|e| match e {
        Error::ModelFile { reason, source, .. } => Error::ModelFile {
            kind: kind.name(),
            reason,
            source,
        },
        e => e,
    })?;
    if header.format != kind {
        return Err(invalid(
            kind,
            format!(
                "its format is {} (a {})",
                header.format.format(),
                header.format.name()
            ),
        ));
    }
    if header.version != kind.version() {
        return Err(invalid(
            kind,
            format!(
                "format version {} (this build reads version {})",
                header.version,
                kind.version()
            ),
        ));
    }
    let envelope: Envelope<T> = serde_json::from_str(json).map_err(|e| Error::ModelFile {
        kind: kind.name(),
        reason: e.to_string(),
        source: Some(Box::new(e)),
    })?;
    Ok((header.dtype.dtype(), envelope.body))
}

/// [`Error::ModelFile`] for a model of `kind`.
pub(crate) fn invalid(kind: ModelKind, reason: impl Into<String>) -> Error {
    Error::ModelFile {
        kind: kind.name(),
        reason: reason.into(),
        source: None,
    }
}

/// [`Error::ModelFile`] for a part of a model of `kind` that its type rejects (the error is
/// kept as the source).
pub(crate) fn rejected(kind: ModelKind, e: Error) -> Error {
    Error::ModelFile {
        kind: kind.name(),
        reason: e.to_string(),
        source: Some(Box::new(e)),
    }
}

/// Writes a model's JSON to `path`.
pub(crate) fn write(path: &Path, json: &str) -> Result<()> {
    std::fs::write(path, json).map_err(|source| Error::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a model's JSON from `path`.
pub(crate) fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    })
}
