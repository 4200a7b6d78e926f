//! Explicit SIMD for the kernels whose inner loops are small matrix products (see
//! [`super::mahalanobis`] and [`super::scatter`]), through [pulp](https://docs.rs/pulp): its
//! `Arch::dispatch` picks AVX-512, AVX2 or a scalar fallback at run time, behind a safe API.
//! The compiler alone vectorises for SSE2 only (four lanes, no fused multiply-add).

use bytemuck::Pod;
use pulp::{Arch, Simd, WithSimd};

use super::Real;

/// A kernel element type with its SIMD vector type under instruction set `S`.
pub(crate) trait SimdReal: Real + Pod {
    /// `S`'s vector of this element type.
    type V<S: Simd>: Copy + Pod;
    /// Elements per vector under `S`.
    fn lanes<S: Simd>() -> usize;
    /// Every lane `x`.
    fn vsplat<S: Simd>(s: S, x: Self) -> Self::V<S>;
    /// `a · b + c`, fused where `S` has it.
    fn vmul_add<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>, c: Self::V<S>) -> Self::V<S>;
    /// `a · b`.
    fn vmul<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// `a + b`.
    fn vadd<S: Simd>(s: S, a: Self::V<S>, b: Self::V<S>) -> Self::V<S>;
    /// The sum of the lanes.
    fn vsum<S: Simd>(s: S, a: Self::V<S>) -> Self;
}

impl SimdReal for f32 {
    type V<S: Simd> = S::f32s;
    #[inline(always)]
    fn lanes<S: Simd>() -> usize {
        S::F32_LANES
    }
    #[inline(always)]
    fn vsplat<S: Simd>(s: S, x: Self) -> S::f32s {
        s.splat_f32s(x)
    }
    #[inline(always)]
    fn vmul_add<S: Simd>(s: S, a: S::f32s, b: S::f32s, c: S::f32s) -> S::f32s {
        s.mul_add_e_f32s(a, b, c)
    }
    #[inline(always)]
    fn vmul<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.mul_f32s(a, b)
    }
    #[inline(always)]
    fn vadd<S: Simd>(s: S, a: S::f32s, b: S::f32s) -> S::f32s {
        s.add_f32s(a, b)
    }
    #[inline(always)]
    fn vsum<S: Simd>(s: S, a: S::f32s) -> f32 {
        s.reduce_sum_f32s(a)
    }
}

impl SimdReal for f64 {
    type V<S: Simd> = S::f64s;
    #[inline(always)]
    fn lanes<S: Simd>() -> usize {
        S::F64_LANES
    }
    #[inline(always)]
    fn vsplat<S: Simd>(s: S, x: Self) -> S::f64s {
        s.splat_f64s(x)
    }
    #[inline(always)]
    fn vmul_add<S: Simd>(s: S, a: S::f64s, b: S::f64s, c: S::f64s) -> S::f64s {
        s.mul_add_e_f64s(a, b, c)
    }
    #[inline(always)]
    fn vmul<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::f64s {
        s.mul_f64s(a, b)
    }
    #[inline(always)]
    fn vadd<S: Simd>(s: S, a: S::f64s, b: S::f64s) -> S::f64s {
        s.add_f64s(a, b)
    }
    #[inline(always)]
    fn vsum<S: Simd>(s: S, a: S::f64s) -> f64 {
        s.reduce_sum_f64s(a)
    }
}

/// The vector starting at `v[at]`, which must hold `T::lanes::<S>()` elements from there
/// (an unaligned load: the buffers are plain `Vec<T>`).
#[inline(always)]
pub(crate) fn load<S: Simd, T: SimdReal>(v: &[T], at: usize) -> T::V<S> {
    let bytes = std::mem::size_of::<T::V<S>>();
    bytemuck::pod_read_unaligned(
        &bytemuck::cast_slice::<T, u8>(v)[at * std::mem::size_of::<T>()..][..bytes],
    )
}

/// Adds the vector `x` into `v[at..at + lanes]`.
#[inline(always)]
pub(crate) fn add_into<S: Simd, T: SimdReal>(s: S, v: &mut [T], at: usize, x: T::V<S>) {
    let lanes = T::lanes::<S>();
    let cur = load::<S, T>(v, at);
    let sum = T::vadd(s, cur, x);
    v[at..at + lanes].copy_from_slice(bytemuck::cast_slice(std::slice::from_ref(&sum)));
}

/// A kernel written for register tiles of `R` rows, `R` a compile-time constant.
pub(crate) trait RowTiled {
    /// The element type, whose vector width sets `R`.
    type Real: SimdReal;
    /// Runs the kernel with tiles of `R` rows under instruction set `S`.
    fn run<S: Simd, const R: usize>(self, s: S);
}

/// Runs `kernel` under the instruction set `Arch::dispatch` picks, with row tiles as tall as
/// the register file allows: 6 × 4 accumulators of 32 vector registers (AVX-512), 3 × 4 of
/// 16 (AVX2 and narrower).
pub(crate) fn dispatch_tiled<K: RowTiled>(kernel: K) {
    struct Tiled<K>(K);
    impl<K: RowTiled> WithSimd for Tiled<K> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: Simd>(self, s: S) {
            if std::mem::size_of::<<K::Real as SimdReal>::V<S>>() >= 64 {
                self.0.run::<S, 6>(s)
            } else {
                self.0.run::<S, 3>(s)
            }
        }
    }
    Arch::new().dispatch(Tiled(kernel))
}

/// The number of `T` lanes of the instruction set `Arch::dispatch` picks on this machine
/// (buffers are padded to it).
pub(crate) fn dispatch_lanes<T: SimdReal>() -> usize {
    struct Lanes<T>(std::marker::PhantomData<T>);
    impl<T: SimdReal> WithSimd for Lanes<T> {
        type Output = usize;
        #[inline(always)]
        fn with_simd<S: Simd>(self, _: S) -> usize {
            T::lanes::<S>()
        }
    }
    Arch::new().dispatch(Lanes::<T>(std::marker::PhantomData))
}
