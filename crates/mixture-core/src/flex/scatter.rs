//! Every component's weighted scatter matrix in one pass: `out[k] = Σ_n w[n, k] x_n x_nᵀ`
//! (`[N, D]`, `[N, K]` → `[K, D, D]`), the full covariance's M-step statistics.
//!
//! Composed, this is the row-wise Kronecker product `[N, K·D]` written to memory and a GEMM
//! `[K·D, N] × [N, D]` that computes both triangles of every symmetric result. Here a small
//! block of rows, packed once, feeds register tiles of the upper triangle (whole vectors on
//! and above the diagonal: about 5/8 of the multiply-adds at D = 64), and the lower triangle
//! is mirrored from it at the end, so the result is exactly symmetric.

use burn::tensor::{DType, Tensor, TensorData, backend::Backend};
use burn_flex::FlexTensor;
use pulp::Simd;
use rayon::prelude::*;

use super::simd::{RowTiled, SimdReal, add_into, dispatch_lanes, dispatch_tiled, load};
use super::{PARALLEL_ENTRIES, buffer};

/// Vectors of columns per register tile.
const GROUP: usize = 4;
/// Rows packed per block (a block of D = 64 is 17 KiB: it stays in L1 while every tile of
/// every component walks it).
const BLOCK_ROWS: usize = 64;
/// Rows per parallel task at least (each task sums into its own `[K, D, D]`); data is
/// split into about four tasks per thread.
const MIN_TASK_ROWS: usize = 256;

/// `out[k] = Σ_n w[n, k] x_n x_nᵀ` when `x` and `w` are burn-flex tensors of the same f32 or
/// f64 dtype; otherwise both back.
#[allow(clippy::type_complexity)]
pub(crate) fn try_weighted_scatter<B: Backend>(
    x: Tensor<B, 2>,
    w: Tensor<B, 2>,
) -> Result<Tensor<B, 3>, (Tensor<B, 2>, Tensor<B, 2>)> {
    let [n, d] = x.dims();
    let k = w.dims()[1];
    if d == 0 {
        return Err((x, w));
    }
    let (xt, wt) = super::dense_pair(x, w)?;
    let out = match xt.dtype() {
        DType::F32 => TensorData::new(
            scatter::<f32>(xt.storage(), wt.storage(), n, d, k),
            [k, d, d],
        ),
        _ => TensorData::new(
            scatter::<f64>(xt.storage(), wt.storage(), n, d, k),
            [k, d, d],
        ),
    };
    Ok(super::restore(FlexTensor::from_data(out)))
}

fn scatter<T: SimdReal>(x: &[T], w: &[T], n: usize, d: usize, k: usize) -> Vec<T> {
    let lanes = dispatch_lanes::<T>();
    let v = d.div_ceil(lanes);
    let dp = v * lanes;
    let task = |x: &[T], w: &[T]| {
        let mut out = buffer::<T>(k * d * dp);
        dispatch_tiled(Task {
            x,
            w,
            out: &mut out,
            d,
            k,
            v,
        });
        out
    };
    let per = n
        .div_ceil(4 * rayon::current_num_threads())
        .max(MIN_TASK_ROWS);
    let upper = if n * k * d < PARALLEL_ENTRIES || n <= per {
        task(x, w)
    } else {
        x.par_chunks(per * d)
            .zip(w.par_chunks(per * k))
            .map(|(x, w)| task(x, w))
            .reduce_with(|mut a, b| {
                for (a, b) in a.iter_mut().zip(&b) {
                    *a = *a + *b;
                }
                a
            })
            .unwrap_or_else(|| buffer(k * d * dp))
    };
    // The upper triangle as computed, the lower one mirrored from it.
    let mut out = buffer(k * d * d);
    for kk in 0..k {
        let u = &upper[kk * d * dp..][..d * dp];
        let o = &mut out[kk * d * d..][..d * d];
        for i in 0..d {
            for j in 0..d {
                o[i * d + j] = if j >= i { u[i * dp + j] } else { u[j * dp + i] };
            }
        }
    }
    out
}

/// One task's rows, summed into `out` (`[K][D][dp]`, upper triangle by whole vectors).
struct Task<'a, T> {
    x: &'a [T],
    w: &'a [T],
    out: &'a mut [T],
    d: usize,
    k: usize,
    v: usize,
}

impl<T: SimdReal> RowTiled for Task<'_, T> {
    type Real = T;
    #[inline(always)]
    fn run<S: Simd, const R: usize>(self, s: S) {
        run::<S, T, R>(s, self)
    }
}

#[inline(always)]
fn run<S: Simd, T: SimdReal, const R: usize>(s: S, t: Task<'_, T>) {
    let Task { x, w, out, d, k, v } = t;
    let lanes = T::lanes::<S>();
    let dp = v * lanes;
    // Packed rows: the D values, zeros to whole vectors, and R more zeros so that a tile's
    // row broadcasts past D stay in the buffer.
    let xs = dp + R;
    let n = x.len() / d;
    let mut xb = buffer::<T>(BLOCK_ROWS * xs);
    // The block's rows weighted by one component's column of `w`, rebuilt per component.
    let mut wb = buffer::<T>(BLOCK_ROWS * dp);
    let mut b0 = 0;
    while b0 < n {
        let nb = (n - b0).min(BLOCK_ROWS);
        for r in 0..nb {
            xb[r * xs..][..d].copy_from_slice(&x[(b0 + r) * d..][..d]);
        }
        for kk in 0..k {
            for r in 0..nb {
                let c = w[(b0 + r) * k + kk];
                for (o, &v) in wb[r * dp..][..dp].iter_mut().zip(&xb[r * xs..][..dp]) {
                    *o = c * v;
                }
            }
            let ok = &mut out[kk * d * dp..][..d * dp];
            for i0 in (0..d).step_by(R) {
                // Rows i0.. need the columns from their own vector on.
                let mut v0 = i0 / lanes;
                while v0 < v {
                    let g = (v - v0).min(GROUP);
                    let at = Tile {
                        xb: &xb[..nb * xs],
                        xs,
                        wb: &wb[..nb * dp],
                        dp,
                        i0,
                        v0,
                    };
                    match g {
                        4 => tile::<S, T, R, 4>(s, at, ok, d),
                        3 => tile::<S, T, R, 3>(s, at, ok, d),
                        2 => tile::<S, T, R, 2>(s, at, ok, d),
                        _ => tile::<S, T, R, 1>(s, at, ok, d),
                    }
                    v0 += g;
                }
            }
        }
        b0 += nb;
    }
}

