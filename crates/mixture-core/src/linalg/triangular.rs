//! Batched triangular solves.

use burn::tensor::{Tensor, backend::Backend};

use crate::tensor::eye_like;

/// Solves `L X = R` for lower-triangular `L` by forward substitution, batched:
/// row `i` of every solution is `(R_i - L[i, :i] X[:i]) / L_ii`.
///
/// # Shapes
/// `l`: `[K, D, D]`, `r`: `[K, D, M]` → `[K, D, M]`.
pub fn solve_lower<B: Backend>(l: Tensor<B, 3>, r: Tensor<B, 3>) -> Tensor<B, 3> {
    let [k, d, _] = l.dims();
    let m = r.dims()[2];
    let mut rows: Vec<Tensor<B, 3>> = Vec::with_capacity(d);
    for i in 0..d {
        let r_i = r.clone().slice([0..k, i..i + 1, 0..m]);
        let l_ii = l.clone().slice([0..k, i..i + 1, i..i + 1]);
        let num = if i == 0 {
            r_i
        } else {
            let prev = Tensor::cat(rows.clone(), 1); // [K, i, M]
            let l_row = l.clone().slice([0..k, i..i + 1, 0..i]); // [K, 1, i]
            r_i - l_row.matmul(prev)
        };
        rows.push(num / l_ii);
    }
    Tensor::cat(rows, 1)
}

/// Solves `U X = R` for upper-triangular `U` by back substitution, batched.
///
/// # Shapes
/// `u`: `[K, D, D]`, `r`: `[K, D, M]` → `[K, D, M]`.
pub fn solve_upper<B: Backend>(u: Tensor<B, 3>, r: Tensor<B, 3>) -> Tensor<B, 3> {
    let [k, d, _] = u.dims();
    let m = r.dims()[2];
    let mut rows: Vec<Tensor<B, 3>> = Vec::with_capacity(d);
    for i in (0..d).rev() {
        let r_i = r.clone().slice([0..k, i..i + 1, 0..m]);
        let u_ii = u.clone().slice([0..k, i..i + 1, i..i + 1]);
        let num = if i == d - 1 {
            r_i
        } else {
            // rows holds solutions for i+1..d in reverse order
            let later: Vec<_> = rows.iter().rev().cloned().collect();
            let next = Tensor::cat(later, 1); // [K, d-i-1, M]
            let u_row = u.clone().slice([0..k, i..i + 1, i + 1..d]);
            r_i - u_row.matmul(next)
        };
        rows.push(num / u_ii);
    }
    rows.reverse();
    Tensor::cat(rows, 1)
}

/// The inverse of each lower-triangular matrix in a batch (itself lower triangular).
///
/// # Shapes
/// `l`: `[K, D, D]` → `[K, D, D]`.
pub fn inverse_lower<B: Backend>(l: Tensor<B, 3>) -> Tensor<B, 3> {
    let [k, d, _] = l.dims();
    let eye = eye_like(d, &l).unsqueeze_dim::<3>(0).expand([k, d, d]);
    solve_lower(l, eye)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{from_f64, to_vec_f64};
    use burn::tensor::DType;

    type B = burn_ndarray::NdArray<f64>;

    fn lower() -> Vec<f64> {
        vec![2.0, 0.0, 0.0, 1.0, 3.0, 0.0, -1.0, 0.5, 4.0]
    }

    #[test]
    fn forward_and_back_substitution_invert_products() {
        let dev = Default::default();
        let l = from_f64::<B, 3>(lower(), [1, 3, 3], &dev, DType::F64);
        let x = from_f64::<B, 3>(
            vec![1.0, 2.0, -1.0, 0.5, 3.0, 1.0],
            [1, 3, 2],
            &dev,
            DType::F64,
        );
        let r = l.clone().matmul(x.clone());
        let got = to_vec_f64(solve_lower(l.clone(), r)).unwrap();
        let want = to_vec_f64(x.clone()).unwrap();
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-13);
        }
        let u = l.clone().swap_dims(1, 2);
        let r = u.clone().matmul(x);
        let got = to_vec_f64(solve_upper(u, r)).unwrap();
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-13);
        }
        let inv = inverse_lower(l.clone());
        let id = to_vec_f64(l.matmul(inv)).unwrap();
        for i in 0..3 {
            for j in 0..3 {
                let e = if i == j { 1.0 } else { 0.0 };
                assert!((id[i * 3 + j] - e).abs() < 1e-14);
            }
        }
    }
}
