//! The full covariance's Mahalanobis terms in one pass: `out[n, k] = ‖f_n · W_k‖²`, where
//! `f = [x − c, 1]` and `W_k = [P_k; −(μ_k − c) P_k]` is component `k`'s block of the scoring
//! matrix, `P_k` the upper-triangular Cholesky factor of its precision.
//!
//! Composed, this is a GEMM `[N, D + 1] × [D + 1, K·D]` that writes all `K·D` projections
//! of every row to memory and a second pass that squares and sums them. Here a tile of rows
//! keeps its projections in vector registers and squares them there, and the triangle of
//! `P_k` is skipped a vector at a time: about 5/8 of the multiply-adds at D = 64, none of the
//! `[N, K·D]` traffic.

use burn::tensor::{DType, Tensor, TensorData, backend::Backend};
use burn_flex::FlexTensor;
use pulp::Simd;
use rayon::prelude::*;

use super::simd::{RowTiled, SimdReal, dispatch_lanes, dispatch_tiled, load};
use super::{PARALLEL_ENTRIES, buffer};

/// Vectors of one component's projections held per group of accumulators.
const GROUP: usize = 4;
/// Row tiles per block: a block visits every component, so one component's packed weights
/// stay in L1 across the block's tiles.
const BLOCK_TILES: usize = 8;
/// Rows per parallel task.
const TASK_ROWS: usize = 512;

/// `out[n, k] = ‖f_n · side[:, k·D..(k+1)·D]‖²` (`f`: `[N, D + 1]`, `side`: `[D + 1, K·D]`)
/// when both are burn-flex tensors of the same f32 or f64 dtype; otherwise both back. The
/// first `D` rows of every group of `side` must be upper triangular: whole vectors of the
/// zeros below the diagonal are skipped.
#[allow(clippy::type_complexity)]
pub(crate) fn try_triangular_square_norms<B: Backend>(
    f: Tensor<B, 2>,
    side: Tensor<B, 2>,
    groups: usize,
) -> Result<Tensor<B, 2>, (Tensor<B, 2>, Tensor<B, 2>)> {
    let [n, w] = f.dims();
    if w < 2 {
        return Err((f, side));
    }
    let d = w - 1;
    let (ft, st) = super::dense_pair(f, side)?;
    let out = match ft.dtype() {
        DType::F32 => TensorData::new(
            norms::<f32>(ft.storage(), st.storage(), n, d, groups),
            [n, groups],
        ),
        _ => TensorData::new(
            norms::<f64>(ft.storage(), st.storage(), n, d, groups),
            [n, groups],
        ),
    };
    Ok(super::restore(FlexTensor::from_data(out)))
}

fn norms<T: SimdReal>(f: &[T], side: &[T], n: usize, d: usize, k: usize) -> Vec<T> {
    let mut out = buffer(n * k);
    if n == 0 || k == 0 {
        return out;
    }
    // Each component's block, rows padded to whole vectors: [K][D + 1][dp].
    let lanes = dispatch_lanes::<T>();
    let v = d.div_ceil(lanes);
    let dp = v * lanes;
    let mut w = buffer::<T>(k * (d + 1) * dp);
    for kk in 0..k {
        for i in 0..=d {
            w[(kk * (d + 1) + i) * dp..][..d].copy_from_slice(&side[i * k * d + kk * d..][..d]);
        }
    }
    let task = |f: &[T], out: &mut [T]| {
        dispatch_tiled(Task {
            f,
            w: &w,
            out,
            d,
            k,
            v,
        })
    };
    if n * k * d < PARALLEL_ENTRIES {
        task(f, &mut out);
    } else {
        out.par_chunks_mut(TASK_ROWS * k)
            .zip(f.par_chunks(TASK_ROWS * (d + 1)))
            .for_each(|(o, f)| task(f, o));
    }
    out
}

