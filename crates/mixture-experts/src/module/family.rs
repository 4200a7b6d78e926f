//! The covariance families of the learnable mixture.

use core::fmt;
use core::str::FromStr;

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
#[serde(rename_all = "kebab-case")]
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

impl Family {
    /// All five, in GMMPytorch's order.
    pub const ALL: [Family; 5] = [
        Self::Full,
        Self::Diagonal,
        Self::Isotropic,
        Self::SharedIsotropic,
        Self::Constant,
    ];

    /// The name used on the command line and in files (kebab-case).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Diagonal => "diagonal",
            Self::Isotropic => "isotropic",
            Self::SharedIsotropic => "shared-isotropic",
            Self::Constant => "constant",
        }
    }

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

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Family {
    type Err = String;

    /// Parses the kebab-case names; GMMPytorch's `shared_isotropic` and the scikit-learn
    /// spellings `diag` and `spherical` are accepted too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "full" => Ok(Self::Full),
            "diagonal" | "diag" => Ok(Self::Diagonal),
            "isotropic" | "spherical" => Ok(Self::Isotropic),
            "shared-isotropic" | "shared" => Ok(Self::SharedIsotropic),
            "constant" | "fixed" => Ok(Self::Constant),
            other => Err(format!(
                "unknown family `{other}`; expected one of full, diagonal, isotropic, \
                 shared-isotropic, constant"
            )),
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
