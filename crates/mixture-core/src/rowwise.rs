//! Row-wise operations of the full-covariance E- and M-steps, fused on burn-flex (feature
//! `flex`) and composed from tensor operations on every other backend.

use burn::tensor::{backend::Backend, Tensor};

/// Sums of squares of consecutive groups of columns: `out[n, g] = Σ_j y[n, g·w + j]²` for
/// `groups` groups of `w = cols / groups` columns (`[N, groups·w]` → `[N, groups]`). With
/// every component's `y_k = (x − μ_k) P_k` side by side, these are the Mahalanobis terms.
///
/// # Panics
/// If `groups` is zero or does not divide the number of columns.
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use mixture_core::rowwise::group_square_norms;
/// type B = burn_ndarray::NdArray<f64>;
/// let y = Tensor::<B, 2>::from_floats([[1.0, 2.0, 3.0, 4.0]], &Default::default());
/// let s = group_square_norms(y, 2);
/// assert_eq!(s.into_data().to_vec::<f64>().unwrap(), vec![5.0, 25.0]);
/// ```
pub fn group_square_norms<B: Backend>(y: Tensor<B, 2>, groups: usize) -> Tensor<B, 2> {
    let [n, cols] = y.dims();
    assert!(
        groups > 0 && cols % groups == 0,
        "{groups} groups do not divide {cols} columns"
    );
    #[cfg(feature = "flex")]
    let y = match crate::flex::rows::try_group_square_norms(y, groups) {
        Ok(out) => return out,
        Err(y) => y,
    };
    (y.clone() * y)
        .reshape([n, groups, cols / groups])
        .sum_dim(2)
        .reshape([n, groups])
}

/// The row-wise Kronecker product: `out[n, k·D + j] = w[n, k] · x[n, j]` (`[N, D]`, `[N, K]`
/// → `[N, K·D]`): every row of `x` once per column of `w`, scaled by it. With `w` the
/// responsibilities, `outᵀ x` is every component's weighted scatter matrix in one product.
///
/// # Panics
/// If `x` and `w` have different numbers of rows.
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use mixture_core::rowwise::row_kron;
/// type B = burn_ndarray::NdArray<f64>;
/// let dev = Default::default();
/// let x = Tensor::<B, 2>::from_floats([[1.0, 2.0]], &dev);
/// let w = Tensor::<B, 2>::from_floats([[10.0, 0.5]], &dev);
/// let z = row_kron(x, w);
/// assert_eq!(z.into_data().to_vec::<f64>().unwrap(), vec![10.0, 20.0, 0.5, 1.0]);
/// ```
pub fn row_kron<B: Backend>(x: Tensor<B, 2>, w: Tensor<B, 2>) -> Tensor<B, 2> {
    let [n, d] = x.dims();
    let [m, k] = w.dims();
    assert_eq!(n, m, "row_kron: {n} rows against {m}");
    #[cfg(feature = "flex")]
    let (x, w) = match crate::flex::rows::try_row_kron(x, w) {
        Ok(out) => return out,
        Err(back) => back,
    };
    // Rows repeated per column of `w` (contiguous), times one scalar per (row, column): the
    // broadcast pattern backends run fastest.
    (x.unsqueeze_dim::<3>(1).repeat_dim(1, k) * w.unsqueeze_dim::<3>(2)).reshape([n, k * d])
}
