//! Checks on user input, done once per call on the device with at most two host reads.

use burn::tensor::{Tensor, backend::Backend};

use crate::{Batch, Error, Result, tensor::to_vec_f64};

/// Checks that `x` (`[N, D]`) is non-empty and finite. Finiteness is tested on the device;
/// only when it fails is the data read back, to name the first bad cell.
///
/// # Errors
/// [`Error::EmptyData`], [`Error::NonFinite`].
pub fn check_data<B: Backend>(x: &Tensor<B, 2>, what: &'static str) -> Result<()> {
    let [n, d] = x.dims();
    if n == 0 || d == 0 {
        return Err(Error::EmptyData {
            n_samples: n,
            n_features: d,
        });
    }
    check_finite(x.clone(), what, d)
}

/// [`check_data`] plus the number of columns a fitted model expects.
///
/// # Errors
/// [`Error::EmptyData`], [`Error::NonFinite`], [`Error::DimensionMismatch`].
pub fn check_input<B: Backend>(
    x: &Tensor<B, 2>,
    what: &'static str,
    n_features: usize,
) -> Result<()> {
    check_data(x, what)?;
    let d = x.dims()[1];
    if d != n_features {
        return Err(Error::DimensionMismatch {
            what: "number of features",
            expected: n_features,
            found: d,
        });
    }
    Ok(())
}

/// Checks that every value of `t` is finite; `width` is the row length used to report the
/// position of the first bad value.
pub fn check_finite<B: Backend, const D: usize>(
    t: Tensor<B, D>,
    what: &'static str,
    width: usize,
) -> Result<()> {
    let ok = t
        .clone()
        .is_finite()
        .all()
        .into_data()
        .iter::<bool>()
        .next()
        .unwrap_or(true);
    if ok {
        return Ok(());
    }
    let values = to_vec_f64(t)?;
    let pos = values.iter().position(|v| !v.is_finite()).unwrap_or(0);
    Err(Error::NonFinite {
        what,
        row: pos / width.max(1),
        column: pos % width.max(1),
        value: format!("{}", values[pos]),
    })
}

/// [`check_finite`] of a batch's inputs, the row counted in the whole source
/// (`batch.rows`), so that a streamed or sharded fit names the row of the file.
///
/// # Errors
/// [`Error::NonFinite`] for the first non-finite value.
pub fn check_batch_finite<B: Backend>(batch: &crate::Batch<B>, what: &'static str) -> Result<()> {
    check_finite(batch.x.clone(), what, batch.n_features()).map_err(|e| match e {
        Error::NonFinite {
            what,
            row,
            column,
            value,
        } => Error::NonFinite {
            what,
            row: row + batch.rows.start,
            column,
            value,
        },
        other => other,
    })
}

/// Checks sample weights: one per row, finite, non-negative, not all zero. Returns their sum.
pub fn check_weights<B: Backend>(w: &Tensor<B, 1>, n_samples: usize) -> Result<f64> {
    let n = w.dims()[0];
    if n != n_samples {
        return Err(Error::DimensionMismatch {
            what: "number of sample weights",
            expected: n_samples,
            found: n,
        });
    }
    let v = to_vec_f64(w.clone())?;
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(Error::NonFinite {
            what: "sample_weight",
            row: i,
            column: 0,
            value: format!("{}", v[i]),
        });
    }
    if let Some(i) = v.iter().position(|&x| x < 0.0) {
        return Err(Error::InvalidWeights {
            reason: format!(
                "weight {} at row {i} is negative; weights must be >= 0",
                v[i]
            ),
        });
    }
    let total: f64 = v.iter().sum();
    if total <= 0.0 {
        return Err(Error::InvalidWeights {
            reason: "all weights are zero; at least one must be positive".into(),
        });
    }
    Ok(total)
}

/// `x` as a batch with its optional sample weights: one weight per row (else
/// [`Error::DimensionMismatch`]), cast to the dtype of `x` so that later products never mix
/// precisions. The weights' values are checked by [`check_weights`].
pub fn weighted_batch<B: Backend>(
    x: &Tensor<B, 2>,
    sample_weight: Option<&Tensor<B, 1>>,
) -> Result<Batch<B>> {
    let n = x.dims()[0];
    let batch = Batch::new(x.clone());
    let Some(w) = sample_weight else {
        return Ok(batch);
    };
    if w.dims()[0] != n {
        return Err(Error::DimensionMismatch {
            what: "number of sample weights",
            expected: n,
            found: w.dims()[0],
        });
    }
    let w = if w.dtype() == x.dtype() {
        w.clone()
    } else {
        w.clone().cast(x.dtype())
    };
    Ok(batch.with_weight(w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::from_f64;
    use burn::tensor::DType;

    type B = burn_flex::Flex;

    #[test]
    fn names_the_first_non_finite_cell() {
        let dev = Default::default();
        let x = from_f64::<B, 2>(
            vec![1.0, 2.0, 3.0, f64::NAN, 5.0, 6.0],
            [3, 2],
            &dev,
            DType::F32,
        );
        match check_data(&x, "data") {
            Err(Error::NonFinite { row, column, .. }) => assert_eq!((row, column), (1, 1)),
            other => panic!("{other:?}"),
        }
        let ok = from_f64::<B, 2>(vec![1.0, 2.0], [1, 2], &dev, DType::F32);
        assert!(check_data(&ok, "data").is_ok());
    }

    #[test]
    fn rejects_bad_weights() {
        let dev = Default::default();
        let w = from_f64::<B, 1>(vec![1.0, -1.0], [2], &dev, DType::F32);
        assert!(matches!(
            check_weights(&w, 2),
            Err(Error::InvalidWeights { .. })
        ));
        let w = from_f64::<B, 1>(vec![0.0, 0.0], [2], &dev, DType::F32);
        assert!(matches!(
            check_weights(&w, 2),
            Err(Error::InvalidWeights { .. })
        ));
        assert!(matches!(
            check_weights(&w, 3),
            Err(Error::DimensionMismatch { .. })
        ));
        let w = from_f64::<B, 1>(vec![0.5, 1.5], [2], &dev, DType::F32);
        assert_eq!(check_weights(&w, 2).unwrap(), 2.0);
    }
}
