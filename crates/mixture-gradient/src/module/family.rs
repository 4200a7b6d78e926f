//! The covariance families of the learnable mixture.

/// How the covariances of a [`GaussianMixtureModule`](super::GaussianMixtureModule) are
/// constrained and learned (GMMPytorch's `FamilyType`).
///
/// Every learned family keeps a *negative log-variance* parameter (`σ² = exp(−neglogvar)`,
/// multiDGD's convention), so variances stay positive without a constraint; the floor
/// `σ ≥ min_std` caps it from above (see
/// [`GaussianMixtureModuleConfig::min_std`](super::GaussianMixtureModuleConfig::min_std)).
///
/// | family | learned covariance parameters | shape of `neglogvar` |
/// |---|---|---|
/// | `Full` | Cholesky factor of the precision, positive diagonal | `[K, D]` (+ `[K, D, D]` off-diagonal) |
/// | `Diagonal` | one variance per component and dimension | `[K, D]` |
/// | `Isotropic` | one variance per component | `[K, 1]` |
/// | `SharedIsotropic` | one variance for all components | `[1, 1]` |
/// | `Constant` | none: a fixed variance for all (GMMPytorch lists it but never implemented it) | `[1, 1]`, not learned |
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Family {
    /// A general covariance per component, through the Cholesky factor of its precision.
    #[default]
    Full,
    /// A diagonal covariance per component.
    Diagonal,
    /// One variance per component (spherical).
    Isotropic,
    /// One variance shared by all components.
    SharedIsotropic,
    /// A fixed variance shared by all components; only means and weights are learned.
    Constant,
}

mixture_core::named_enum!(Family, "family", {
    Full => "full",
    Diagonal => "diagonal" | "diag",
    Isotropic => "isotropic" | "spherical",
    SharedIsotropic => "shared-isotropic" | "shared_isotropic" | "shared",
    Constant => "constant" | "fixed",
});

impl Family {
    /// Shape of the `neglogvar` parameter for `k` components in `d` dimensions.
    pub fn neglogvar_shape(self, k: usize, d: usize) -> [usize; 2] {
        match self {
            Self::Full | Self::Diagonal => [k, d],
            Self::Isotropic => [k, 1],
            Self::SharedIsotropic | Self::Constant => [1, 1],
        }
    }

    /// Whether the covariance is learned (every family but `Constant`).
    pub fn is_learned(self) -> bool {
        !matches!(self, Self::Constant)
    }

    /// Free covariance parameters of `k` components in `d` dimensions.
    pub fn n_parameters(self, k: usize, d: usize) -> usize {
        match self {
            Self::Full => k * d * (d + 1) / 2,
            Self::Diagonal => k * d,
            Self::Isotropic => k,
            Self::SharedIsotropic => 1,
            Self::Constant => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Family::ALL {
            assert_eq!(f.as_str().parse::<Family>().unwrap(), f);
            assert_eq!(f.to_string(), f.as_str());
        }
        assert_eq!(
            "shared_isotropic".parse::<Family>().unwrap(),
            Family::SharedIsotropic
        );
        assert!("tied".parse::<Family>().is_err());
    }
}
