//! The inverse and log-determinant of K symmetric positive-definite matrices by the
//! symmetric sweep operator (Gauss–Jordan elimination without pivoting, batched).
//!
//! The Bayesian linear experts' posterior update needs `B = P⁻¹`, `log |B|` and the smallest
//! pivot of `P` (the positive-definiteness check) for the K posterior precisions `P` every EM
//! iteration.
//! Through the Cholesky factor that is a factorisation, a triangular inverse, two products
//! and a log-determinant: about a hundred small tensor ops for D = 3, whose cost on small
//! matrices is their dispatch, not their arithmetic. One sweep per column gives all three
//! in about ten ops per column.
//!
//! Sweeping column `j` of a symmetric `A` with pivot `d = A_jj` and column `c = A[:, j]`:
//!
//! `A ← A − (c − e_j)(c − e_j)ᵀ / d − 2 e_j e_jᵀ`
//!
//! which leaves `A_ik − c_i c_k / d` off row and column j, `c_i / d` on them and `−1/d` at
//! `(j, j)`: the symmetric form of the sweep. After all D columns the matrix is `−A⁻¹`. The
//! pivots met are the Schur complements `A_jj − Σ_{p<j} L_jp²`, the squared diagonal of the
//! Cholesky factor, so `log |A| = Σ_j log d_j` and the smallest pivot is the same positive
//! definiteness test as [`cholesky`](super::cholesky)'s. For a positive-definite matrix
//! elimination without pivoting is stable, as Cholesky is. The update is exactly symmetric in
//! floating point (`u_i u_k = u_k u_i`), so a symmetric input gives a symmetric inverse.

use crate::tensor::from_f64_like;
use burn::tensor::{Tensor, backend::Backend};

