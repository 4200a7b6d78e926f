//! Row-wise operations of the full-covariance E- and M-steps, fused on burn-flex (feature
//! `flex`) and composed from tensor operations on every other backend.
//!
//! [`triangular_square_norms`] and [`weighted_scatter`] are the two halves of a
//! full-covariance EM iteration (the Mahalanobis terms and the scatter matrices); on
//! burn-flex each is one pass with explicit SIMD that skips the zero or redundant triangle.
//! [`group_square_norms`] and [`row_kron`] are the steps of their composed forms.

use burn::tensor::{Tensor, backend::Backend};

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

/// Squared norms of every row's projections through `groups` blocks:
/// `out[n, k] = ‖f_n · side[:, k·D..(k+1)·D]‖²` (`f`: `[N, D + 1]`, `side`: `[D + 1, K·D]`).
/// With `f = [x − c, 1]` and block `k` = `[P_k; −(μ_k − c) P_k]`, `P_k` the Cholesky factor
/// of component `k`'s precision, these are the Mahalanobis terms `‖(x − μ_k) P_k‖²`.
///
/// The first `D` rows of every block must be **upper triangular** (zeros below the
/// diagonal, as scikit-learn's precision factors are): the burn-flex kernel skips them. Other
/// backends compute `group_square_norms(f · side, groups)`.
///
/// # Panics
/// If the shapes disagree (`side` must have `f`'s width in rows and `groups · (width − 1)`
/// columns).
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use mixture_core::rowwise::triangular_square_norms;
/// type B = burn_ndarray::NdArray<f64>;
/// let dev = Default::default();
/// // One row x = (1, 2) with the constant 1; one block [[1, 1], [0, 2]; [0, −1]].
/// let f = Tensor::<B, 2>::from_floats([[1.0, 2.0, 1.0]], &dev);
/// let side = Tensor::<B, 2>::from_floats([[1.0, 1.0], [0.0, 2.0], [0.0, -1.0]], &dev);
/// let s = triangular_square_norms(f, side, 1);
/// // y = (1, 1 + 4 − 1) = (1, 4): ‖y‖² = 17.
/// assert_eq!(s.into_data().to_vec::<f64>().unwrap(), vec![17.0]);
/// ```
pub fn triangular_square_norms<B: Backend>(
    f: Tensor<B, 2>,
    side: Tensor<B, 2>,
    groups: usize,
) -> Tensor<B, 2> {
    let [_, w] = f.dims();
    let [rows, cols] = side.dims();
    assert!(
        w >= 1 && rows == w && groups > 0 && cols == groups * (w - 1),
        "triangular_square_norms: f is [_, {w}], side [{rows}, {cols}], {groups} groups"
    );
    #[cfg(feature = "flex")]
    let (f, side) = match crate::flex::mahalanobis::try_triangular_square_norms(f, side, groups) {
        Ok(out) => return out,
        Err(back) => back,
    };
    group_square_norms(f.matmul(side), groups)
}

/// Every column's weighted scatter matrix: `out[k] = Σ_n w[n, k] x_n x_nᵀ` (`x`: `[N, D]`,
/// `w`: `[N, K]` → `[K, D, D]`). With `w` the responsibilities and `x` centred, these are
/// the full covariances' second moments.
///
/// On burn-flex one pass computes the upper triangle and mirrors it (the result is exactly
/// symmetric); other backends use `row_kron(x, w)ᵀ · x` in chunks of rows (bounded memory).
///
/// # Panics
/// If `x` and `w` have different numbers of rows.
///
/// # Example
/// ```
/// use burn::tensor::Tensor;
/// use mixture_core::rowwise::weighted_scatter;
/// type B = burn_ndarray::NdArray<f64>;
/// let dev = Default::default();
/// let x = Tensor::<B, 2>::from_floats([[1.0, 2.0], [3.0, 0.0]], &dev);
/// let w = Tensor::<B, 2>::from_floats([[1.0], [0.5]], &dev);
/// let s = weighted_scatter(x, w);
/// // 1·[1 2; 2 4] + 0.5·[9 0; 0 0]
/// assert_eq!(s.into_data().to_vec::<f64>().unwrap(), vec![5.5, 2.0, 2.0, 4.0]);
/// ```
pub fn weighted_scatter<B: Backend>(x: Tensor<B, 2>, w: Tensor<B, 2>) -> Tensor<B, 3> {
    let [n, d] = x.dims();
    let [m, k] = w.dims();
    assert_eq!(n, m, "weighted_scatter: {n} rows against {m}");
    #[cfg(feature = "flex")]
    let (x, w) = match crate::flex::scatter::try_weighted_scatter(x, w) {
        Ok(out) => return out,
        Err(back) => back,
    };
    // Chunks of rows bound the [rows, K·D] intermediate (see `Tuning::chunk_entries`).
    let step = crate::tuning::Tuning::of::<B>().chunk_rows(n, k * d);
    let mut acc: Option<Tensor<B, 2>> = None;
    let mut start = 0;
    while start < n {
        let end = (start + step).min(n);
        let (wc, xc) = if step >= n {
            (w.clone(), x.clone())
        } else {
            (
                w.clone().slice([start..end, 0..k]),
                x.clone().slice([start..end, 0..d]),
            )
        };
        let part = row_kron(xc.clone(), wc).transpose().matmul(xc);
        acc = Some(match acc {
            Some(a) => a + part,
            None => part,
        });
        start = end;
    }
    match acc {
        Some(a) => a.reshape([k, d, d]),
        None => crate::tensor::zeros_like_dtype([k, d, d], &x),
    }
}
