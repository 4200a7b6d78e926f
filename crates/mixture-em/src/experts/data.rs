//! MixtureLib's two-planes data set, seeded, for examples, tests and benchmarks.

use mixture_core::sampling::standard_normal;
use rand::{SeedableRng, rngs::StdRng};

/// The two true planes of [`two_planes`]: `y = 10·x₁` and `y = 30·x₂`.
pub const TWO_PLANES: [[f64; 2]; 2] = [[10.0, 0.0], [0.0, 30.0]];

/// A regression data set drawn from two planes, as MixtureLib's example builds it.
#[derive(Debug, Clone, PartialEq)]
pub struct TwoPlanes {
    /// Inputs, `[n, 2]` row-major.
    pub x: Vec<f64>,
    /// Targets, `[n]`.
    pub y: Vec<f64>,
    /// The plane each row was drawn from (0 for the first half, 1 for the second).
    pub labels: Vec<usize>,
}

impl TwoPlanes {
    /// Rows.
    pub fn n_samples(&self) -> usize {
        self.y.len()
    }

    /// The mean squared error of predicting each row with its true plane (the noise the
    /// best possible gate leaves).
    pub fn oracle_mse(&self) -> f64 {
        let n = self.n_samples();
        (0..n)
            .map(|i| {
                let w = TWO_PLANES[self.labels[i]];
                let pred = w[0] * self.x[2 * i] + w[1] * self.x[2 * i + 1];
                (self.y[i] - pred).powi(2)
            })
            .sum::<f64>()
            / n as f64
    }
}

/// MixtureLib's two-planes data set (its documentation example and integration test):
/// `x ~ N(0, I₂)` with the second coordinate of the first half and the first coordinate of
/// the second half scaled by 0.8; `y = x·[10, 0]` on the first half and `y = x·[0, 30]` on
/// the second, plus `noise · N(0, 1)`. MixtureLib uses `n = 200`, `noise = 5` and numpy's
/// seed 42; here the normals come from a seeded [`StdRng`] (Box–Muller), so the rows differ
/// from numpy's but follow the same law.
pub fn two_planes(n: usize, noise: f64, seed: u64) -> TwoPlanes {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut normal = move || standard_normal(&mut rng);
    let half = n / 2;
    let mut x = Vec::with_capacity(2 * n);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let (a, b) = (normal(), normal());
        if i < half {
            x.extend([a, 0.8 * b]);
            labels.push(0);
        } else {
            x.extend([0.8 * a, b]);
            labels.push(1);
        }
    }
    let y = (0..n)
        .map(|i| {
            let w = TWO_PLANES[labels[i]];
            w[0] * x[2 * i] + w[1] * x[2 * i + 1] + noise * normal()
        })
        .collect();
    TwoPlanes { x, y, labels }
}