/// One task's rows, run under the instruction set `Arch::dispatch` picked.
struct Task<'a, T> {
    f: &'a [T],
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
    let Task { f, w, out, d, k, v } = t;
    let lanes = T::lanes::<S>();
    let stride = d + 1;
    let block = (d + 1) * v * lanes;
    let rows = out.len() / k;
    let mut pad = vec![T::zero(); R * stride];
    let mut r0 = 0;
    while r0 < rows {
        let end = (r0 + R * BLOCK_TILES).min(rows);
        for kk in 0..k {
            let wk = &w[kk * block..][..block];
            let mut t0 = r0;
            while t0 < end {
                let m = (end - t0).min(R);
                let xt: &[T] = if m == R {
                    &f[t0 * stride..][..R * stride]
                } else {
                    pad[..m * stride].copy_from_slice(&f[t0 * stride..][..m * stride]);
                    pad[m * stride..].fill(T::zero());
                    &pad
                };
                let sq = tile::<S, T, R>(s, xt, wk, d, v);
                for r in 0..m {
                    out[(t0 + r) * k + kk] = sq[r];
                }
                t0 += m;
            }
        }
        r0 = end;
    }
}

/// `‖f_r · W‖²` for the `R` rows of `xt` against one component's packed block `wk`.
#[inline(always)]
fn tile<S: Simd, T: SimdReal, const R: usize>(
    s: S,
    xt: &[T],
    wk: &[T],
    d: usize,
    v: usize,
) -> [T; R] {
    let mut total = [T::zero(); R];
    let mut v0 = 0;
    while v0 < v {
        let g = (v - v0).min(GROUP);
        let part = match g {
            4 => group::<S, T, R, 4>(s, xt, wk, d, v, v0),
            3 => group::<S, T, R, 3>(s, xt, wk, d, v, v0),
            2 => group::<S, T, R, 2>(s, xt, wk, d, v, v0),
            _ => group::<S, T, R, 1>(s, xt, wk, d, v, v0),
        };
        for r in 0..R {
            total[r] = total[r] + part[r];
        }
        v0 += g;
    }
    total
}

/// The squared norms of the `G` projection vectors `v0..v0 + G` of `R` rows. Vector `v0 + g`
/// needs rows `i < (v0 + g + 1)·lanes` of the triangular block only; the rows are walked in
/// segments that feed one vector fewer each.
#[inline(always)]
fn group<S: Simd, T: SimdReal, const R: usize, const G: usize>(
    s: S,
    xt: &[T],
    wk: &[T],
    d: usize,
    v: usize,
    v0: usize,
) -> [T; R] {
    let lanes = T::lanes::<S>();
    let stride = d + 1;
    let dp = v * lanes;
    // The constant column: row D of the block times f[r, D] (the 1 of [x − c, 1]).
    let mut acc = [[T::vsplat(s, T::zero()); G]; R];
    let bias: [T::V<S>; G] = std::array::from_fn(|g| load::<S, T>(wk, d * dp + (v0 + g) * lanes));
    for r in 0..R {
        let c = T::vsplat(s, xt[r * stride + d]);
        for g in 0..G {
            acc[r][g] = T::vmul(s, c, bias[g]);
        }
    }
    let edge = |j: usize| ((v0 + j) * lanes).min(d);
    segment::<S, T, R, G, 0>(s, &mut acc, xt, wk, stride, dp, v0, 0, edge(1));
    if G > 1 {
        segment::<S, T, R, G, 1>(s, &mut acc, xt, wk, stride, dp, v0, edge(1), edge(2));
    }
    if G > 2 {
        segment::<S, T, R, G, 2>(s, &mut acc, xt, wk, stride, dp, v0, edge(2), edge(3));
    }
    if G > 3 {
        segment::<S, T, R, G, 3>(s, &mut acc, xt, wk, stride, dp, v0, edge(3), edge(4));
    }
    let mut out = [T::zero(); R];
    for r in 0..R {
        let mut q = T::vmul(s, acc[r][0], acc[r][0]);
        for g in 1..G {
            q = T::vmul_add(s, acc[r][g], acc[r][g], q);
        }
        out[r] = T::vsum(s, q);
    }
    out
}

