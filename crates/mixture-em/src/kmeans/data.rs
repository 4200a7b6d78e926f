//! One validating pass over a data source, and the data-dependent tolerance.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{Batch, DataSource, Error, Result, host::check_data, tensor::to_vec_f64};

/// What a fit needs to know about its data, gathered by [`scan`].
#[derive(Debug, Clone)]
pub(crate) struct DataInfo {
    /// Rows over all batches.
    pub n_samples: usize,
    /// Columns.
    pub n_features: usize,
    /// The sample weights on the host, in row order; `None` when no batch carries weights.
    pub weights: Option<Vec<f64>>,
    /// The sum of the weights (`n_samples` when unweighted).
    pub total_weight: f64,
}

impl DataInfo {
    /// The weight of row `i`.
    pub fn weight(&self, i: usize) -> f64 {
        self.weights.as_ref().map_or(1.0, |w| w[i])
    }
}

/// Validates every batch (features, finiteness, weights) and collects the weights on the
/// host. With `mean`, also returns the weighted column means `[D]` (one extra read).
///
/// # Errors
/// [`Error::EmptyData`], [`Error::DimensionMismatch`], [`Error::NonFinite`] (rows counted over
/// the whole source), [`Error::InvalidWeights`].
pub(crate) fn scan<B: Backend, S: DataSource<B> + ?Sized>(
    source: &S,
    mean: bool,
) -> Result<(DataInfo, Option<Vec<f64>>)> {
    let d = source.n_features();
    let mut n = 0usize;
    let mut weights: Option<Vec<f64>> = None;
    let mut sum_x: Option<Tensor<B, 2>> = None;
    source.for_each_batch(&mut |batch: Batch<B>| {
        let [nb, db] = batch.x.dims();
        if db != d {
            return Err(Error::DimensionMismatch {
                what: "number of features in a batch",
                expected: d,
                found: db,
            });
        }
        if nb == 0 {
            return Ok(());
        }
        check_data(&batch.x, "data").map_err(|e| offset_row(e, n))?;
        match &batch.weight {
            Some(w) => {
                if w.dims()[0] != nb {
                    return Err(Error::DimensionMismatch {
                        what: "number of sample weights in a batch",
                        expected: nb,
                        found: w.dims()[0],
                    });
                }
                let v = to_vec_f64(w.clone())?;
                if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                    return Err(Error::NonFinite {
                        what: "sample_weight",
                        row: n + i,
                        column: 0,
                        value: format!("{}", v[i]),
                    });
                }
                if let Some(i) = v.iter().position(|&x| x < 0.0) {
                    return Err(Error::InvalidWeights {
                        reason: format!(
                            "weight {} at row {} is negative; weights must be >= 0",
                            v[i],
                            n + i
                        ),
                    });
                }
                weights.get_or_insert_with(|| vec![1.0; n]).extend(v);
            }
            None => {
                if let Some(ws) = weights.as_mut() {
                    ws.extend(core::iter::repeat_n(1.0, nb));
                }
            }
        }
        if mean {
            let part = batch.weigh(batch.x.clone()).sum_dim(0);
            sum_x = Some(match sum_x.take() {
                Some(acc) => acc + part,
                None => part,
            });
        }
        n += nb;
        Ok(())
    })?;
    // A shard of a data set split over processes: the count and the sums of every shard
    // (its batches carry no weights).
    if let Some(reducer) = source.reducer() {
        let mut values = match sum_x.take() {
            Some(s) => to_vec_f64(s)?,
            None => Vec::new(),
        };
        values.push(n as f64);
        reducer.all_reduce_sum(&mut values)?;
        n = values.pop().unwrap_or(0.0) as usize;
        if mean {
            sum_x = Some(mixture_core::tensor::from_f64(
                values,
                [1, d],
                &source.device(),
                burn::tensor::DType::F64,
            ));
        }
    }
    if n == 0 || d == 0 {
        return Err(Error::EmptyData {
            n_samples: n,
            n_features: d,
        });
    }
    let total_weight = weights.as_ref().map_or(n as f64, |w| w.iter().sum());
    if total_weight <= 0.0 {
        return Err(Error::InvalidWeights {
            reason: "all weights are zero; at least one must be positive".into(),
        });
    }
    let means = match sum_x {
        Some(s) => Some(
            to_vec_f64(s)?
                .into_iter()
                .map(|v| v / total_weight)
                .collect(),
        ),
        None => None,
    };
    Ok((
        DataInfo {
            n_samples: n,
            n_features: d,
            weights,
            total_weight,
        },
        means,
    ))
}

/// The absolute tolerance on the squared centre shift: `tol · mean_j Var(X_j)`, with the
/// biased sample-weighted variance (scikit-learn's `_tolerance` when unweighted). Two-pass
/// (means from [`scan`], then centred squares) for accuracy.
pub(crate) fn tolerance<B: Backend, S: DataSource<B> + ?Sized>(
    source: &S,
    info: &DataInfo,
    means: &[f64],
    tol: f64,
) -> Result<f64> {
    if tol == 0.0 {
        return Ok(0.0);
    }
    let d = info.n_features;
    let mut acc: Option<Tensor<B, 2>> = None;
    source.for_each_batch(&mut |batch: Batch<B>| {
        if batch.n_samples() == 0 {
            return Ok(());
        }
        let mu = mixture_core::tensor::from_f64_like::<B, 2, 2>(means.to_vec(), [1, d], &batch.x);
        let centred = (batch.x.clone() - mu).square();
        let part = batch.weigh(centred).sum_dim(0);
        acc = Some(match acc.take() {
            Some(a) => a + part,
            None => part,
        });
        Ok(())
    })?;
    let Some(acc) = acc else {
        return Ok(0.0);
    };
    let acc = mixture_core::reduce::sum_over_shards(source, vec![acc.reshape([d])])?.remove(0);
    let var_sum: f64 = to_vec_f64(acc)?.iter().sum();
    Ok(tol * var_sum / (d as f64 * info.total_weight))
}

/// Shifts the row of a [`Error::NonFinite`] by the rows of the earlier batches.
fn offset_row(e: Error, offset: usize) -> Error {
    match e {
        Error::NonFinite {
            what,
            row,
            column,
            value,
        } => Error::NonFinite {
            what,
            row: row + offset,
            column,
            value,
        },
        other => other,
    }
}
