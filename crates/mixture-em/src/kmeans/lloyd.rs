//! Lloyd's iterations over a data source: batched assignment, summed per-cluster weights and
//! sums, one centre update per pass, one host read per iteration.

use burn::tensor::{Int, IntDType, Tensor, backend::Backend};
use mixture_core::{
    Batch, DataSource, Error, Result,
    reduce::{all_reduce_tensors, from_rank_zero, sum_over_shards},
    tensor::{full_like_dtype, one_hot_like, to_vec_f64, zeros_like_dtype},
};

use super::{
    data::DataInfo,
    distance::{nearest, sq_norms_row},
    relocate::relocate_empty,
};

/// The outcome of one Lloyd run.
#[derive(Debug, Clone)]
pub(crate) struct LloydRun<B: Backend> {
    /// Final centres `[K, D]`.
    pub centres: Tensor<B, 2>,
    /// Weighted sum of squared distances of the rows to their nearest final centre.
    pub inertia: f64,
    /// Iterations run.
    pub n_iter: usize,
    /// Whether the run stopped on unchanged labels or on `tol` before `max_iter`.
    pub converged: bool,
    /// Labels against the final centres, one tensor per non-empty batch.
    pub labels: Vec<Tensor<B, 1, Int>>,
}

/// Adds `part` to an optional running sum.
fn add<B: Backend, const D: usize>(acc: &mut Option<Tensor<B, D>>, part: Tensor<B, D>) {
    *acc = Some(match acc.take() {
        Some(a) => a + part,
        None => part,
    });
}

/// Runs Lloyd's algorithm from `centres` (`[K, D]`) until no label changes, the squared
/// centre shift is at most `tol_abs`, or `max_iter` iterations (scikit-learn's
/// `_kmeans_single_lloyd`), then assigns the rows to the final centres.
///
/// # Errors
/// [`Error::Diverged`] when the centre shift or the inertia is not finite (overflow);
/// errors of the data source.
pub(crate) fn lloyd<B: Backend, S: DataSource<B> + ?Sized>(
    source: &S,
    info: &DataInfo,
    centres: Tensor<B, 2>,
    tol_abs: f64,
    max_iter: usize,
    keep_labels: bool,
) -> Result<LloydRun<B>> {
    let [k, d] = centres.dims();
    let mut centres = centres;
    let mut previous: Vec<Tensor<B, 1, Int>> = Vec::new();
    let mut converged = false;
    let mut n_iter = 0;
    for iteration in 1..=max_iter {
        n_iter = iteration;
        let c_sq = sq_norms_row(&centres);
        let mut counts: Option<Tensor<B, 2>> = None;
        let mut sums: Option<Tensor<B, 2>> = None;
        let mut changed: Option<Tensor<B, 1>> = None;
        let mut labels: Vec<Tensor<B, 1, Int>> = Vec::with_capacity(previous.len());
        source.for_each_batch(&mut |batch: Batch<B>| {
            let nb = batch.n_samples();
            if nb == 0 {
                return Ok(());
            }
            let (lab, _) = nearest(&batch.x, &centres, &c_sq);
            let r = batch.weigh(one_hot_like(lab.clone(), k, &batch.x));
            add(&mut counts, r.clone().sum_dim(0));
            add(&mut sums, r.transpose().matmul(batch.x.clone()));
            // Kept as i32 (half of flex's i64) for the next iteration's comparison: a
            // stream holds one label per row between passes.
            let lab = lab.cast(IntDType::I32);
            if let Some(prev) = previous.get(labels.len()) {
                let moved = lab.clone().not_equal(prev.clone());
                add(
                    &mut changed,
                    zeros_like_dtype::<B, 1, 2>([nb], &batch.x)
                        .mask_fill(moved, 1.0)
                        .sum(),
                );
            }
            labels.push(lab);
            Ok(())
        })?;
        let (Some(counts), Some(sums)) = (counts, sums) else {
            return Err(Error::EmptyData {
                n_samples: 0,
                n_features: d,
            });
        };
        // A shard of a data set split over processes: every shard's counts, sums and moved
        // rows (one all-reduce; a single process skips it and its host read).
        let (counts, sums, changed) = match source.reducer() {
            None => (counts, sums, changed),
            Some(reducer) => {
                let moved = changed.unwrap_or_else(|| full_like_dtype([1], 1.0, &centres));
                let mut all = all_reduce_tensors(
                    reducer,
                    vec![counts.reshape([k]), sums.reshape([k * d]), moved],
                )?;
                let moved = all.pop().expect("three sums");
                let sums = all.pop().expect("three sums").reshape([k, d]);
                (
                    all.pop().expect("three sums").reshape([1, k]),
                    sums,
                    Some(moved),
                )
            }
        };
        let counts_col = counts.clone().transpose();
        let empty_mask = counts_col.clone().lower_equal_elem(0.0).expand([k, d]);
        let mut updated = (sums.clone() / counts_col).mask_where(empty_mask, centres.clone());
        let shift = (updated.clone() - centres.clone()).square().sum();
        // First iteration: every label is new.
        let changed = changed.unwrap_or_else(|| full_like_dtype([1], 1.0, &centres));
        // The single host read of the iteration: [shift, changed rows, weight per cluster].
        let mut read = to_vec_f64(Tensor::cat(vec![shift, changed, counts.reshape([k])], 0))?;
        if let Some(reducer) = source.reducer() {
            from_rank_zero(reducer, &mut read)?;
        }
        let mut shift = read[0];
        let labels_changed = read[1] > 0.0;
        let weights = &read[2..];
        let empty: Vec<usize> = (0..k).filter(|&j| weights[j] <= 0.0).collect();
        if !empty.is_empty() {
            let (relocated, relocated_shift) = relocate_empty(
                source, info, &centres, &c_sq, &sums, weights, &empty, &labels,
            )?;
            updated = relocated;
            shift = relocated_shift;
        }
        if !shift.is_finite() {
            return Err(Error::Diverged {
                iteration,
                value: format!("centre shift {shift}"),
            });
        }
        centres = updated;
        previous = labels;
        if !labels_changed || shift <= tol_abs {
            converged = true;
            break;
        }
    }
    // Final assignment against the final centres: labels and inertia (one read).
    let c_sq = sq_norms_row(&centres);
    drop(previous);
    let mut labels = Vec::new();
    let mut inertia: Option<Tensor<B, 1>> = None;
    source.for_each_batch(&mut |batch: Batch<B>| {
        let nb = batch.n_samples();
        if nb == 0 {
            return Ok(());
        }
        let (lab, min) = nearest(&batch.x, &centres, &c_sq);
        let min = match &batch.weight {
            Some(w) => min * w.clone(),
            None => min,
        };
        add(&mut inertia, min.sum());
        if keep_labels {
            labels.push(lab);
        }
        Ok(())
    })?;
    let Some(inertia) = inertia else {
        return Err(Error::EmptyData {
            n_samples: 0,
            n_features: d,
        });
    };
    let inertia = to_vec_f64(sum_over_shards(source, vec![inertia])?.remove(0))?[0];
    if !inertia.is_finite() {
        return Err(Error::Diverged {
            iteration: n_iter,
            value: format!("inertia {inertia}"),
        });
    }
    Ok(LloydRun {
        centres,
        inertia,
        n_iter,
        converged,
        labels,
    })
}
