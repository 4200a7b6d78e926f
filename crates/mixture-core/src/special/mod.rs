//! Special functions: digamma and log-gamma, on tensors (any backend, differentiable) and on
//! host `f64`.
//!
//! Both shift the argument up by ten with the recurrences `ψ(x) = ψ(x+1) - 1/x` and
//! `ln Γ(x) = ln Γ(x+1) - ln x`, then use the asymptotic (Stirling) series, whose error at
//! `x ≥ 10` is below 1e-12. Defined for `x > 0`, which is all a mixture needs (Dirichlet
//! parameters, degrees of freedom, dimensions).
//!
//! The tensor versions do the ten shifts at once, on a trailing axis: every element becomes a
//! row `x + (0, 1, …)`, transformed and summed in a handful of tensor ops whatever the shift.
//! On small tensors (a gate's K concentrations) the cost of a tensor op is its dispatch and
//! allocation, so this is several times faster than a loop of ten shift steps.

use burn::tensor::{Tensor, backend::Backend};

use crate::tensor::from_f64_like;

const SHIFT: usize = 10;
/// `ln 2π`, the constant of every Gaussian log-density.
pub const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// `½ ln 2π`.
pub const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// Exponents and coefficients of digamma's asymptotic series at `y ≥ 10`, as `c y^e` terms:
/// `−1/(2y) − 1/(12y²) + 1/(120y⁴) − 1/(252y⁶) + 1/(240y⁸) − 1/(132y¹⁰)`.
const DIGAMMA_SERIES: [(f64, f64); 6] = [
    (-1.0, -0.5),
    (-2.0, -1.0 / 12.0),
    (-4.0, 1.0 / 120.0),
    (-6.0, -1.0 / 252.0),
    (-8.0, 1.0 / 240.0),
    (-10.0, -1.0 / 132.0),
];

/// Exponents and coefficients of Stirling's series for `ln Γ(y)` at `y ≥ 10`, beyond
/// `(y − ½) ln y − y + ½ ln 2π`: `1/(12y) − 1/(360y³) + 1/(1260y⁵) − 1/(1680y⁷) + 1/(1188y⁹)`.
const LGAMMA_SERIES: [(f64, f64); 5] = [
    (-1.0, 1.0 / 12.0),
    (-3.0, -1.0 / 360.0),
    (-5.0, 1.0 / 1260.0),
    (-7.0, -1.0 / 1680.0),
    (-9.0, 1.0 / 1188.0),
];

/// A `[1, M]` row with the dtype and device of `like`.
fn row<B: Backend>(values: Vec<f64>, like: &Tensor<B, 2>) -> Tensor<B, 2> {
    let m = values.len();
    from_f64_like::<B, 2, 2>(values, [1, m], like)
}

/// Digamma `ψ(x) = d/dx ln Γ(x)`, elementwise, for `x > 0`.
///
/// `ψ(x) = ln y − Σ_{i<10} 1/(x+i) + series(y)` with `y = x + 10`. Every element becomes
/// one row of 16 terms `c_j (x + s_j)^{e_j}`: the ten shifts (`s = i`, `e = −1`, `c = −1`)
/// then the six series terms (`s = 10`); one power, one product and one sum give them all.
pub fn digamma<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let dims = x.dims();
    let n: usize = dims.iter().product();
    let col = x.reshape([n, 1]);
    let shift = SHIFT as f64;
    let len = SHIFT + DIGAMMA_SERIES.len();
    let (mut offsets, mut exps, mut coefs) = (
        Vec::with_capacity(len),
        Vec::with_capacity(len),
        Vec::with_capacity(len),
    );
    for i in 0..SHIFT {
        offsets.push(i as f64);
        exps.push(-1.0);
        coefs.push(-1.0);
    }
    for &(e, c) in &DIGAMMA_SERIES {
        offsets.push(shift);
        exps.push(e);
        coefs.push(c);
    }
    let offsets = row(offsets, &col);
    let exps = row(exps, &col);
    let coefs = row(coefs, &col);
    // `powf` does not broadcast on every backend: the exponents are expanded to [N, 16].
    let z = col.clone() + offsets;
    let sum = (z.powf(exps.expand([n, len])) * coefs).sum_dim(1);
    (sum + col.add_scalar(shift).log()).reshape(dims)
}