/// Rows `lo..hi` of the block into the accumulators of vectors `S0..G`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn segment<S: Simd, T: SimdReal, const R: usize, const G: usize, const S0: usize>(
    s: S,
    acc: &mut [[T::V<S>; G]; R],
    xt: &[T],
    wk: &[T],
    stride: usize,
    dp: usize,
    v0: usize,
    lo: usize,
    hi: usize,
) {
    let lanes = T::lanes::<S>();
    for i in lo..hi {
        let base = i * dp + v0 * lanes;
        let wv: [T::V<S>; G] = std::array::from_fn(|g| {
            if g >= S0 {
                load::<S, T>(wk, base + g * lanes)
            } else {
                T::vsplat(s, T::zero())
            }
        });
        for r in 0..R {
            let x = T::vsplat(s, xt[r * stride + i]);
            for g in S0..G {
                acc[r][g] = T::vmul_add(s, x, wv[g], acc[r][g]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{from_f64, to_vec_f64};

    type F = burn_flex::Flex;

    fn values(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|i| (((i + seed) * 37 % 101) as f64 - 50.0) / 17.0)
            .collect()
    }

    /// `f` (`[n, d + 1]`, last column 1) and `side` (`[d + 1, k·d]`, every block upper
    /// triangular in its first `d` rows).
    fn problem(n: usize, d: usize, k: usize, dtype: DType) -> (Tensor<F, 2>, Tensor<F, 2>) {
        let dev = Default::default();
        let mut f = values(n * (d + 1), 1);
        for r in 0..n {
            f[r * (d + 1) + d] = 1.0;
        }
        let mut side = values((d + 1) * k * d, 2);
        for i in 0..d {
            for kk in 0..k {
                for j in 0..i {
                    side[i * k * d + kk * d + j] = 0.0;
                }
            }
        }
        (
            from_f64(f, [n, d + 1], &dev, dtype),
            from_f64(side, [d + 1, k * d], &dev, dtype),
        )
    }

    /// Against the composed definition `group_square_norms(f · side)`, at sizes that run on
    /// one thread and in parallel, widths that are and are not whole vectors, row counts that
    /// leave a partial tile, both dtypes.
    #[test]
    fn kernel_matches_the_composed_definition() {
        for (n, d, k) in [
            (3usize, 4usize, 2usize),
            (1, 1, 1),
            (1000, 17, 3),
            (700, 64, 16),
            (257, 40, 5),
        ] {
            for (dtype, tol) in [(DType::F64, 1e-12), (DType::F32, 2e-5)] {
                let (f, side) = problem(n, d, k, dtype);
                let y = f.clone().matmul(side.clone());
                let want = (y.clone() * y)
                    .reshape([n, k, d])
                    .sum_dim(2)
                    .reshape([n, k]);
                let got = try_triangular_square_norms(f, side, k).expect("flex");
                assert_eq!(got.dims(), [n, k]);
                assert_eq!(got.dtype(), dtype);
                for (a, b) in to_vec_f64(got)
                    .unwrap()
                    .iter()
                    .zip(to_vec_f64(want).unwrap())
                {
                    assert!(
                        (a - b).abs() <= tol * b.abs().max(1.0),
                        "n={n} d={d} k={k} {dtype:?}: {a} vs {b}"
                    );
                }
            }
        }
    }

    /// A strided (transposed) input is copied first and gives the same result.
    #[test]
    fn strided_inputs_are_read_correctly() {
        let (f, side) = problem(50, 9, 3, DType::F64);
        let strided = f.clone().transpose().transpose();
        let a = to_vec_f64(try_triangular_square_norms(f, side.clone(), 3).unwrap()).unwrap();
        let b = to_vec_f64(try_triangular_square_norms(strided, side, 3).unwrap()).unwrap();
        assert_eq!(a, b);
    }

    /// Other backends and mixed dtypes get their tensors back.
    #[test]
    fn other_backends_and_mixed_dtypes_are_returned() {
        let nd = from_f64::<burn_ndarray::NdArray<f64>, 2>(
            vec![1.0, 2.0, 1.0],
            [1, 3],
            &Default::default(),
            DType::F64,
        );
        let side = from_f64::<burn_ndarray::NdArray<f64>, 2>(
            vec![1.0, 1.0, 0.0, 2.0, 0.0, -1.0],
            [3, 2],
            &Default::default(),
            DType::F64,
        );
        let (f, s) = try_triangular_square_norms(nd, side, 1).expect_err("ndarray");
        assert_eq!(to_vec_f64(f).unwrap(), vec![1.0, 2.0, 1.0]);
        assert_eq!(s.dims(), [3, 2]);
        let (f, _) = problem(2, 2, 1, DType::F32);
        let (_, s) = problem(2, 2, 1, DType::F64);
        let (f, s) = try_triangular_square_norms(f, s, 1).expect_err("mixed dtypes");
        assert_eq!((f.dtype(), s.dtype()), (DType::F32, DType::F64));
    }
}
