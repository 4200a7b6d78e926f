//! How the learnable mixture's parameters start: means and scales.

use serde::{Deserialize, Serialize};

/// Where the component means start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MeanInit {
    /// Uniform in the cube `[−radius, radius]^D` (GMMPytorch's `mus`).
    Uniform {
        /// Half-width of the cube.
        radius: f64,
    },
    /// Drawn from a softball of the given radius (multiDGD's `mean_init`): a direction
    /// uniform on the sphere and a length `radius · U^{1/D}`. The sharpness of the prior does
    /// not change the draw.
    Softball {
        /// Radius of the ball.
        radius: f64,
    },
    /// Rows of the data chosen by scikit-learn's greedy k-means++ seeding (each next row
    /// drawn with probability proportional to its squared distance to the nearest chosen
    /// one, the best of `2 + ln K` such draws kept; `mixture_em::kmeans::kmeans_plusplus`,
    /// the seeding of k-means and EM). Needs the data:
    /// use [`GaussianMixtureModuleConfig::init_from_data`](super::GaussianMixtureModuleConfig::init_from_data).
    FromData,
    /// Where EM starts (the default of `mixture-gradient`'s fits): k-means labels (Lloyd
    /// from greedy k-means++, seeded), and from them each cluster's mean, covariance (in the
    /// family's form; replaces the scale initialisation) and weight, as EM's first M-step
    /// gives them. Resolved by `mixture-gradient` (it runs `mixture-em`'s k-means); a module
    /// configuration on its own refuses it.
    KMeans,
    /// Given means, `K·D` values, row-major.
    Values(Vec<f64>),
}

impl Default for MeanInit {
    fn default() -> Self {
        Self::Uniform { radius: 1.0 }
    }
}

/// Where the component scales start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScaleInit {
    /// Every standard deviation equal to this value (multiDGD's `sd_init[0]`, 0.5 there);
    /// for the `Constant` family this is the fixed standard deviation.
    Std(f64),
    /// Standard deviations uniform in `[low, high]` (GMMPytorch draws them from `U(0, 1)`);
    /// full covariances start diagonal.
    UniformStd {
        /// Lower end, `> 0`.
        low: f64,
        /// Upper end, `>= low`.
        high: f64,
    },
    /// From the data: the per-feature variance divided by `K^{2/D}` (the data's volume shared
    /// among the components), averaged over features for the isotropic families. Needs the
    /// data: use
    /// [`GaussianMixtureModuleConfig::init_from_data`](super::GaussianMixtureModuleConfig::init_from_data).
    FromData,
    /// Given negative log-variances in the family's `neglogvar` shape (see
    /// [`Family::neglogvar_shape`](super::Family::neglogvar_shape)); full covariances start
    /// with a zero off-diagonal precision factor.
    NegLogVar(Vec<f64>),
    /// Given covariance matrices, `K·D·D` values (full family only).
    Covariances(Vec<f64>),
}

impl Default for ScaleInit {
    fn default() -> Self {
        Self::Std(1.0)
    }
}
