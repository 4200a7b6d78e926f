//! About which point the E-step takes its second moments.

/// About which point the E-step takes the components' second moments (and, for diagonal,
/// spherical and tied covariances, writes their scores).
///
/// One-pass moments about a single centre lose precision to cancellation: a component whose
/// mean lies `|μ_k − c|` from the centre with variance `σ_k²` keeps about
/// `−log10(ε · |μ_k − c|²/σ_k²)` digits of its covariance, where `ε` is the dtype's epsilon
/// (6·10⁻⁸ for f32). In f64, or in f32 with clusters no farther than a few hundred standard
/// deviations from the data mean, that loses nothing that matters; a thin cluster far from the
/// others does not fit in f32. Moments about each component's mean do not cancel.
///
/// # Example
/// ```
/// use mixture_experts::gaussian::StatisticsCentre;
/// assert_eq!("component-means".parse::<StatisticsCentre>().unwrap(), StatisticsCentre::ComponentMeans);
/// assert_eq!(StatisticsCentre::default(), StatisticsCentre::DataMean);
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(into = "&'static str", try_from = "String")]
pub enum StatisticsCentre {
    /// About the data mean `c`: scores and statistics are one matrix product each over the
    /// features `[x − c, (x − c)², 1]` (diagonal, spherical) or `[x − c, 1]` (full, tied).
    /// The fastest; exact enough in f64, and in f32 unless components are thin and far from
    /// the data mean.
    #[default]
    DataMean,
    /// About each component's current mean: residuals `x − μ_k` for every row and component
    /// (an `[N, K, D]` pass per block), from which scores and second moments are written
    /// without cancellation. The means are fixed during an E-step, so the statistics of
    /// batches, and of ranks, still add up exactly. Several times slower per iteration for
    /// diagonal and spherical covariances, about the same work for full ones.
    ComponentMeans,
}

mixture_core::named_enum!(StatisticsCentre, "statistics centre", {
    DataMean => "data-mean",
    ComponentMeans => "component-means",
});