/// Where a register tile reads: the packed rows `xb` (stride `xs`) for the row values
/// `i0..i0 + R`, the weighted rows `wb` (stride `dp`) for the column vectors from `v0`.
#[derive(Clone, Copy)]
struct Tile<'a, T> {
    xb: &'a [T],
    xs: usize,
    wb: &'a [T],
    dp: usize,
    i0: usize,
    v0: usize,
}

/// `out[i0 + t, (v0 + g)·lanes..] += Σ_r x_r[i0 + t] · w_r x_r[(v0 + g)·lanes..]` over the
/// block's rows, for `t < R`, `g < G`.
#[inline(always)]
fn tile<S: Simd, T: SimdReal, const R: usize, const G: usize>(
    s: S,
    at: Tile<'_, T>,
    out: &mut [T],
    d: usize,
) {
    let lanes = T::lanes::<S>();
    let Tile {
        xb,
        xs,
        wb,
        dp,
        i0,
        v0,
    } = at;
    let mut acc = [[T::vsplat(s, T::zero()); G]; R];
    for (row, wrow) in xb.chunks_exact(xs).zip(wb.chunks_exact(dp)) {
        let b: &[T] = &row[i0..i0 + R];
        let u: &[T] = &wrow[v0 * lanes..][..G * lanes];
        let u: [T::V<S>; G] = std::array::from_fn(|g| load::<S, T>(u, g * lanes));
        for t in 0..R {
            let b = T::vsplat(s, b[t]);
            for g in 0..G {
                acc[t][g] = T::vmul_add(s, b, u[g], acc[t][g]);
            }
        }
    }
    for t in 0..R {
        let i = i0 + t;
        if i < d {
            for g in 0..G {
                add_into(s, out, i * dp + (v0 + g) * lanes, acc[t][g]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{from_f64, to_vec_f64};

    type F = burn_flex::Flex;

    use crate::flex::test_matrix as matrix;

    /// Against `Σ_n w[n, k] x_n x_nᵀ` composed (`(x ⊙ w_k)ᵀ x` per component), at sizes on
    /// one thread and in parallel, partial blocks and vectors, both dtypes; the result is
    /// exactly symmetric.
    #[test]
    fn kernel_matches_the_composed_definition() {
        for (n, d, k) in [
            (3usize, 4usize, 2usize),
            (1, 1, 1),
            (1000, 17, 3),
            (2500, 64, 16),
            (130, 40, 5),
        ] {
            for (dtype, tol) in [(DType::F64, 1e-12), (DType::F32, 2e-5)] {
                let x = matrix(n, d, 1, dtype);
                let w = matrix(n, k, 2, dtype).abs();
                let want: Vec<Tensor<F, 3>> = (0..k)
                    .map(|kk| {
                        let wk = w.clone().slice([0..n, kk..kk + 1]);
                        (x.clone() * wk)
                            .transpose()
                            .matmul(x.clone())
                            .unsqueeze_dim::<3>(0)
                    })
                    .collect();
                let want = to_vec_f64(Tensor::cat(want, 0)).unwrap();
                let got = try_weighted_scatter(x, w).expect("flex");
                assert_eq!(got.dims(), [k, d, d]);
                assert_eq!(got.dtype(), dtype);
                let got = to_vec_f64(got).unwrap();
                let scale = want.iter().fold(1.0f64, |m, v| m.max(v.abs()));
                for (a, b) in got.iter().zip(&want) {
                    assert!(
                        (a - b).abs() <= tol * scale,
                        "n={n} d={d} k={k} {dtype:?}: {a} vs {b}"
                    );
                }
                for kk in 0..k {
                    for i in 0..d {
                        for j in 0..d {
                            let (a, b) = (got[(kk * d + i) * d + j], got[(kk * d + j) * d + i]);
                            assert_eq!(a.to_bits(), b.to_bits());
                        }
                    }
                }
            }
        }
    }

    /// Other backends and mixed dtypes get their tensors back.
    #[test]
    fn other_backends_and_mixed_dtypes_are_returned() {
        let nd = from_f64::<burn_ndarray::NdArray<f64>, 2>(
            vec![1.0, 2.0],
            [1, 2],
            &Default::default(),
            DType::F64,
        );
        let (x, w) = try_weighted_scatter(nd.clone(), nd).expect_err("ndarray");
        assert_eq!(to_vec_f64(x).unwrap(), to_vec_f64(w).unwrap());
        let (x, w) = try_weighted_scatter(matrix(2, 2, 0, DType::F32), matrix(2, 1, 0, DType::F64))
            .expect_err("mixed dtypes");
        assert_eq!((x.dtype(), w.dtype()), (DType::F32, DType::F64));
    }
}
