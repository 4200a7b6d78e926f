//! Small tensor helpers that keep the data's dtype.
//!
//! On burn-flex, f64 is a runtime dtype: a tensor created with plain `&device` is f32. Every
//! tensor the workspace creates next to user data therefore takes its dtype from that data,
//! through these helpers, so one generic code path serves f32 and f64.

use burn::tensor::{DType, Tensor, TensorCreationOptions, TensorData, backend::Backend};

/// Creation options on `device` with `dtype`.
pub fn opts<B: Backend>(device: &B::Device, dtype: DType) -> TensorCreationOptions<B> {
    TensorCreationOptions::new(device.clone()).with_dtype(dtype)
}

/// A float tensor from host values, with the given dtype.
pub fn from_f64<B: Backend, const D: usize>(
    values: Vec<f64>,
    shape: [usize; D],
    device: &B::Device,
    dtype: DType,
) -> Tensor<B, D> {
    Tensor::from_data(TensorData::new(values, shape), opts::<B>(device, dtype))
}

/// A float tensor from borrowed host values, converted straight to `dtype`: an f32 tensor of
/// N values costs 4N bytes on the way instead of an 8N copy of the values first (what
/// [`from_f64`] with a cloned `Vec` costs), which matters for a data set of a gigabyte.
///
/// ```
/// use burn::tensor::DType;
/// use mixture_core::tensor::{from_f64_slice, to_vec_f64};
/// type B = burn_ndarray::NdArray<f64>;
/// let t = from_f64_slice::<B, 2>(&[1.5, 2.0, -3.0, 0.25], [2, 2], &Default::default(), DType::F64);
/// assert_eq!(to_vec_f64(t).unwrap(), [1.5, 2.0, -3.0, 0.25]);
/// ```
pub fn from_f64_slice<B: Backend, const D: usize>(
    values: &[f64],
    shape: [usize; D],
    device: &B::Device,
    dtype: DType,
) -> Tensor<B, D> {
    let data = match dtype {
        DType::F32 => TensorData::new(values.iter().map(|&v| v as f32).collect::<Vec<_>>(), shape),
        _ => TensorData::new(values.to_vec(), shape),
    };
    Tensor::from_data(data, opts::<B>(device, dtype))
}

/// A float tensor from host values, with the dtype of `like`.
pub fn from_f64_like<B: Backend, const D: usize, const E: usize>(
    values: Vec<f64>,
    shape: [usize; D],
    like: &Tensor<B, E>,
) -> Tensor<B, D> {
    from_f64(values, shape, &like.device(), like.dtype())
}

/// The machine epsilon of a float dtype (the gap between 1 and the next value); integer and
/// other dtypes get f32's, the coarsest precision any workspace computation runs at
/// otherwise.
///
/// ```
/// use burn::tensor::DType;
/// use mixture_core::tensor::epsilon;
/// assert_eq!(epsilon(DType::F64), f64::EPSILON);
/// assert_eq!(epsilon(DType::F32), f32::EPSILON as f64);
/// assert_eq!(epsilon(DType::BF16), 2f64.powi(-7));
/// ```
pub fn epsilon(dtype: DType) -> f64 {
    match dtype {
        DType::F64 => f64::EPSILON,
        DType::F16 => 2f64.powi(-10),
        DType::BF16 => 2f64.powi(-7),
        _ => f32::EPSILON as f64,
    }
}

/// A tensor of zeros with the dtype and device of `like`.
pub fn zeros_like_dtype<B: Backend, const D: usize, const E: usize>(
    shape: [usize; D],
    like: &Tensor<B, E>,
) -> Tensor<B, D> {
    Tensor::zeros(shape, opts::<B>(&like.device(), like.dtype()))
}

/// A tensor filled with `value`, with the dtype and device of `like`.
pub fn full_like_dtype<B: Backend, const D: usize, const E: usize>(
    shape: [usize; D],
    value: f64,
    like: &Tensor<B, E>,
) -> Tensor<B, D> {
    Tensor::full(shape, value, opts::<B>(&like.device(), like.dtype()))
}

/// The `n×n` identity with the dtype and device of `like`.
pub fn eye_like<B: Backend, const E: usize>(n: usize, like: &Tensor<B, E>) -> Tensor<B, 2> {
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    from_f64_like(v, [n, n], like)
}

/// Reads a float tensor back to the host as `f64` values (row-major).
pub fn to_vec_f64<B: Backend, const D: usize>(t: Tensor<B, D>) -> crate::Result<Vec<f64>> {
    t.into_data()
        .convert::<f64>()
        .into_vec::<f64>()
        .map_err(crate::Error::Backend)
}

/// Reads an int tensor back to the host as `i64` values (row-major).
pub fn to_vec_i64<B: Backend, const D: usize>(
    t: Tensor<B, D, burn::tensor::Int>,
) -> crate::Result<Vec<i64>> {
    t.into_data()
        .convert::<i64>()
        .into_vec::<i64>()
        .map_err(crate::Error::Backend)
}

/// One-hot rows `[N, K]` from labels `[N]`, with the dtype of `like`.
pub fn one_hot_like<B: Backend, const E: usize>(
    labels: Tensor<B, 1, burn::tensor::Int>,
    k: usize,
    like: &Tensor<B, E>,
) -> Tensor<B, 2> {
    let n = labels.dims()[0];
    let device = like.device();
    let classes =
        Tensor::<B, 1, burn::tensor::Int>::arange(0..k as i64, &device).unsqueeze_dim::<2>(0);
    let mask = labels
        .unsqueeze_dim::<2>(1)
        .expand([n, k])
        .equal(classes.expand([n, k]));
    zeros_like_dtype::<B, 2, E>([n, k], like).mask_fill(mask, 1.0)
}
