//! Covariance-shaped tensors in scikit-learn's shapes.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{Result, tensor::to_vec_f64};

use super::CovarianceType;

/// Covariances, precisions or their Cholesky factors, shaped as scikit-learn shapes them.
#[derive(Debug, Clone)]
pub enum Covariances<B: Backend> {
    /// `[K, D, D]`.
    Full(Tensor<B, 3>),
    /// `[D, D]`, shared by all components.
    Tied(Tensor<B, 2>),
    /// `[K, D]`, the diagonals.
    Diag(Tensor<B, 2>),
    /// `[K]`, one variance per component.
    Spherical(Tensor<B, 1>),
}

impl<B: Backend> Covariances<B> {
    /// The covariance structure.
    pub fn covariance_type(&self) -> CovarianceType {
        match self {
            Self::Full(_) => CovarianceType::Full,
            Self::Tied(_) => CovarianceType::Tied,
            Self::Diag(_) => CovarianceType::Diag,
            Self::Spherical(_) => CovarianceType::Spherical,
        }
    }

    /// The tensor's shape.
    pub fn shape(&self) -> Vec<usize> {
        match self {
            Self::Full(t) => t.dims().to_vec(),
            Self::Tied(t) | Self::Diag(t) => t.dims().to_vec(),
            Self::Spherical(t) => t.dims().to_vec(),
        }
    }

    /// The values, row-major, read back to the host.
    pub fn to_vec_f64(&self) -> Result<Vec<f64>> {
        match self {
            Self::Full(t) => to_vec_f64(t.clone()),
            Self::Tied(t) | Self::Diag(t) => to_vec_f64(t.clone()),
            Self::Spherical(t) => to_vec_f64(t.clone()),
        }
    }

    /// Builds from row-major host values of the given structure.
    pub fn from_f64(
        covariance_type: CovarianceType,
        values: Vec<f64>,
        k: usize,
        d: usize,
        device: &B::Device,
        dtype: burn::tensor::DType,
    ) -> Self {
        use mixture_core::tensor::from_f64;
        match covariance_type {
            CovarianceType::Full => Self::Full(from_f64(values, [k, d, d], device, dtype)),
            CovarianceType::Tied => Self::Tied(from_f64(values, [d, d], device, dtype)),
            CovarianceType::Diag => Self::Diag(from_f64(values, [k, d], device, dtype)),
            CovarianceType::Spherical => Self::Spherical(from_f64(values, [k], device, dtype)),
        }
    }
}
