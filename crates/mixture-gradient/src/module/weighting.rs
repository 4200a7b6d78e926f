//! How a log-prior is weighed against the data term of a gradient objective.

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
#[serde(into = "&'static str", try_from = "String")]
pub enum PriorWeighting {
    /// The whole prior in every sample's loss (multiDGD).
    PerSample,
    /// The prior once per batch.
    PerBatch,
    /// The prior once per pass over the whole data.
    #[default]
    PerDataset,
}

mixture_core::named_enum!(PriorWeighting, "prior weighting", {
    PerSample => "per-sample" | "per_sample" | "sample",
    PerBatch => "per-batch" | "per_batch" | "batch",
    PerDataset => "per-dataset" | "per_dataset" | "dataset",
});

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
}