/// Log-gamma `ln Γ(x)`, elementwise, for `x > 0`.
///
/// `ln Γ(x) = (y − ½) ln y − y + ½ ln 2π + series(y) − Σ_{i<10} ln(x+i)` with `y = x + 10`:
/// the ten logarithms on one trailing axis (one log and one sum), the series as one power,
/// product and sum over a row of exponents.
pub fn lgamma<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let dims = x.dims();
    let n: usize = dims.iter().product();
    let col = x.reshape([n, 1]);
    let shift = SHIFT as f64;
    let offsets = row((0..SHIFT).map(|i| i as f64).collect(), &col);
    let exps = row(LGAMMA_SERIES.iter().map(|t| t.0).collect(), &col);
    let coefs = row(LGAMMA_SERIES.iter().map(|t| t.1).collect(), &col);
    let shifted_logs = (col.clone() + offsets).log().sum_dim(1);
    let y = col.add_scalar(shift);
    // `powf` does not broadcast on every backend: expand both sides to [N, 5].
    let m = LGAMMA_SERIES.len();
    let series = (y.clone().expand([n, m]).powf(exps.expand([n, m])) * coefs).sum_dim(1);
    let stirling = y.clone().add_scalar(-0.5) * y.clone().log() - y;
    (stirling + series - shifted_logs)
        .add_scalar(HALF_LN_2PI)
        .reshape(dims)
}

/// Digamma on a host `f64`, for `x > 0`.
pub fn digamma_f64(x: f64) -> f64 {
    let mut acc = 0.0;
    let mut y = x;
    for _ in 0..SHIFT {
        acc -= 1.0 / y;
        y += 1.0;
    }
    let i2 = 1.0 / (y * y);
    let series = i2
        * (-1.0 / 12.0
            + i2 * (1.0 / 120.0 + i2 * (-1.0 / 252.0 + i2 * (1.0 / 240.0 - i2 / 132.0))));
    acc + y.ln() - 0.5 / y + series
}

/// Log-gamma on a host `f64`, for `x > 0`.
pub fn lgamma_f64(x: f64) -> f64 {
    let mut acc = 0.0;
    let mut y = x;
    for _ in 0..SHIFT {
        acc -= y.ln();
        y += 1.0;
    }
    let i2 = 1.0 / (y * y);
    let series = (1.0 / 12.0
        + i2 * (-1.0 / 360.0 + i2 * (1.0 / 1260.0 + i2 * (-1.0 / 1680.0 + i2 / 1188.0))))
        / y;
    acc + (y - 0.5) * y.ln() - y + HALF_LN_2PI + series
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::{from_f64, to_vec_f64};
    use burn::tensor::DType;

    // Reference values from mpmath (digamma) and Python's math.lgamma, 17 significant digits.
    const CASES: &[(f64, f64, f64)] = &[
        (0.1, -10.423754940411076, 2.2527126517342055),
        (0.5, -1.9635100260214235, 0.5723649429247004),
        (1.0, -0.5772156649015329, 0.0),
        (2.0, 0.42278433509846713, 0.0),
        (2.3, 0.6000398803639695, 0.15418945495963055),
        (7.5, 1.9467574842460869, 7.534364236758734),
        (100.0, 4.600161852738087, 359.1342053695754),
    ];

    #[test]
    fn host_values_match_reference() {
        for &(x, psi, lg) in CASES {
            assert!((digamma_f64(x) - psi).abs() < 1e-12, "ψ({x})");
            assert!(
                (lgamma_f64(x) - lg).abs() < 1e-11 * lg.abs().max(1.0),
                "lnΓ({x})"
            );
        }
    }

    #[test]
    fn tensor_values_match_reference_on_ndarray_f64_and_flex_f32() {
        let xs: Vec<f64> = CASES.iter().map(|c| c.0).collect();
        let n = xs.len();
        type N = burn_ndarray::NdArray<f64>;
        let dev = Default::default();
        let t = from_f64::<N, 1>(xs.clone(), [n], &dev, DType::F64);
        let psi = to_vec_f64(digamma(t.clone())).unwrap();
        let lg = to_vec_f64(lgamma(t)).unwrap();
        for (i, &(_, p, l)) in CASES.iter().enumerate() {
            assert!((psi[i] - p).abs() < 1e-12);
            assert!((lg[i] - l).abs() < 1e-11 * l.abs().max(1.0));
        }
        type F = burn_flex::Flex;
        let t = from_f64::<F, 1>(xs, [n], &Default::default(), DType::F32);
        let psi = to_vec_f64(digamma(t.clone())).unwrap();
        let lg = to_vec_f64(lgamma(t)).unwrap();
        for (i, &(_, p, l)) in CASES.iter().enumerate() {
            // f32 relative precision ~6e-8 on terms of size up to ~|ψ(0.1)| + 6.
            assert!(
                (psi[i] - p).abs() < 2e-5 * p.abs().max(1.0),
                "{} vs {p}",
                psi[i]
            );
            assert!(
                (lg[i] - l).abs() < 2e-5 * l.abs().max(1.0),
                "{} vs {l}",
                lg[i]
            );
        }
    }
}