/// `(A⁻¹, log |A|, smallest pivot)` of a batch of symmetric matrices `a` (`[K, D, D]`),
/// shapes `[K, D, D]`, `[K]`, `[K]`. A matrix that is not positive definite has a pivot
/// `≤ 0` (or NaN) and meaningless other outputs; the other matrices are unaffected.
///
/// The matrices are swept flattened, `[K, D²]`: column j of a symmetric matrix is its row j,
/// a contiguous range of each flattened row, so every step is a few two-dimensional ops
/// (the fast paths of CPU backends) and one small batched product.
pub fn inverse_spd<B: Backend>(a: Tensor<B, 3>) -> (Tensor<B, 3>, Tensor<B, 1>, Tensor<B, 1>) {
    let [k, d, _] = a.dims();
    let mut a = a.reshape([k, d * d]);
    let mut pivots = Vec::with_capacity(d);
    for j in 0..d {
        let mut unit = vec![0.0; d];
        unit[j] = 1.0;
        let e = from_f64_like::<B, 2, 2>(unit, [1, d], &a);
        let mut corner = vec![0.0; d * d];
        corner[j * d + j] = 2.0;
        let corner = from_f64_like::<B, 2, 2>(corner, [1, d * d], &a);
        let pivot = a.clone().slice([0..k, j * d + j..j * d + j + 1]); // [K, 1]
        let u = a.clone().slice([0..k, j * d..(j + 1) * d]) - e; // [K, D]
        // u uᵀ / d: the division after the product keeps it exactly symmetric.
        let outer = u
            .clone()
            .reshape([k, d, 1])
            .matmul(u.reshape([k, 1, d]))
            .reshape([k, d * d]);
        let step = outer / pivot.clone() + corner;
        // The last sweep also flips the sign, so the result is A⁻¹ rather than −A⁻¹.
        a = if j + 1 == d { step - a } else { a - step };
        pivots.push(pivot);
    }
    let pivots = Tensor::cat(pivots, 1); // [K, D]
    let log_det = pivots.clone().log().sum_dim(1).reshape([k]);
    let min_pivot = pivots.min_dim(1).reshape([k]);
    (a.reshape([k, d, d]), log_det, min_pivot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        linalg::{cholesky, log_det_from_cholesky},
        tensor::{from_f64, to_vec_f64},
    };
    use burn::tensor::DType;

    type N = burn_ndarray::NdArray<f64>;

    /// Two SPD 4×4 matrices `M Mᵀ + I` and the identity-scaled `2 I`.
    fn spd() -> Vec<f64> {
        let m: Vec<f64> = (0..16).map(|i| ((i * 7 % 11) as f64 - 5.0) / 3.0).collect();
        let mut a = vec![0.0; 32];
        for i in 0..4 {
            for j in 0..4 {
                a[i * 4 + j] = (0..4).map(|p| m[i * 4 + p] * m[j * 4 + p]).sum::<f64>()
                    + if i == j { 1.0 } else { 0.0 };
                a[16 + i * 4 + j] = if i == j { 2.0 } else { 0.0 };
            }
        }
        a
    }

    #[test]
    fn inverts_and_matches_the_cholesky_log_det_and_pivots() {
        let dev = Default::default();
        let a = from_f64::<N, 3>(spd(), [2, 4, 4], &dev, DType::F64);
        let (inv, log_det, pivot) = inverse_spd(a.clone());
        // A · A⁻¹ = I to f64 rounding (entries of A are O(10)).
        let id = to_vec_f64(a.clone().matmul(inv.clone())).unwrap();
        for b in 0..2 {
            for i in 0..4 {
                for j in 0..4 {
                    let e = if i == j { 1.0 } else { 0.0 };
                    assert!((id[b * 16 + i * 4 + j] - e).abs() < 1e-12);
                }
            }
        }
        // Exactly symmetric.
        let v = to_vec_f64(inv).unwrap();
        for b in 0..2 {
            for i in 0..4 {
                for j in 0..4 {
                    assert_eq!(v[b * 16 + i * 4 + j], v[b * 16 + j * 4 + i]);
                }
            }
        }
        let (l, chol_pivot) = cholesky(a);
        let want = to_vec_f64(log_det_from_cholesky(l)).unwrap();
        for (g, w) in to_vec_f64(log_det).unwrap().iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
        assert!((want[1] - 4.0 * 2f64.ln()).abs() < 1e-14);
        let want = to_vec_f64(chol_pivot).unwrap();
        for (g, w) in to_vec_f64(pivot).unwrap().iter().zip(&want) {
            assert!((g - w).abs() < 1e-12, "{g} vs {w}");
        }
    }

    #[test]
    fn flags_the_indefinite_matrix_only() {
        let dev = Default::default();
        // [[1, 2], [2, 1]] is indefinite (eigenvalues 3, −1): pivots 1 and 1 − 4 = −3.
        let a = from_f64::<N, 3>(
            vec![2.0, 0.0, 0.0, 2.0, 1.0, 2.0, 2.0, 1.0],
            [2, 2, 2],
            &dev,
            DType::F64,
        );
        let (inv, _, pivot) = inverse_spd(a);
        assert_eq!(to_vec_f64(pivot).unwrap(), vec![2.0, -3.0]);
        assert_eq!(&to_vec_f64(inv).unwrap()[..4], &[0.5, 0.0, 0.0, 0.5]);
    }

    #[test]
    fn flex_f32_matches_ndarray_f64() {
        type F = burn_flex::Flex;
        let a64 = to_vec_f64(
            inverse_spd(from_f64::<N, 3>(
                spd(),
                [2, 4, 4],
                &Default::default(),
                DType::F64,
            ))
            .0,
        )
        .unwrap();
        let a32 = to_vec_f64(
            inverse_spd(from_f64::<F, 3>(
                spd(),
                [2, 4, 4],
                &Default::default(),
                DType::F32,
            ))
            .0,
        )
        .unwrap();
        for (x, y) in a64.iter().zip(a32) {
            // f32 relative precision ~6e-8, amplified by the condition number (< 100 here).
            assert!((x - y).abs() < 1e-5 * x.abs().max(1.0), "{x} vs {y}");
        }
    }
}
