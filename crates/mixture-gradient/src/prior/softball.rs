//! The softball prior on component means (multiDGD).

use crate::module::{GaussianMixtureModule, sample_in_ball};
use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Error, LogPrior, Result,
    special::lgamma_f64,
    tensor::{from_f64, from_f64_like},
};
use rand::{SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

/// A "softball": almost uniform inside the `d`-ball of radius `r`, with a logistic edge of
/// sharpness `s` (multiDGD's `softball`, the prior of its mixture means):
///
/// ```text
/// log p(z) = lgamma(1 + d/2) − d (ln r + ½ ln π) − ln(1 + exp(s (‖z‖/r − 1)))
/// ```
///
/// The first two terms are minus the log-volume of the ball. The density is not exactly
/// normalised (the edge leaks a little mass), as in multiDGD. multiDGD's defaults are
/// `r = 2` (`softball_scale`) and `s = 5` (`softball_hardness`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SoftballPrior {
    /// Radius of the ball, `> 0`.
    pub radius: f64,
    /// Sharpness of the edge, `> 0`.
    pub sharpness: f64,
}

impl SoftballPrior {
    /// A softball of the given radius and sharpness.
    pub fn new(radius: f64, sharpness: f64) -> Self {
        Self { radius, sharpness }
    }

    /// Checks the fields.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the radius or the sharpness is not finite and positive.
    pub fn validate(&self) -> Result<()> {
        for (field, v) in [
            ("softball.radius", self.radius),
            ("softball.sharpness", self.sharpness),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(Error::InvalidConfig {
                    field,
                    reason: format!("must be finite and > 0, got {v}"),
                });
            }
        }
        Ok(())
    }

    /// The constant `lgamma(1 + d/2) − d (ln r + ½ ln π)` in dimension `d`.
    pub fn log_normaliser(&self, d: usize) -> f64 {
        let d = d as f64;
        lgamma_f64(1.0 + d / 2.0) - d * (self.radius.ln() + 0.5 * core::f64::consts::PI.ln())
    }

    /// `log p(z_n)` for each row of `z` (`[N, d]`), `[N]`. Differentiable; the gradient at
    /// the origin is zero (the norm is smoothed by `1e-24` under the square root).
    pub fn log_prob<B: Backend>(&self, z: Tensor<B, 2>) -> Tensor<B, 1> {
        let [n, d] = z.dims();
        let norm = z.square().sum_dim(1).add_scalar(1e-24).sqrt().reshape([n]);
        let t = norm
            .mul_scalar(self.sharpness / self.radius)
            .sub_scalar(self.sharpness);
        // softplus(t) = max(t, 0) + ln(1 + exp(−|t|)), stable for any t.
        let softplus = t.clone().clamp_min(0.0) + t.abs().neg().exp().log1p();
        softplus.neg().add_scalar(self.log_normaliser(d))
    }

    /// `n` points in the ball (a direction uniform on the sphere, a length `r·U^{1/d}`),
    /// `[n, d]`, on `device` with `dtype`.
    pub fn sample<B: Backend>(
        &self,
        n: usize,
        d: usize,
        device: &B::Device,
        dtype: burn::tensor::DType,
        seed: u64,
    ) -> Tensor<B, 2> {
        let mut rng = StdRng::seed_from_u64(seed);
        from_f64(
            sample_in_ball(n, d, self.radius, &mut rng),
            [n, d],
            device,
            dtype,
        )
    }
}

/// The sum of the softball's log-density over the component means.
impl<B: Backend> LogPrior<B, GaussianMixtureModule<B>> for SoftballPrior {
    fn log_prior(&self, model: &GaussianMixtureModule<B>) -> Tensor<B, 1> {
        let means = model.means.val();
        let lp = self.log_prob(means.clone()).sum();
        // Keep the result on the means' device and dtype even for an empty sum.
        lp + from_f64_like::<B, 1, 2>(vec![0.0], [1], &means)
    }
}
