//! Batched squared Euclidean distances and row gathering from a data source.

use burn::tensor::{Int, Tensor, backend::Backend};
use mixture_core::{DataSource, Result};

/// `‖c_k‖²` as a `[1, K]` row, computed once per set of centres.
pub(crate) fn sq_norms_row<B: Backend>(centres: &Tensor<B, 2>) -> Tensor<B, 2> {
    centres.clone().square().sum_dim(1).transpose()
}

/// Squared distances `[N, K]` between the rows of `x` (`[N, D]`) and `centres` (`[K, D]`),
/// as `‖x‖² − 2·x·Cᵀ + ‖c‖²` clamped at 0; `c_sq` is [`sq_norms_row`] of the centres.
pub(crate) fn sq_distances<B: Backend>(
    x: &Tensor<B, 2>,
    centres: &Tensor<B, 2>,
    c_sq: &Tensor<B, 2>,
) -> Tensor<B, 2> {
    let [n, _] = x.dims();
    let k = centres.dims()[0];
    let x_sq = x.clone().square().sum_dim(1);
    let cross = x.clone().matmul(centres.clone().transpose());
    (x_sq.expand([n, k]) - cross.mul_scalar(2.0) + c_sq.clone().expand([n, k])).clamp_min(0.0)
}

/// The nearest centre of every row (ties to the lowest index) and the squared distance to it:
/// `([N], [N])`.
pub(crate) fn nearest<B: Backend>(
    x: &Tensor<B, 2>,
    centres: &Tensor<B, 2>,
    c_sq: &Tensor<B, 2>,
) -> (Tensor<B, 1, Int>, Tensor<B, 1>) {
    let n = x.dims()[0];
    let d2 = sq_distances(x, centres, c_sq);
    let labels = d2.clone().argmin(1).reshape([n]);
    let min = d2.min_dim(1).reshape([n]);
    (labels, min)
}

/// The rows `indices` (global row numbers, any order, repeats allowed) of `source`, as a
/// `[indices.len(), D]` tensor in the order of `indices` ([`mixture_core::batch::gather_rows`]
/// without the weights).
pub(crate) fn gather_rows<B: Backend, S: DataSource<B> + ?Sized>(
    source: &S,
    indices: &[usize],
) -> Result<Tensor<B, 2>> {
    Ok(mixture_core::batch::gather_rows(source, indices)?.x)
}

/// Index of the first entry of the non-decreasing cumulative sums `cum` that exceeds `r`
/// (inverse-CDF sampling), clipped to the last index whose own mass is positive.
pub(crate) fn search_cumulative(cum: &[f64], r: f64) -> usize {
    let i = cum.partition_point(|&c| c <= r);
    if i < cum.len() {
        return i;
    }
    // r ≥ total by rounding: the last row that carries mass.
    let mut j = cum.len() - 1;
    while j > 0 && cum[j] <= cum[j - 1] {
        j -= 1;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_cdf_skips_massless_rows() {
        let cum = [0.0, 1.0, 1.0, 3.0, 3.0];
        assert_eq!(search_cumulative(&cum, 0.0), 1);
        assert_eq!(search_cumulative(&cum, 0.999), 1);
        assert_eq!(search_cumulative(&cum, 1.0), 3);
        assert_eq!(search_cumulative(&cum, 2.5), 3);
        assert_eq!(search_cumulative(&cum, 3.0), 3);
        assert_eq!(search_cumulative(&cum, 7.0), 3);
    }
}
