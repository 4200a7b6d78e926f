//! Column values a source takes off its rows on the host, in f64, before the cast to the
//! compute dtype: what keeps the digits of data far from the origin in an f32 fit.

use burn::tensor::{DType, TensorData};
use mixture_core::{Error, Result};

/// The column values subtracted from every row (none by default).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct HostShift(Option<Vec<f64>>);

impl HostShift {
    /// `shift`, one value per column of rows `n_cols` wide.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when `shift` has another length.
    pub fn new(shift: Vec<f64>, n_cols: usize) -> Result<Self> {
        if shift.len() != n_cols {
            return Err(Error::DimensionMismatch {
                what: "values of the shift (one per column)",
                expected: n_cols,
                found: shift.len(),
            });
        }
        Ok(Self(Some(shift)))
    }

    /// Whether there is a shift.
    pub fn is_some(&self) -> bool {
        self.0.is_some()
    }

    /// Row-major `values` (`shape`), shifted in f64, as data of `dtype` (f64, else f32).
    pub fn data(&self, mut values: Vec<f64>, shape: [usize; 2], dtype: DType) -> TensorData {
        if let Some(shift) = &self.0 {
            for row in values.chunks_exact_mut(shift.len()) {
                row.iter_mut().zip(shift).for_each(|(v, s)| *v -= s);
            }
        }
        match dtype {
            DType::F64 => TensorData::new(values, shape),
            _ => TensorData::new(values.into_iter().map(|v| v as f32).collect(), shape),
        }
    }
}
