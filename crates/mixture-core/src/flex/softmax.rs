//! A fused row softmax with log-sum-exp for burn-flex: the E-step's
//! normalisation as one pass over the `[N, K]` matrix instead of burn-flex's composed or
//! fused operations.
//!
//! burn 0.21 has no fused log-sum-exp, and on burn-flex the E-step normalisation built from
//! tensor operations (row maximum, shift, floor, softmax, maximum of the result, logarithm)
//! took about half of a diagonal EM iteration: six passes over the matrix, libm's scalar
//! `expf` (burn-flex has no vector `exp`), and the row maximum of `K = 16` entries run as a
//! scalar loop. This kernel is what a backend extension does for a fused operation burn
//! lacks: it reads the scores once, in parallel row blocks, and writes the responsibilities
//! and the log-normaliser, with an `exp` the compiler vectorises (f32: Cephes' `expf`
//! polynomial, ≤ 2 ulp on its range; f64: the standard library's `exp`).
//!
//! [`softmax_with_logsumexp`](crate::logsumexp::softmax_with_logsumexp) dispatches here
//! when the backend's float tensors are burn-flex tensors of f32 or f64 (a type check at
//! run time; nothing changes for other backends, `Autodiff<Flex>` included); results equal
//! [`logsumexp_with_exp`](crate::logsumexp::logsumexp_with_exp)'s to rounding, with the
//! same floor of `e^-80` and the same result for rows of `-inf`.

use burn::tensor::{DType, Tensor, TensorData, backend::Backend};
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::{PARALLEL_ENTRIES, Real, TASK_ENTRIES, lanes};

/// The fused normalisation of `a` (`[N, K]`) when `B`'s float tensors are burn-flex tensors
/// of f32 or f64: `Ok((log-normaliser [N, 1], responsibilities [N, K]))`. Any other backend
/// or dtype gets `a` back unchanged in `Err`.
///
/// The responsibilities overwrite the scores' buffer when the caller hands over the only
/// reference to it (the E-step does); otherwise the buffer is copied first.
pub(crate) fn try_softmax_with_logsumexp<B: Backend>(
    a: Tensor<B, 2>,
) -> Result<(Tensor<B, 2>, Tensor<B, 2>), Tensor<B, 2>> {
    let [n, k] = a.dims();
    let mut t = super::dense(a)?;
    let lse = match t.dtype() {
        DType::F32 => TensorData::new(normalise::<f32>(t.storage_mut(), n, k), [n, 1]),
        _ => TensorData::new(normalise::<f64>(t.storage_mut(), n, k), [n, 1]),
    };
    Ok((
        super::restore(FlexTensor::from_data(lse)),
        super::restore(t),
    ))
}

/// Row-wise softmax of a row-major `[n, k]` matrix, in place; returns the rows'
/// `log Σ_k e^{a_k}`.
fn normalise<T: Real>(a: &mut [T], n: usize, k: usize) -> Vec<T> {
    let mut lse = super::buffer(n);
    if k == 0 {
        return lse;
    }
    if n * k < PARALLEL_ENTRIES {
        rows(a, &mut lse, k);
    } else {
        let per = (TASK_ENTRIES / k).max(1);
        a.par_chunks_mut(per * k)
            .zip(lse.par_chunks_mut(per))
            .for_each(|(a, l)| rows(a, l, k));
    }
    lse
}

/// The kernel on a block of whole rows, in three sweeps so that the `exp` sweep has no
/// reduction in it and vectorises: shift and floor every row, `exp` over the whole block,
/// then normalise each row and take its logarithm.
fn rows<T: Real>(a: &mut [T], lse: &mut [T], k: usize) {
    for (row, l) in a.chunks_exact_mut(k).zip(lse.iter_mut()) {
        // The row maximum; a NaN entry is passed over here and poisons the row below.
        let pick = |m: T, v: T| if v > m { v } else { m };
        let max = lanes(row, T::neg_infinity(), pick, pick);
        *l = max;
        // A row of -inf is shifted by 0: its entries all floor to e^-80 (equal weights)
        // and its log-normaliser is -inf, as in `logsumexp_with_exp`.
        let shift = if max.is_finite() { max } else { T::zero() };
        for v in row.iter_mut() {
            let t = *v - shift;
            // `t < FLOOR` is false for NaN, which stays NaN.
            *v = if t < T::FLOOR { T::FLOOR } else { t };
        }
    }
    for v in a.iter_mut() {
        *v = v.kernel_exp();
    }
    for (out, l) in a.chunks_exact_mut(k).zip(lse.iter_mut()) {
        let sum = lanes(out, T::zero(), |a, b| a + b, |a, b| a + b);
        let inv = sum.recip();
        for o in out.iter_mut() {
            *o = *o * inv;
        }
        *l = sum.ln() + *l;
    }
}

