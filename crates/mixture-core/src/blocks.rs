//! Row blocks of a large input: a row-wise evaluation (scores, labels, responsibilities) run
//! block by block, so that its `[rows, K]` intermediates take the memory of one block, not of
//! the whole data set.
//!
//! A fitted model's `predict`, `score_samples` or `score` on a million rows would otherwise
//! hold several `[N, K]` matrices at once (the joint log-densities, their exponentials, the
//! normaliser): 64 MiB each at `N = 10⁶, K = 16` in f32. Results equal the unblocked
//! evaluation up to the order of the additions in the sums; a single block (small data) runs
//! the function once, on `x` itself.

use burn::tensor::{BasicOps, Tensor, TensorKind, backend::Backend};

/// `f` applied to consecutive blocks of at most `rows` rows of `x`, the results concatenated
/// along their first dimension (one per row, in the order of the rows).
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use mixture_core::blocks::map_row_blocks;
/// type B = burn_flex::Flex;
/// let dev = Default::default();
/// let x = Tensor::<B, 2>::from_floats([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], &dev);
/// let sums = map_row_blocks(&x, 2, |b| b.sum_dim(1).squeeze_dim::<1>(1));
/// assert_eq!(sums.into_data().to_vec::<f32>().unwrap(), vec![3.0, 7.0, 11.0]);
/// ```
pub fn map_row_blocks<B, const D: usize, K>(
    x: &Tensor<B, 2>,
    rows: usize,
    mut f: impl FnMut(Tensor<B, 2>) -> Tensor<B, D, K>,
) -> Tensor<B, D, K>
where
    B: Backend,
    K: TensorKind<B> + BasicOps<B>,
{
    let [n, d] = x.dims();
    let rows = rows.max(1);
    if n <= rows {
        return f(x.clone());
    }
    let parts = (0..n)
        .step_by(rows)
        .map(|start| f(x.clone().slice([start..(start + rows).min(n), 0..d])))
        .collect();
    Tensor::cat(parts, 0)
}

/// The sum over consecutive blocks of at most `rows` rows of `x` of `f(block)` (a tensor of
/// the same shape for every block: per-block totals), added on the device, with no host
/// read.
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use mixture_core::blocks::sum_row_blocks;
/// type B = burn_flex::Flex;
/// let dev = Default::default();
/// let x = Tensor::<B, 2>::from_floats([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], &dev);
/// let total = sum_row_blocks(&x, 2, |b| b.sum().reshape([1]));
/// assert_eq!(total.into_data().to_vec::<f32>().unwrap(), vec![21.0]);
/// ```
pub fn sum_row_blocks<B: Backend, const D: usize>(
    x: &Tensor<B, 2>,
    rows: usize,
    mut f: impl FnMut(Tensor<B, 2>) -> Tensor<B, D>,
) -> Tensor<B, D> {
    let [n, d] = x.dims();
    let rows = rows.max(1);
    if n <= rows {
        return f(x.clone());
    }
    (rows..n)
        .step_by(rows)
        .fold(f(x.clone().slice([0..rows, 0..d])), |acc, start| {
            acc + f(x.clone().slice([start..(start + rows).min(n), 0..d]))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Int;

    type B = burn_flex::Flex;

    #[test]
    fn blocks_of_every_size_give_the_whole_evaluation() {
        let dev = Default::default();
        let x = Tensor::<B, 1, Int>::arange(0..21, &dev)
            .float()
            .reshape([7, 3]);
        let whole = x.clone().argmax(1).reshape([7]).into_data();
        let total = x.clone().sum().into_data();
        for rows in [0, 1, 2, 3, 6, 7, 100] {
            let got = map_row_blocks(&x, rows, |b| {
                let m = b.dims()[0];
                b.argmax(1).reshape([m])
            });
            assert_eq!(got.into_data(), whole, "rows = {rows}");
            let sum = sum_row_blocks(&x, rows, |b| b.sum());
            assert_eq!(sum.into_data(), total, "rows = {rows}");
        }
        let cols = map_row_blocks(&x, 3, |b| {
            let m = b.dims()[0];
            b.slice([0..m, 1..2])
        });
        assert_eq!(cols.dims(), [7, 1]);
        assert_eq!(
            cols.into_data().to_vec::<f32>().unwrap(),
            vec![1.0, 4.0, 7.0, 10.0, 13.0, 16.0, 19.0]
        );
    }
}
