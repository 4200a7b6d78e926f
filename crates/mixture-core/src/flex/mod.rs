//! Kernels for burn-flex tensors (feature `flex`): fused operations burn 0.21 lacks, run on
//! the backend's own storage the way a backend extension would.
//!
//! Each entry point takes generic tensors and checks at run time whether the backend's float
//! primitive is a burn-flex tensor of f32 or f64 (an `Any` downcast; no `unsafe`). If so, the
//! kernel runs in parallel row blocks on the tensor's buffer; if not (any other backend,
//! `Autodiff<Flex>`, f16), the tensor comes back untouched and the caller takes its composed
//! path. Results equal the composed paths' to rounding (each kernel's tests check that).

use std::any::Any;

use burn::tensor::{DType, Tensor, TensorPrimitive, backend::Backend};
use burn_flex::FlexTensor;

use crate::logsumexp::EXP_FLOOR;

pub(crate) mod cholesky;
pub(crate) mod mahalanobis;
pub(crate) mod rows;
pub(crate) mod scatter;
pub(crate) mod simd;
pub(crate) mod softmax;

/// Matrices with fewer entries run on the calling thread (waking the pool costs more).
pub(crate) const PARALLEL_ENTRIES: usize = 1 << 15;
/// Entries per parallel task.
pub(crate) const TASK_ENTRIES: usize = 1 << 14;

/// `t`'s burn-flex tensor when `B` is burn-flex and the dtype is f32 or f64, as a dense,
/// exactly sized buffer (copied only for views; `storage_mut` copies it once more only if
/// it is shared); otherwise `t` back.
pub(crate) fn dense<B: Backend, const D: usize>(
    t: Tensor<B, D>,
) -> Result<FlexTensor, Tensor<B, D>> {
    let n: usize = t.dims().iter().product();
    let any: Box<dyn Any> = Box::new(t.into_primitive().tensor());
    let t = match any.downcast::<FlexTensor>() {
        Ok(t) => *t,
        Err(any) => return Err(restore_any(any)),
    };
    let size = match t.dtype() {
        DType::F32 => 4,
        DType::F64 => 8,
        _ => return Err(restore(t)),
    };
    if t.is_contiguous() && t.layout().start_offset() == 0 && t.bytes().len() == n * size {
        Ok(t)
    } else {
        Ok(t.to_contiguous())
    }
}

/// Both tensors as [`dense`] burn-flex buffers when `B` is burn-flex and they share an f32 or
/// f64 dtype; otherwise both back, untouched.
#[allow(clippy::type_complexity)]
pub(crate) fn dense_pair<B: Backend, const D: usize>(
    a: Tensor<B, D>,
    b: Tensor<B, D>,
) -> Result<(FlexTensor, FlexTensor), (Tensor<B, D>, Tensor<B, D>)> {
    if a.dtype() != b.dtype() {
        return Err((a, b));
    }
    let at = match dense(a) {
        Ok(t) => t,
        Err(a) => return Err((a, b)),
    };
    match dense(b) {
        Ok(bt) => Ok((at, bt)),
        Err(b) => Err((restore(at), b)),
    }
}

/// A test matrix `[n, m]` of deterministic values in about [−3, 3] (`seed` shifts them).
#[cfg(test)]
pub(crate) fn test_matrix(
    n: usize,
    m: usize,
    seed: usize,
    dtype: DType,
) -> Tensor<burn_flex::Flex, 2> {
    let v = (0..n * m)
        .map(|i| (((i + seed) * 37 % 101) as f64 - 50.0) / 17.0)
        .collect();
    crate::tensor::from_f64(v, [n, m], &Default::default(), dtype)
}

/// A burn-flex tensor back as a `Tensor<B, D>`; only called when `B`'s float primitive is
/// burn-flex's.
pub(crate) fn restore<B: Backend, const D: usize>(t: FlexTensor) -> Tensor<B, D> {
    restore_any(Box::new(t))
}

fn restore_any<B: Backend, const D: usize>(any: Box<dyn Any>) -> Tensor<B, D> {
    let p = any
        .downcast::<B::FloatTensorPrimitive>()
        .expect("the primitive is the backend's own float tensor");
    Tensor::from_primitive(TensorPrimitive::Float(*p))
}

/// An output buffer of `len` elements. Not `vec![0.0; len]`: that is `calloc`, which can take
/// fresh zeroed pages from the kernel on every call (page faults were a quarter of a diagonal
/// iteration).
pub(crate) fn buffer<T: Real>(len: usize) -> Vec<T> {
    let mut v = Vec::with_capacity(len);
    v.resize(len, T::zero());
    v
}

/// The element types the kernels run in: a float, plus what differs between f32 and f64.
pub(crate) trait Real: num_traits::Float + Send + Sync + 'static {
    /// The floor of shifted log-probabilities before `exp` (`EXP_FLOOR`).
    const FLOOR: Self;
    /// `e^x` on the kernels' range `[-80, 0]`.
    fn kernel_exp(self) -> Self;
}

impl Real for f32 {
    const FLOOR: Self = EXP_FLOOR as f32;
    #[inline(always)]
    fn kernel_exp(self) -> Self {
        softmax::exp_f32(self)
    }
}

impl Real for f64 {
    const FLOOR: Self = EXP_FLOOR;
    #[inline(always)]
    fn kernel_exp(self) -> Self {
        self.exp()
    }
}

/// `row` folded by `step` into eight interleaved accumulators, which `merge` then combines:
/// independent steps the compiler can run in vector registers, instead of one chain of
/// dependent scalar steps per row.
#[inline(always)]
pub(crate) fn lanes<T: Real>(
    row: &[T],
    init: T,
    step: impl Fn(T, T) -> T,
    merge: impl Fn(T, T) -> T,
) -> T {
    const W: usize = 8;
    let mut acc = [init; W];
    let mut chunks = row.chunks_exact(W);
    for c in &mut chunks {
        for j in 0..W {
            acc[j] = step(acc[j], c[j]);
        }
    }
    let mut out = init;
    for &v in chunks.remainder() {
        out = step(out, v);
    }
    for a in acc {
        out = merge(out, a);
    }
    out
}
