//! How a log-prior is weighed against the data term of a gradient objective.

use core::fmt;
use core::str::FromStr;

/// How much of the log-prior enters the loss of one batch.
///
/// The loss of a batch of `n` rows out of `N` is
/// `−(1/n) Σ_batch log p(x) − scale · log p(θ)` ([`GaussianMixtureModule::loss`](super::GaussianMixtureModule::loss)),
/// with `scale` from [`scale`](Self::scale):
///
/// | weighting | `scale` | the prior counts |
/// |---|---|---|
/// | `PerSample` | `1` | once per sample: multiDGD, whose `forward` adds the whole prior to every row's loss, so its weight grows with the data |
/// | `PerBatch` | `1/n` | once per batch (exact MAP for full-batch training) |
/// | `PerDataset` | `1/N` | once per pass over the data (exact MAP for any batch size, in expectation) |
///
/// `PerDataset` is the default: it is the posterior mode whatever the batch size.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum PriorWeighting {
    /// The whole prior in every sample's loss (multiDGD).
    PerSample,
    /// The prior once per batch.
    PerBatch,
    /// The prior once per pass over the whole data.
    #[default]
    PerDataset,
}

impl PriorWeighting {
    /// The factor on `log p(θ)` in the mean-per-row loss of a batch of `batch_rows` rows out
    /// of `total_rows`.
    pub fn scale(self, batch_rows: usize, total_rows: usize) -> f64 {
        match self {
            Self::PerSample => 1.0,
            Self::PerBatch => 1.0 / batch_rows.max(1) as f64,
            Self::PerDataset => 1.0 / total_rows.max(1) as f64,
        }
    }

    /// The name used on the command line and in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PerSample => "per-sample",
            Self::PerBatch => "per-batch",
            Self::PerDataset => "per-dataset",
        }
    }
}

impl fmt::Display for PriorWeighting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PriorWeighting {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "per-sample" | "sample" => Ok(Self::PerSample),
            "per-batch" | "batch" => Ok(Self::PerBatch),
            "per-dataset" | "dataset" => Ok(Self::PerDataset),
            other => Err(format!(
                "unknown prior weighting `{other}`; expected per-sample, per-batch or per-dataset"
            )),
        }
    }
}
