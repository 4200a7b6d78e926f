//! What the JSON model files of [`GaussianMixture`](crate::GaussianMixture) and
//! [`MixtureOfExperts`](crate::MixtureOfExperts) share: the dtype's name and the file I/O.

use std::path::Path;

use burn::tensor::DType;
use mixture_core::{Error, Result};

/// The name a file records for `dtype` (`f32` for anything not a float type).
pub(crate) fn dtype_name(dtype: DType) -> &'static str {
    match dtype {
        DType::F64 => "f64",
        DType::F16 => "f16",
        DType::BF16 => "bf16",
        _ => "f32",
    }
}

/// The dtype a file names, `None` for an unknown name.
pub(crate) fn parse_dtype(name: &str) -> Option<DType> {
    match name {
        "f64" => Some(DType::F64),
        "f32" => Some(DType::F32),
        "f16" => Some(DType::F16),
        "bf16" => Some(DType::BF16),
        _ => None,
    }
}

/// Writes a model's JSON to `path`.
pub(crate) fn write(path: &Path, json: &str) -> Result<()> {
    std::fs::write(path, json)
        .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))
}

/// Reads a model's JSON from `path`.
pub(crate) fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))
}
