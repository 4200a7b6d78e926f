//! The four covariance structures.

use core::fmt;
use core::str::FromStr;

/// How the components' covariance matrices are constrained (scikit-learn's
/// `covariance_type`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum CovarianceType {
    /// Each component has its own general covariance matrix.
    #[default]
    Full,
    /// All components share one general covariance matrix.
    Tied,
    /// Each component has its own diagonal covariance matrix.
    Diag,
    /// Each component has its own single variance.
    Spherical,
}

impl CovarianceType {
    /// All four, in scikit-learn's order.
    pub const ALL: [CovarianceType; 4] = [Self::Full, Self::Tied, Self::Diag, Self::Spherical];

    /// Free covariance parameters of `k` components in `d` dimensions.
    pub fn n_parameters(self, k: usize, d: usize) -> usize {
        match self {
            Self::Full => k * d * (d + 1) / 2,
            Self::Tied => d * (d + 1) / 2,
            Self::Diag => k * d,
            Self::Spherical => k,
        }
    }

    /// Values in a covariance-shaped tensor of this structure (scikit-learn's shapes): full
    /// `K·D·D`, tied `D·D`, diagonal `K·D`, spherical `K`.
    pub fn n_values(self, k: usize, d: usize) -> usize {
        match self {
            Self::Full => k * d * d,
            Self::Tied => d * d,
            Self::Diag => k * d,
            Self::Spherical => k,
        }
    }

    /// Columns of the data-only features the E-step scores with, `0` when there are none:
    /// diagonal `[x − c, (x − c)², 1]` (`2D + 1`), spherical `[x − c, ‖x − c‖², 1]` (`D + 2`);
    /// full and tied covariances score with the precision factors instead.
    pub fn feature_width(self, d: usize) -> usize {
        match self {
            Self::Full | Self::Tied => 0,
            Self::Diag => 2 * d + 1,
            Self::Spherical => d + 2,
        }
    }

    /// The name used on the command line and in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Tied => "tied",
            Self::Diag => "diag",
            Self::Spherical => "spherical",
        }
    }
}

impl fmt::Display for CovarianceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CovarianceType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Ok(Self::Full),
            "tied" => Ok(Self::Tied),
            "diag" | "diagonal" => Ok(Self::Diag),
            "spherical" => Ok(Self::Spherical),
            other => Err(format!(
                "unknown covariance type `{other}`; expected one of full, tied, diag, spherical"
            )),
        }
    }
}
