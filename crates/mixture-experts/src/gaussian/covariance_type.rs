//! The four covariance structures.

/// How the components' covariance matrices are constrained (scikit-learn's
/// `covariance_type`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "&'static str", try_from = "String")]
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

mixture_core::named_enum!(CovarianceType, "covariance type", {
    Full => "full",
    Tied => "tied",
    Diag => "diag" | "diagonal",
    Spherical => "spherical",
});

impl CovarianceType {
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
}
