//! Drawing from the learnable mixture, with seeded host randomness.
//!
//! Normal deviates come from a seeded host RNG (Box–Muller) and travel to the device as one
//! tensor, like [`mixture_core::sampling`], so that draws are reproducible on every backend.
//! The draws are reparameterised (`μ + A ε`), hence differentiable in the means and scales
//! under `Autodiff`.

use burn::tensor::{Int, Tensor, backend::Backend};
use mixture_core::{sampling::categorical, tensor::from_f64_like};
use rand::{Rng, RngExt, SeedableRng, rngs::StdRng};

use super::{Family, GaussianMixtureModule};

/// `n` independent standard normal deviates (Box–Muller on a seeded host RNG); the same as
/// [`mixture_core::sampling::standard_normals`].
pub use mixture_core::sampling::standard_normals as standard_normal;

/// `n` points in the `d`-ball of radius `radius`, row-major `[n, d]`: a direction uniform on
/// the sphere (`g/‖g‖`, `g ~ N(0, I)`) and a length `radius · U^{1/d}` (multiDGD's softball
/// sampler).
pub fn sample_in_ball<R: Rng + ?Sized>(n: usize, d: usize, radius: f64, rng: &mut R) -> Vec<f64> {
    let mut out = Vec::with_capacity(n * d);
    for _ in 0..n {
        let g = standard_normal(d, rng);
        let norm = g
            .iter()
            .map(|v| v * v)
            .sum::<f64>()
            .sqrt()
            .max(f64::MIN_POSITIVE);
        let len = radius * rng.random::<f64>().powf(1.0 / d as f64);
        out.extend(g.iter().map(|v| v / norm * len));
    }
    out
}

/// What [`GaussianMixtureModule::sample_new_points`] returns.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum NewPoints {
    /// The component means, `[K, D]`.
    #[default]
    Mean,
    /// `n` draws from every component, `[n·K, D]`.
    Sample,
}

impl<B: Backend> GaussianMixtureModule<B> {
    /// `n` draws from the mixture and the component each came from: (`[n, D]`, `[n]`).
    pub fn sample(&self, n: usize, seed: u64) -> (Tensor<B, 2>, Tensor<B, 1, Int>) {
        self.sample_with_rng(n, &mut StdRng::seed_from_u64(seed))
    }

    /// [`sample`](Self::sample) with a caller's RNG.
    pub fn sample_with_rng<R: Rng + ?Sized>(
        &self,
        n: usize,
        rng: &mut R,
    ) -> (Tensor<B, 2>, Tensor<B, 1, Int>) {
        let k = self.n_components();
        let weights = self.mixture_probs().unsqueeze_dim::<2>(0).expand([n, k]);
        let labels = categorical(weights, rng);
        let x = self.draw_from(labels.clone(), true, rng);
        (x, labels)
    }

    /// One point per entry of `components` (`[n]` indices in `0..K`): that component's mean,
    /// plus a Gaussian draw from its covariance when `noise` is set. `[n, D]`.
    pub fn draw_from<R: Rng + ?Sized>(
        &self,
        components: Tensor<B, 1, Int>,
        noise: bool,
        rng: &mut R,
    ) -> Tensor<B, 2> {
        let n = components.dims()[0];
        let d = self.n_features();
        let means = self.means.val();
        let mu = means.clone().select(0, components.clone());
        if !noise {
            return mu;
        }
        let eps = from_f64_like::<B, 2, 2>(standard_normal(n * d, rng), [n, d], &means);
        match self.family() {
            Family::Full => {
                let a = self.covariance_factor().select(0, components);
                mu + a.matmul(eps.reshape([n, d, 1])).reshape([n, d])
            }
            _ => mu + self.stddev().select(0, components) * eps,
        }
    }

    /// `n` draws from every component, `[n, K, D]` (multiDGD's `component_sample`).
    pub fn component_sample(&self, n: usize, seed: u64) -> Tensor<B, 3> {
        self.component_sample_with_rng(n, &mut StdRng::seed_from_u64(seed))
    }

    /// [`component_sample`](Self::component_sample) with a caller's RNG.
    pub fn component_sample_with_rng<R: Rng + ?Sized>(
        &self,
        n: usize,
        rng: &mut R,
    ) -> Tensor<B, 3> {
        let (k, d) = (self.n_components(), self.n_features());
        let means = self.means.val();
        let eps = from_f64_like::<B, 3, 2>(standard_normal(n * k * d, rng), [k, d, n], &means);
        let noise = match self.family() {
            // [K, D, D] × [K, D, n] → [K, D, n]
            Family::Full => self.covariance_factor().matmul(eps),
            _ => self.stddev().unsqueeze_dim::<3>(2) * eps,
        };
        noise.permute([2, 0, 1]) + means.unsqueeze_dim::<3>(0)
    }

    /// Candidate new points (multiDGD's `sample_new_points`): the means (`[K, D]`, `n`
    /// ignored) or `n` draws per component (`[n·K, D]`, draw-major).
    pub fn sample_new_points(&self, kind: NewPoints, n: usize, seed: u64) -> Tensor<B, 2> {
        match kind {
            NewPoints::Mean => self.means.val(),
            NewPoints::Sample => {
                let (k, d) = (self.n_components(), self.n_features());
                self.component_sample(n, seed).reshape([n * k, d])
            }
        }
    }
}
