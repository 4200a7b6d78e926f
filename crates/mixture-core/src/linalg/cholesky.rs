//! Batched Cholesky factorisation.

use burn::tensor::{Tensor, backend::Backend};

use crate::tensor::from_f64_like;

/// Cholesky factorisation `A = L Lᵀ` of a batch of symmetric matrices, by columns
/// (Cholesky–Banachiewicz in batched form): column `j` of every factor is computed at once as
/// `(A[:, j] - L[:, :j] L[j, :j]ᵀ) / sqrt(pivot_j)`.
///
/// Returns the lower-triangular factors and, per matrix, the smallest pivot
/// `A_jj - Σ_{p<j} L_jp²` met. A matrix is positive definite exactly when its smallest pivot
/// is positive; for one that is not, its factor contains NaN and the other matrices of the
/// batch are unaffected. Callers check the pivots (see
/// [`ComponentCheck`](crate::ComponentCheck)) instead of reading the factor back.
///
/// # Shapes
/// `a`: `[K, D, D]` → (`[K, D, D]`, `[K]`).
///
/// With the `flex` feature, burn-flex tensors are factored by a direct loop on their buffer
/// (same formula; a hundred times faster at K = 16, D = 64).
pub fn cholesky<B: Backend>(a: Tensor<B, 3>) -> (Tensor<B, 3>, Tensor<B, 1>) {
    #[cfg(feature = "flex")]
    let a = match crate::flex::cholesky::try_cholesky(a) {
        Ok(out) => return out,
        Err(a) => a,
    };
    let [k, d, _] = a.dims();
    let mut cols: Vec<Tensor<B, 3>> = Vec::with_capacity(d);
    let mut pivots: Vec<Tensor<B, 3>> = Vec::with_capacity(d);
    for j in 0..d {
        let a_col = a.clone().slice([0..k, 0..d, j..j + 1]);
        let v = if j == 0 {
            a_col
        } else {
            let prev = Tensor::cat(cols.clone(), 2); // [K, D, j]
            let row = prev.clone().slice([0..k, j..j + 1, 0..j]); // [K, 1, j]
            a_col - prev.matmul(row.swap_dims(1, 2))
        };
        let pivot = v.clone().slice([0..k, j..j + 1, 0..1]); // [K, 1, 1]
        let mask: Vec<f64> = (0..d).map(|i| if i >= j { 1.0 } else { 0.0 }).collect();
        let mask = from_f64_like::<B, 3, 3>(mask, [1, d, 1], &a);
        cols.push(v * mask / pivot.clone().sqrt());
        pivots.push(pivot);
    }
    let l = Tensor::cat(cols, 2);
    let min_pivot = Tensor::cat(pivots, 2)
        .reshape([k, d])
        .min_dim(1)
        .reshape([k]);
    (l, min_pivot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::gram;
    use crate::tensor::{from_f64, to_vec_f64};
    use burn::tensor::DType;

    type B = burn_ndarray::NdArray<f64>;

    #[test]
    fn factors_known_matrices() {
        let dev = Default::default();
        // [[4, 2], [2, 3]] = L Lᵀ with L = [[2, 0], [1, sqrt 2]]; and the 2×2 identity.
        let a = from_f64::<B, 3>(
            vec![4.0, 2.0, 2.0, 3.0, 1.0, 0.0, 0.0, 1.0],
            [2, 2, 2],
            &dev,
            DType::F64,
        );
        let (l, piv) = cholesky(a.clone());
        let l_host = to_vec_f64(l.clone()).unwrap();
        let expect = [2.0, 0.0, 1.0, 2f64.sqrt(), 1.0, 0.0, 0.0, 1.0];
        for (a, b) in l_host.iter().zip(expect) {
            assert!((a - b).abs() < 1e-14, "{a} vs {b}");
        }
        assert_eq!(to_vec_f64(piv).unwrap(), vec![2.0, 1.0]);
        let back = to_vec_f64(gram(l)).unwrap();
        let orig = to_vec_f64(a).unwrap();
        for (a, b) in back.iter().zip(orig) {
            assert!((a - b).abs() < 1e-13);
        }
    }

    #[test]
    fn reports_the_failing_matrix_only() {
        let dev = Default::default();
        // second matrix [[1, 2], [2, 1]] is indefinite (eigenvalues 3, -1)
        let a = from_f64::<B, 3>(
            vec![2.0, 0.0, 0.0, 2.0, 1.0, 2.0, 2.0, 1.0],
            [2, 2, 2],
            &dev,
            DType::F64,
        );
        let (l, piv) = cholesky(a);
        let piv = to_vec_f64(piv).unwrap();
        assert_eq!(piv[0], 2.0);
        assert!(
            (piv[1] + 3.0).abs() < 1e-12,
            "pivot 1 - 2²/1 = -3, got {}",
            piv[1]
        );
        let l = to_vec_f64(l).unwrap();
        assert!(l[..4].iter().all(|v| v.is_finite()));
    }

    #[test]
    fn flex_f32_matches_ndarray_f64() {
        type F = burn_flex::Flex;
        let dev = Default::default();
        // a random SPD 4×4: M Mᵀ + I
        let m: Vec<f64> = (0..16).map(|i| ((i * 7 % 11) as f64 - 5.0) / 3.0).collect();
        let mut a = vec![0.0; 16];
        for i in 0..4 {
            for j in 0..4 {
                a[i * 4 + j] = (0..4).map(|p| m[i * 4 + p] * m[j * 4 + p]).sum::<f64>()
                    + if i == j { 1.0 } else { 0.0 };
            }
        }
        let l64 = to_vec_f64(cholesky(from_f64::<B, 3>(a.clone(), [1, 4, 4], &dev, DType::F64)).0)
            .unwrap();
        let l32 = to_vec_f64(
            cholesky(from_f64::<F, 3>(
                a,
                [1, 4, 4],
                &Default::default(),
                DType::F32,
            ))
            .0,
        )
        .unwrap();
        for (x, y) in l64.iter().zip(l32) {
            // f32 has ~7 significant digits; entries are O(1).
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    }
}