/// `e^x` for `x` in `[-87, 88]` (the kernel passes `[-80, 0]`): Cephes' `expf` (range
/// reduction by `ln 2` in two parts, a degree-5 polynomial; relative error ≈ 1e-7), written
/// without branches or calls so that loops over it vectorise.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Round to nearest by the 1.5·2²³ trick (exact for |v| < 2²²; SSE2 has no `roundps`).
    const ROUND: f32 = 12_582_912.0;
    let v = x * LOG2E + ROUND;
    let n = v - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let z = r * r;
    let p = ((((1.987_569_2e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    let y = p * z + r + 1.0;
    // 2^n through the exponent bits. `v`'s low mantissa bits hold n itself (v = 1.5·2²³ + n),
    // so integer arithmetic on the bits gives n + 127 without a float-to-int conversion
    // (Rust's saturating `as i32` does not vectorise).
    let biased = v.to_bits().wrapping_sub(ROUND.to_bits()).wrapping_add(127);
    y * f32::from_bits(biased << 23)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logsumexp::logsumexp_with_exp;
    use crate::tensor::{from_f64, to_vec_f64};

    type F = burn_flex::Flex;

    #[test]
    fn exp_f32_is_within_two_ulp_of_libm_on_the_kernels_range() {
        let mut worst = 0.0f64;
        for i in 0..=800_000 {
            let x = -80.0 + 80.0 * i as f32 / 800_000.0;
            let got = exp_f32(x) as f64;
            let want = (x as f64).exp();
            worst = worst.max(((got - want) / want).abs());
        }
        // f32's unit roundoff is 6e-8: two ulp.
        assert!(worst < 2.4e-7, "worst relative error {worst}");
    }

    fn rows_of(rows: &[f64], k: usize, dtype: DType) -> Tensor<F, 2> {
        from_f64::<F, 2>(
            rows.to_vec(),
            [rows.len() / k, k],
            &Default::default(),
            dtype,
        )
    }

    /// Both dtypes, sequential and parallel sizes, against the composed two-pass path;
    /// rows far from zero, rows spanning more than `exp` can represent, and rows of -inf.
    #[test]
    fn fused_kernel_matches_the_composed_path() {
        for (n, k) in [(4usize, 3usize), (20_000, 16), (3, 1)] {
            let mut v: Vec<f64> = (0..n * k)
                .map(|i| ((i * 37 % 101) as f64 - 50.0) * if i % 7 == 0 { 30.0 } else { 0.2 })
                .collect();
            if k == 3 {
                v[3..6].copy_from_slice(&[1000.0, 999.0, -5000.0]);
                v[9..12].copy_from_slice(&[f64::NEG_INFINITY; 3]);
            }
            for (dtype, tol) in [(DType::F64, 1e-13), (DType::F32, 1e-6)] {
                let a = rows_of(&v, k, dtype);
                let (lse, p) = try_softmax_with_logsumexp(a.clone()).expect("flex f32/f64");
                assert_eq!(p.dtype(), dtype);
                let (lse_b, p_b) = logsumexp_with_exp(a);
                let (lse, lse_b) = (to_vec_f64(lse).unwrap(), to_vec_f64(lse_b).unwrap());
                for (x, y) in lse.iter().zip(&lse_b) {
                    if y.is_infinite() {
                        assert_eq!(x, y);
                    } else {
                        assert!((x - y).abs() <= tol * y.abs().max(1.0), "{x} vs {y}");
                    }
                }
                let (p, p_b) = (to_vec_f64(p).unwrap(), to_vec_f64(p_b).unwrap());
                for (x, y) in p.iter().zip(&p_b) {
                    assert!((x - y).abs() <= tol * y.max(1e-30), "{x} vs {y}");
                }
                for row in p.chunks(k) {
                    let s: f64 = row.iter().sum();
                    assert!((s - 1.0).abs() < 10.0 * tol, "row sums to {s}");
                }
            }
        }
    }

    /// Unshared scores are overwritten in place; shared ones are copied first and left as
    /// they were. Both give the same values.
    #[test]
    fn in_place_and_copied_paths_agree() {
        let v: Vec<f64> = (0..40_000).map(|i| ((i * 13 % 29) as f64) - 14.0).collect();
        let shared = rows_of(&v, 8, DType::F32);
        let (lse_a, p_a) = try_softmax_with_logsumexp(shared.clone()).unwrap();
        let before = to_vec_f64(rows_of(&v, 8, DType::F32)).unwrap();
        assert_eq!(
            to_vec_f64(shared).unwrap(),
            before,
            "the caller's tensor changed"
        );
        let (lse_b, p_b) = try_softmax_with_logsumexp(rows_of(&v, 8, DType::F32)).unwrap();
        assert_eq!(to_vec_f64(lse_a).unwrap(), to_vec_f64(lse_b).unwrap());
        assert_eq!(to_vec_f64(p_a).unwrap(), to_vec_f64(p_b).unwrap());
    }

    /// Other backends and dtypes get their tensor back untouched.
    #[test]
    fn other_backends_and_dtypes_are_returned() {
        let v = vec![0.5, -1.0, 2.0, 3.0];
        let nd = from_f64::<burn_ndarray::NdArray<f64>, 2>(
            v.clone(),
            [2, 2],
            &Default::default(),
            DType::F64,
        );
        let back = try_softmax_with_logsumexp(nd).expect_err("ndarray is not flex");
        assert_eq!(to_vec_f64(back).unwrap(), v);
        let half = rows_of(&v, 2, DType::F16);
        let back = try_softmax_with_logsumexp(half).expect_err("f16 is not fused");
        assert_eq!(to_vec_f64(back).unwrap(), v);
    }

    /// A NaN score makes its row NaN instead of being floored away.
    #[test]
    fn nan_poisons_its_row() {
        let a = rows_of(&[0.0, f64::NAN, 1.0, 2.0], 2, DType::F32);
        let (lse, p) = try_softmax_with_logsumexp(a).unwrap();
        let (lse, p) = (to_vec_f64(lse).unwrap(), to_vec_f64(p).unwrap());
        assert!(lse[0].is_nan() && p[0].is_nan() && p[1].is_nan());
        assert!(lse[1].is_finite() && p[2].is_finite());
    }
}
