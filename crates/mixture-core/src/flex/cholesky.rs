//! The batched Cholesky factorisation on burn-flex: each matrix factored by a direct loop
//! on the tensor's buffer. Composed from tensor operations, the factorisation is `D` steps
//! of small batched operations (about 20 ms per EM iteration at K = 16, D = 64, more than
//! its arithmetic by a hundredfold); here it is one pass of `K·D³/6` multiply-adds.

use burn::tensor::{DType, Tensor, TensorData, backend::Backend};
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::{Real, buffer};

/// `(L, smallest pivot per matrix)` of `a` (`[K, D, D]`) when it is a burn-flex f32 or f64
/// tensor; otherwise `a` back. The same column formula as the composed path
/// (`L[:, j] = mask_j (A[:, j] − L[:, :j] L[j, :j]ᵀ) / √pivot_j`), so a matrix that is not
/// positive definite gets the same NaN factor and a pivot ≤ 0 or NaN.
#[allow(clippy::type_complexity)]
pub(crate) fn try_cholesky<B: Backend>(
    a: Tensor<B, 3>,
) -> Result<(Tensor<B, 3>, Tensor<B, 1>), Tensor<B, 3>> {
    let [k, d, _] = a.dims();
    let t = super::dense(a)?;
    let (l, p) = match t.dtype() {
        DType::F32 => {
            let (l, p) = factor::<f32>(t.storage(), k, d);
            (TensorData::new(l, [k, d, d]), TensorData::new(p, [k]))
        }
        _ => {
            let (l, p) = factor::<f64>(t.storage(), k, d);
            (TensorData::new(l, [k, d, d]), TensorData::new(p, [k]))
        }
    };
    Ok((
        super::restore(FlexTensor::from_data(l)),
        super::restore(FlexTensor::from_data(p)),
    ))
}

fn factor<T: Real>(a: &[T], k: usize, d: usize) -> (Vec<T>, Vec<T>) {
    let mut l = buffer(k * d * d);
    let mut pivots = buffer(k);
    if d == 0 {
        pivots.fill(T::infinity());
        return (l, pivots);
    }
    l.par_chunks_mut(d * d)
        .zip(a.par_chunks(d * d))
        .zip(pivots.par_iter_mut())
        .for_each(|((l, a), p)| *p = factor_one(a, l, d));
    (l, pivots)
}

/// Factors one `d × d` matrix into `l` (zeroed); returns its smallest pivot, or for a
/// matrix that is not positive definite the first pivot that is ≤ 0 or NaN.
fn factor_one<T: Real>(a: &[T], l: &mut [T], d: usize) -> T {
    let mut smallest = T::infinity();
    for j in 0..d {
        let dot = |l: &[T], i: usize| -> T {
            let (ri, rj) = (&l[i * d..i * d + j], &l[j * d..j * d + j]);
            ri.iter().zip(rj).fold(T::zero(), |s, (&x, &y)| s + x * y)
        };
        let pivot = a[j * d + j] - dot(l, j);
        let root = pivot.sqrt();
        for i in 0..d {
            let v = if i >= j {
                a[i * d + j] - dot(l, i)
            } else {
                T::zero()
            };
            l[i * d + j] = v / root;
        }
        // Once a pivot fails (≤ 0 or NaN), it is the one reported: the later ones are NaN.
        if smallest > T::zero() {
            smallest = if pivot.is_nan() {
                pivot
            } else {
                smallest.min(pivot)
            };
        }
    }
    smallest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{from_f64, to_vec_f64};

    type F = burn_flex::Flex;
    type N = burn_ndarray::NdArray<f64>;

    /// `k` symmetric positive definite `d × d` matrices `M Mᵀ + I`, row-major.
    fn spd(k: usize, d: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(k * d * d);
        for kk in 0..k {
            let m: Vec<f64> = (0..d * d)
                .map(|i| (((i + kk * 13) * 37 % 101) as f64 - 50.0) / 40.0)
                .collect();
            for i in 0..d {
                for j in 0..d {
                    let dot: f64 = (0..d).map(|p| m[i * d + p] * m[j * d + p]).sum();
                    out.push(dot + if i == j { 1.0 } else { 0.0 });
                }
            }
        }
        out
    }

    /// The same factors and pivots as the composed path (on ndarray, f64), in both dtypes.
    #[test]
    fn kernel_matches_the_composed_factorisation() {
        for (k, d) in [(1usize, 1usize), (3, 4), (16, 64), (2, 17)] {
            let a = spd(k, d);
            let (l_ref, p_ref) = crate::linalg::cholesky(from_f64::<N, 3>(
                a.clone(),
                [k, d, d],
                &Default::default(),
                DType::F64,
            ));
            let (l_ref, p_ref) = (to_vec_f64(l_ref).unwrap(), to_vec_f64(p_ref).unwrap());
            for (dtype, tol) in [(DType::F64, 1e-11), (DType::F32, 2e-4)] {
                let t = from_f64::<F, 3>(a.clone(), [k, d, d], &Default::default(), dtype);
                let (l, p) = try_cholesky(t).expect("flex");
                assert_eq!((l.dims(), p.dims(), l.dtype()), ([k, d, d], [k], dtype));
                for (x, y) in to_vec_f64(l).unwrap().iter().zip(&l_ref) {
                    assert!((x - y).abs() <= tol * y.abs().max(1.0), "{x} vs {y}");
                }
                for (x, y) in to_vec_f64(p).unwrap().iter().zip(&p_ref) {
                    assert!((x - y).abs() <= tol * y.abs().max(1.0), "{x} vs {y}");
                }
            }
        }
    }

    /// A matrix that is not positive definite gets a pivot ≤ 0 (or NaN) and a NaN factor;
    /// the others in the batch are untouched.
    #[test]
    fn an_indefinite_matrix_is_reported_and_contained() {
        let mut a = spd(2, 3);
        a[9..18].copy_from_slice(&[1.0, 2.0, 0.0, 2.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        let t = from_f64::<F, 3>(a, [2, 3, 3], &Default::default(), DType::F64);
        let (l, p) = try_cholesky(t).expect("flex");
        let (l, p) = (to_vec_f64(l).unwrap(), to_vec_f64(p).unwrap());
        assert!(p[0] > 0.0);
        assert!(p[1].is_nan() || p[1] <= 0.0, "pivot {}", p[1]);
        assert!(
            (p[1] + 3.0).abs() < 1e-12,
            "second pivot 1 − 2² = −3, got {}",
            p[1]
        );
        assert!(l[..9].iter().all(|v| v.is_finite()));
        assert!(l[9..].iter().any(|v| v.is_nan()));
    }

    /// Other backends get their tensor back.
    #[test]
    fn other_backends_are_returned() {
        let t = from_f64::<N, 3>(vec![4.0], [1, 1, 1], &Default::default(), DType::F64);
        let back = try_cholesky(t).expect_err("ndarray");
        assert_eq!(to_vec_f64(back).unwrap(), vec![4.0]);
    }
}
