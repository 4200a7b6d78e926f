//! Special functions: digamma and log-gamma, on tensors (any backend, differentiable) and on
//! host `f64`.
//!
//! Both shift the argument up by ten with the recurrences `ψ(x) = ψ(x+1) - 1/x` and
//! `ln Γ(x) = ln Γ(x+1) - ln x`, then use the asymptotic (Stirling) series, whose error at
//! `x ≥ 10` is below 1e-12. Defined for `x > 0`, which is all a mixture needs (Dirichlet
//! parameters, degrees of freedom, dimensions).

use burn::tensor::{backend::Backend, Tensor};

const SHIFT: usize = 10;
const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// Digamma `ψ(x) = d/dx ln Γ(x)`, elementwise, for `x > 0`.
pub fn digamma<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let mut acc = x.zeros_like();
    let mut y = x;
    for _ in 0..SHIFT {
        acc = acc - y.clone().recip();
        y = y.add_scalar(1.0);
    }
    let inv = y.clone().recip();
    let inv2 = inv.clone() * inv.clone();
    // ln y - 1/(2y) - 1/(12y²) + 1/(120y⁴) - 1/(252y⁶) + 1/(240y⁸) - 1/(132y¹⁰)
    let series = inv2
        .clone()
        .mul_scalar(-1.0 / 132.0)
        .add_scalar(1.0 / 240.0);
    let series = (series * inv2.clone()).add_scalar(-1.0 / 252.0);
    let series = (series * inv2.clone()).add_scalar(1.0 / 120.0);
    let series = (series * inv2.clone()).add_scalar(-1.0 / 12.0);
    let series = series * inv2;
    acc + y.log() - inv.mul_scalar(0.5) + series
}

/// Log-gamma `ln Γ(x)`, elementwise, for `x > 0`.
pub fn lgamma<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let mut acc = x.zeros_like();
    let mut y = x;
    for _ in 0..SHIFT {
        acc = acc - y.clone().log();
        y = y.add_scalar(1.0);
    }
    let inv = y.clone().recip();
    let inv2 = inv.clone() * inv.clone();
    // 1/(12y) - 1/(360y³) + 1/(1260y⁵) - 1/(1680y⁷) + 1/(1188y⁹)
    let series = inv2
        .clone()
        .mul_scalar(1.0 / 1188.0)
        .add_scalar(-1.0 / 1680.0);
    let series = (series * inv2.clone()).add_scalar(1.0 / 1260.0);
    let series = (series * inv2.clone()).add_scalar(-1.0 / 360.0);
    let series = (series * inv2).add_scalar(1.0 / 12.0);
    let series = series * inv;
    let stirling = (y.clone().add_scalar(-0.5) * y.clone().log()) - y + series;
    acc + stirling.add_scalar(HALF_LN_2PI)
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
