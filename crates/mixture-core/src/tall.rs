//! Products of tall, skinny matrices (`N` rows, a few dozen columns), split into row chunks
//! and run as one batched product.
//!
//! A Gaussian mixture's scores `F · W` (`[N, A] × [A, K]`) and statistics `Rᵀ F`
//! (`[K, N] × [N, A]`) have tiny outputs and one long dimension. Plain 2-D products of that
//! shape leave a CPU backend single-threaded (burn-flex parallelises a 2-D GEMM only past
//! ~7·10⁶ multiply-adds, and never splits the long inner dimension of `Rᵀ F`); the same
//! product as a batch of row chunks runs the chunks in parallel. Results equal the plain
//! products up to the order of the additions.

use burn::tensor::{Tensor, backend::Backend};

/// Row chunks per product.
const CHUNKS: usize = 8;
/// Below this many rows per chunk the plain product is used.
const MIN_CHUNK_ROWS: usize = 128;

/// `a · b` for a tall `a` (`[N, A]` × `[A, W]` → `[N, W]`), as a batch of row chunks.
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use mixture_core::tall::matmul_rows;
/// type B = burn_flex::Flex;
/// let dev = Default::default();
/// let a = Tensor::<B, 2>::ones([2000, 3], &dev);
/// let b = Tensor::<B, 2>::from_floats([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], &dev);
/// let c = matmul_rows(a, b);
/// assert_eq!(c.dims(), [2000, 2]);
/// assert_eq!(c.sum_dim(0).into_data().to_vec::<f32>().unwrap(), vec![18000.0, 24000.0]);
/// ```
pub fn matmul_rows<B: Backend>(a: Tensor<B, 2>, b: Tensor<B, 2>) -> Tensor<B, 2> {
    let [n, k] = a.dims();
    let w = b.dims()[1];
    let per = n / CHUNKS;
    if per < MIN_CHUNK_ROWS {
        return a.matmul(b);
    }
    let m = per * CHUNKS;
    let head = a
        .clone()
        .slice([0..m, 0..k])
        .reshape([CHUNKS, per, k])
        .matmul(b.clone().unsqueeze_dim::<3>(0))
        .reshape([m, w]);
    if m == n {
        head
    } else {
        Tensor::cat(vec![head, a.slice([m..n, 0..k]).matmul(b)], 0)
    }
}

/// `aᵀ · b` for tall `a` and `b` (`[N, K]`, `[N, W]` → `[K, W]`): the chunks' products,
/// summed.
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use mixture_core::tall::transpose_matmul;
/// type B = burn_flex::Flex;
/// let dev = Default::default();
/// let r = Tensor::<B, 2>::ones([3000, 2], &dev);
/// let f = Tensor::<B, 2>::ones([3000, 4], &dev).mul_scalar(0.5);
/// let s = transpose_matmul(r, f);
/// assert_eq!(s.dims(), [2, 4]);
/// assert_eq!(s.into_data().to_vec::<f32>().unwrap(), vec![1500.0; 8]);
/// ```
pub fn transpose_matmul<B: Backend>(a: Tensor<B, 2>, b: Tensor<B, 2>) -> Tensor<B, 2> {
    let [n, k] = a.dims();
    let w = b.dims()[1];
    let per = n / CHUNKS;
    if per < MIN_CHUNK_ROWS {
        return a.transpose().matmul(b);
    }
    let m = per * CHUNKS;
    let head = a
        .clone()
        .slice([0..m, 0..k])
        .reshape([CHUNKS, per, k])
        .swap_dims(1, 2)
        .matmul(b.clone().slice([0..m, 0..w]).reshape([CHUNKS, per, w]))
        .sum_dim(0)
        .reshape([k, w]);
    if m == n {
        head
    } else {
        head + a
            .slice([m..n, 0..k])
            .transpose()
            .matmul(b.slice([m..n, 0..w]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{from_f64, to_vec_f64};
    use burn::tensor::DType;

    type B = burn_ndarray::NdArray<f64>;

    /// Chunked products equal the plain ones, with and without a remainder of rows.
    #[test]
    fn chunked_products_equal_plain_products() {
        let dev = Default::default();
        for n in [
            5,
            CHUNKS * MIN_CHUNK_ROWS,
            CHUNKS * MIN_CHUNK_ROWS + 7,
            3001,
        ] {
            let a = from_f64::<B, 2>(
                (0..n * 3)
                    .map(|i| ((i * 31 % 17) as f64) / 7.0 - 1.0)
                    .collect(),
                [n, 3],
                &dev,
                DType::F64,
            );
            let b = from_f64::<B, 2>(
                (0..n * 4)
                    .map(|i| ((i * 13 % 11) as f64) / 5.0 - 1.0)
                    .collect(),
                [n, 4],
                &dev,
                DType::F64,
            );
            let w = from_f64::<B, 2>(
                (0..12).map(|i| i as f64 - 5.5).collect(),
                [3, 4],
                &dev,
                DType::F64,
            );
            let close = |x: Tensor<B, 2>, y: Tensor<B, 2>| {
                assert_eq!(x.dims(), y.dims());
                for (x, y) in to_vec_f64(x).unwrap().iter().zip(to_vec_f64(y).unwrap()) {
                    assert!((x - y).abs() < 1e-9 * y.abs().max(1.0), "{x} vs {y}");
                }
            };
            close(matmul_rows(a.clone(), w.clone()), a.clone().matmul(w));
            close(
                transpose_matmul(a.clone(), b.clone()),
                a.transpose().matmul(b),
            );
        }
    }
}
