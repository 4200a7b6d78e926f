//! Row-wise kernels of the full-covariance EM on burn-flex: the squared norms of groups of
//! columns (the Mahalanobis terms `‖y_k‖²` from the scoring product) and the row-wise
//! Kronecker product (every component's responsibility-weighted rows, side by side). Composed
//! from tensor operations they cost a broadcast, an allocation of the whole intermediate and
//! a reduction or a `repeat` each; here each is one parallel pass.

use burn::tensor::{DType, Tensor, TensorData, backend::Backend};
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::{PARALLEL_ENTRIES, Real, TASK_ENTRIES, buffer, lanes};

/// `out[n, g] = Σ_j y[n, g·w + j]²` for `groups` groups of `w = cols / groups` columns, when
/// `y` is a burn-flex f32 or f64 tensor; otherwise `y` back.
pub(crate) fn try_group_square_norms<B: Backend>(
    y: Tensor<B, 2>,
    groups: usize,
) -> Result<Tensor<B, 2>, Tensor<B, 2>> {
    let [n, cols] = y.dims();
    let t = super::dense(y)?;
    let out = match t.dtype() {
        DType::F32 => TensorData::new(
            square_norms::<f32>(t.storage(), n, cols, groups),
            [n, groups],
        ),
        _ => TensorData::new(
            square_norms::<f64>(t.storage(), n, cols, groups),
            [n, groups],
        ),
    };
    Ok(super::restore(FlexTensor::from_data(out)))
}

/// `out[n, k·d + j] = w[n, k] · x[n, j]` (`[N, D]`, `[N, K]` → `[N, K·D]`) when both are
/// burn-flex tensors of the same f32 or f64 dtype; otherwise both back.
#[allow(clippy::type_complexity)]
pub(crate) fn try_row_kron<B: Backend>(
    x: Tensor<B, 2>,
    w: Tensor<B, 2>,
) -> Result<Tensor<B, 2>, (Tensor<B, 2>, Tensor<B, 2>)> {
    let [n, d] = x.dims();
    let k = w.dims()[1];
    let (xt, wt) = super::dense_pair(x, w)?;
    let out = match xt.dtype() {
        DType::F32 => TensorData::new(kron::<f32>(xt.storage(), wt.storage(), n, d, k), [n, k * d]),
        _ => TensorData::new(kron::<f64>(xt.storage(), wt.storage(), n, d, k), [n, k * d]),
    };
    Ok(super::restore(FlexTensor::from_data(out)))
}

fn square_norms<T: Real>(y: &[T], n: usize, cols: usize, groups: usize) -> Vec<T> {
    let mut out = buffer(n * groups);
    if cols == 0 || groups == 0 {
        return out;
    }
    let w = cols / groups;
    let run = |y: &[T], out: &mut [T]| {
        for (row, o) in y.chunks_exact(cols).zip(out.chunks_exact_mut(groups)) {
            for (g, o) in row.chunks_exact(w).zip(o.iter_mut()) {
                *o = lanes(g, T::zero(), |s, v| s + v * v, |a, b| a + b);
            }
        }
    };
    if n * cols < PARALLEL_ENTRIES {
        run(y, &mut out);
    } else {
        let per = (TASK_ENTRIES / cols).max(1);
        out.par_chunks_mut(per * groups)
            .zip(y.par_chunks(per * cols))
            .for_each(|(o, y)| run(y, o));
    }
    out
}

fn kron<T: Real>(x: &[T], w: &[T], n: usize, d: usize, k: usize) -> Vec<T> {
    let width = k * d;
    let mut out = buffer(n * width);
    if width == 0 {
        return out;
    }
    let run = |x: &[T], w: &[T], out: &mut [T]| {
        for ((xr, wr), o) in x
            .chunks_exact(d)
            .zip(w.chunks_exact(k))
            .zip(out.chunks_exact_mut(width))
        {
            for (&wk, o) in wr.iter().zip(o.chunks_exact_mut(d)) {
                for (o, &v) in o.iter_mut().zip(xr) {
                    *o = wk * v;
                }
            }
        }
    };
    if n * width < PARALLEL_ENTRIES {
        run(x, w, &mut out);
    } else {
        let per = (TASK_ENTRIES / width).max(1);
        out.par_chunks_mut(per * width)
            .zip(x.par_chunks(per * d).zip(w.par_chunks(per * k)))
            .for_each(|(o, (x, w))| run(x, w, o));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{from_f64, to_vec_f64};

    use crate::flex::test_matrix as matrix;

    /// Both kernels against their composed definitions, sequential and parallel sizes,
    /// both dtypes; strided (transposed) inputs go through a copy first.
    #[test]
    fn kernels_match_their_composed_definitions() {
        for (n, d, k) in [(3usize, 4usize, 2usize), (700, 64, 16), (5000, 3, 5)] {
            for (dtype, tol) in [(DType::F64, 1e-13), (DType::F32, 1e-5)] {
                let y = matrix(n, k * d, 1, dtype);
                let want = (y.clone() * y.clone())
                    .reshape([n, k, d])
                    .sum_dim(2)
                    .reshape([n, k]);
                let got = try_group_square_norms(y, k).expect("flex");
                assert_eq!(got.dims(), [n, k]);
                for (a, b) in to_vec_f64(got)
                    .unwrap()
                    .iter()
                    .zip(to_vec_f64(want).unwrap())
                {
                    assert!((a - b).abs() <= tol * b.abs().max(1.0), "{a} vs {b}");
                }

                let x = matrix(d, n, 2, dtype).transpose(); // a strided view
                let w = matrix(n, k, 3, dtype);
                let want = (x.clone().unsqueeze_dim::<3>(1).repeat_dim(1, k)
                    * w.clone().unsqueeze_dim::<3>(2))
                .reshape([n, k * d]);
                let got = try_row_kron(x, w).expect("flex");
                assert_eq!(got.dims(), [n, k * d]);
                assert_eq!(to_vec_f64(got).unwrap(), to_vec_f64(want).unwrap());
            }
        }
    }

    /// Other backends, and mixed dtypes, get their tensors back.
    #[test]
    fn other_backends_and_mixed_dtypes_are_returned() {
        let nd = from_f64::<burn_ndarray::NdArray<f64>, 2>(
            vec![1.0, 2.0, 3.0, 4.0],
            [2, 2],
            &Default::default(),
            DType::F64,
        );
        let back = try_group_square_norms(nd.clone(), 1).expect_err("ndarray");
        assert_eq!(to_vec_f64(back).unwrap(), vec![1.0, 2.0, 3.0, 4.0]);
        let (a, b) = try_row_kron(nd.clone(), nd).expect_err("ndarray");
        assert_eq!(to_vec_f64(a).unwrap(), to_vec_f64(b).unwrap());
        let (x, w) = try_row_kron(matrix(2, 2, 0, DType::F32), matrix(2, 2, 0, DType::F64))
            .expect_err("mixed dtypes");
        assert_eq!((x.dtype(), w.dtype()), (DType::F32, DType::F64));
    }
}
