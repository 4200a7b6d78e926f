//! Helpers shared by the gate tests.

use burn::tensor::{DType, Tensor};
use mixture_core::tensor::from_f64;

/// The reference backend of the anchor tests: NdArray in f64.
pub type N = burn_ndarray::NdArray<f64>;

/// An f64 matrix on `N` from row-major values.
pub fn t2(v: &[f64], shape: [usize; 2]) -> Tensor<N, 2> {
    from_f64(v.to_vec(), shape, &Default::default(), DType::F64)
}

/// Asserts `|got − want| ≤ tol` element-wise, naming `what` on failure.
pub fn close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= tol, "{what}: got {got:?}, want {want:?}");
    }
}
