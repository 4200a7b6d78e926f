//! The k-means hyperparameters and the entry points of a fit.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{DataSource, Error, Result, TensorSource, host::weighted_batch};

use super::{KMeans, fit};

/// How the initial centres of each restart are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(into = "&\'static str", try_from = "String")]
pub enum KMeansInit {
    /// Greedy k-means++ (scikit-learn's `kmeans_plusplus`), see [`super::kmeans_plusplus`].
    #[default]
    KMeansPlusPlus,
    /// K distinct rows drawn without replacement, with probability ∝ sample weight.
    Random,
}

mixture_core::named_enum!(KMeansInit, "k-means init", {
    KMeansPlusPlus => "k-means++" | "kmeans++" | "kmeans-plus-plus" | "kmeansplusplus",
    Random => "random",
});

/// Rows of the uniform sample that seeds k-means++ when a Gaussian mixture is initialised
/// over a large stream (more rows than this, and than 64 per cluster): k-means++ on the
/// sample, then exact Lloyd passes over the stream.
pub const STREAM_SEED_ROWS: usize = 1 << 16;

/// Hyperparameters of k-means (scikit-learn's `KMeans` with `algorithm="lloyd"`).
///
/// Defaults (from [`KMeansConfig::new`]): `init` k-means++, `n_init` 1, `tol` 1e-4,
/// `max_iter` 300, `seed` 0, `batch_size` `None` (the whole data in one batch).
///
/// # Example
///
/// ```
/// use burn::tensor::Tensor;
/// use burn_flex::Flex;
/// use mixture_em::{KMeansConfig, KMeansInit};
///
/// let device = Default::default();
/// let x = Tensor::<Flex, 2>::from_floats(
///     [[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0], [5.1, 5.0], [5.0, 5.1]],
///     &device,
/// );
/// let model = KMeansConfig::new(2)
///     .with_init(KMeansInit::KMeansPlusPlus)
///     .with_n_init(3)
///     .with_seed(42)
///     .fit(&x)
///     .unwrap();
/// let labels = model.labels().unwrap();
/// assert_eq!(labels[0], labels[1]);
/// assert_ne!(labels[0], labels[3]);
/// // Each blob has squared distances 2/900, 5/900 and 5/900 to its mean: 12/900 per blob.
/// // f32 with ‖x‖² ≈ 50 loses about 1e-5 to cancellation in ‖x‖² − 2x·c + ‖c‖².
/// assert!((model.inertia() - 24.0 / 900.0).abs() < 1e-4);
/// let predicted = model.predict(&Tensor::from_floats([[4.9, 5.2]], &device)).unwrap();
/// assert_eq!(mixture_core::tensor::to_vec_i64(predicted).unwrap()[0], labels[3]);
/// ```
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KMeansConfig {
    /// Number of clusters K (≥ 1, at most the number of rows).
    pub n_clusters: usize,
    /// Seeding of each restart.
    pub init: KMeansInit,
    /// Restarts; the fit with the lowest inertia is kept (≥ 1).
    pub n_init: usize,
    /// Relative tolerance on the squared centre shift: stop when
    /// `‖C_new − C_old‖²_F ≤ tol · mean_j Var(X_j)` (≥ 0; 0 stops only on unchanged labels).
    pub tol: f64,
    /// Maximum Lloyd iterations per restart (≥ 1).
    pub max_iter: usize,
    /// Seed of the host RNG (`StdRng`) that draws every restart's initial centres.
    pub seed: u64,
    /// Rows per batch for [`KMeansConfig::fit`] and [`KMeansConfig::fit_weighted`]
    /// (`None`: one batch). The result is the same for every batch size (up to floating-point
    /// summation order); batches bound the memory of the `N×K` distance matrix.
    pub batch_size: Option<usize>,
}

impl KMeansConfig {
    /// K-means with `n_clusters` clusters and the default settings (see the type's docs).
    pub fn new(n_clusters: usize) -> Self {
        Self {
            n_clusters,
            init: KMeansInit::KMeansPlusPlus,
            n_init: 1,
            tol: 1e-4,
            max_iter: 300,
            seed: 0,
            batch_size: None,
        }
    }

    /// Sets the number of clusters.
    pub fn with_n_clusters(mut self, n_clusters: usize) -> Self {
        self.n_clusters = n_clusters;
        self
    }

    /// Sets the seeding method.
    pub fn with_init(mut self, init: KMeansInit) -> Self {
        self.init = init;
        self
    }

    /// Sets the number of restarts.
    pub fn with_n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Sets the relative tolerance on the centre shift.
    pub fn with_tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Sets the maximum number of Lloyd iterations per restart.
    pub fn with_max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Sets the seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Sets the batch size (`None`: the whole data in one batch).
    pub fn with_batch_size(mut self, batch_size: Option<usize>) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field: `n_clusters` = 0, `n_init` = 0,
    /// `tol` negative or not finite, `max_iter` = 0, `batch_size` = `Some(0)`.
    pub fn validate(&self) -> Result<()> {
        if self.n_clusters == 0 {
            return Err(invalid("n_clusters", "must be >= 1, got 0".into()));
        }
        if self.n_init == 0 {
            return Err(invalid("n_init", "must be >= 1, got 0".into()));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(invalid(
                "tol",
                format!("must be finite and >= 0, got {}", self.tol),
            ));
        }
        if self.max_iter == 0 {
            return Err(invalid("max_iter", "must be >= 1, got 0".into()));
        }
        if self.batch_size == Some(0) {
            return Err(invalid(
                "batch_size",
                "must be >= 1 (or None for one batch), got 0".into(),
            ));
        }
        Ok(())
    }

    /// Fits k-means to the rows of `x` (`[N, D]`), every row with weight one.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] (see [`validate`](Self::validate)), [`Error::EmptyData`],
    /// [`Error::NonFinite`], [`Error::TooFewSamples`] when `n_clusters > N`,
    /// [`Error::Diverged`] when the inertia overflows.
    pub fn fit<B: Backend>(&self, x: &Tensor<B, 2>) -> Result<KMeans<B>> {
        self.fit_opt(x, None)
    }

    /// Fits k-means with one non-negative weight per row (`[N]`; scikit-learn's
    /// `sample_weight`). Integer weights give the fit of the data with rows repeated.
    ///
    /// # Errors
    /// As [`fit`](Self::fit), plus [`Error::DimensionMismatch`] when `w` does not have one
    /// weight per row and [`Error::InvalidWeights`] / [`Error::NonFinite`] for bad weights.
    pub fn fit_weighted<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        sample_weight: &Tensor<B, 1>,
    ) -> Result<KMeans<B>> {
        self.fit_opt(x, Some(sample_weight))
    }

    /// Fits k-means to the batches of `source` (weighted where the batches carry weights).
    /// The source's own batching is used; [`batch_size`](Self::batch_size) is ignored.
    ///
    /// # Errors
    /// As [`fit_weighted`](Self::fit_weighted).
    pub fn fit_source<B: Backend, S: DataSource<B>>(&self, source: &S) -> Result<KMeans<B>> {
        self.validate()?;
        fit::fit_source(self, source, None, true)
    }

    /// [`fit_source`](Self::fit_source) without the training labels (a Gaussian mixture's
    /// initialisation over a stream needs the centres only; the labels of a large stream
    /// would cost 8 bytes per row).
    ///
    /// A source of more than [`STREAM_SEED_ROWS`] rows (and 64 per cluster) is seeded by
    /// k-means++ on a seeded uniform sample of that many rows (one pass to gather them),
    /// then refined by exact Lloyd passes over the whole source: k-means++ over all rows
    /// would hold four values per row. Smaller sources are seeded from all rows, as `fit`.
    pub(crate) fn fit_source_centres<B: Backend, S: DataSource<B>>(
        &self,
        source: &S,
    ) -> Result<KMeans<B>> {
        use rand::{SeedableRng, rngs::StdRng, seq::index::sample};
        self.validate()?;
        let n = source.n_samples();
        let m = STREAM_SEED_ROWS.max(64 * self.n_clusters);
        if n <= m || self.init != KMeansInit::KMeansPlusPlus {
            return fit::fit_source(self, source, None, false);
        }
        let mut rng = StdRng::seed_from_u64(self.seed);
        let mut rows = sample(&mut rng, n, m).into_vec();
        rows.sort_unstable();
        let rows = mixture_core::batch::gather_rows(source, &rows)?;
        let (centres, _) =
            super::kmeans_plusplus(&rows.x, rows.weight.as_ref(), self.n_clusters, &mut rng)?;
        fit::fit_source(self, source, Some(centres), false)
    }

    /// Runs Lloyd's algorithm once from the given initial centres (`[K, D]`, K =
    /// `n_clusters`; scikit-learn's `init=ndarray`): `init` and `n_init` are not used.
    ///
    /// # Errors
    /// As [`fit_weighted`](Self::fit_weighted), plus [`Error::InvalidInit`] when `centroids`
    /// has the wrong shape or non-finite values.
    pub fn fit_from_centroids<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        sample_weight: Option<&Tensor<B, 1>>,
        centroids: &Tensor<B, 2>,
    ) -> Result<KMeans<B>> {
        self.validate()?;
        let source = self.source(x, sample_weight)?;
        let [k, d] = centroids.dims();
        let n_features = x.dims()[1];
        if k != self.n_clusters || d != n_features {
            return Err(Error::InvalidInit {
                field: "centroids",
                reason: format!(
                    "expected shape [{}, {n_features}] (n_clusters × n_features), got [{k}, {d}]",
                    self.n_clusters
                ),
            });
        }
        if let Err(e) = mixture_core::host::check_finite(centroids.clone(), "centroids", d) {
            return Err(Error::InvalidInit {
                field: "centroids",
                reason: e.to_string(),
            });
        }
        let centroids = if centroids.dtype() == x.dtype() {
            centroids.clone()
        } else {
            centroids.clone().cast(x.dtype())
        };
        fit::fit_source(self, &source, Some(centroids), true)
    }

    fn fit_opt<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        sample_weight: Option<&Tensor<B, 1>>,
    ) -> Result<KMeans<B>> {
        self.validate()?;
        let source = self.source(x, sample_weight)?;
        fit::fit_source(self, &source, None, true)
    }

    /// The in-memory source of `x` (and its weights) in batches of `batch_size` rows.
    fn source<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        sample_weight: Option<&Tensor<B, 1>>,
    ) -> Result<TensorSource<B>> {
        // Checked here: slicing a batch with a short weight vector would panic.
        let batch = weighted_batch(x, sample_weight)?;
        Ok(TensorSource::new(batch, self.batch_size))
    }
}

fn invalid(field: &'static str, reason: String) -> Error {
    Error::InvalidConfig { field, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_setters() {
        let c = KMeansConfig::new(3);
        assert_eq!(c.init, KMeansInit::KMeansPlusPlus);
        assert_eq!(
            (c.n_init, c.max_iter, c.seed, c.batch_size),
            (1, 300, 0, None)
        );
        assert_eq!(c.tol, 1e-4);
        assert!(c.validate().is_ok());
        let c = c
            .with_n_clusters(4)
            .with_init(KMeansInit::Random)
            .with_n_init(5)
            .with_tol(0.0)
            .with_max_iter(7)
            .with_seed(9)
            .with_batch_size(Some(10));
        assert_eq!(
            c,
            KMeansConfig {
                n_clusters: 4,
                init: KMeansInit::Random,
                n_init: 5,
                tol: 0.0,
                max_iter: 7,
                seed: 9,
                batch_size: Some(10)
            }
        );
    }

    #[test]
    fn validate_names_the_field() {
        let field = |c: KMeansConfig| match c.validate() {
            Err(Error::InvalidConfig { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(KMeansConfig::new(0)), "n_clusters");
        assert_eq!(field(KMeansConfig::new(2).with_n_init(0)), "n_init");
        assert_eq!(field(KMeansConfig::new(2).with_tol(-1.0)), "tol");
        assert_eq!(field(KMeansConfig::new(2).with_tol(f64::NAN)), "tol");
        assert_eq!(field(KMeansConfig::new(2).with_max_iter(0)), "max_iter");
        assert_eq!(
            field(KMeansConfig::new(2).with_batch_size(Some(0))),
            "batch_size"
        );
    }

    #[test]
    fn init_parses_and_prints() {
        assert_eq!("k-means++".parse(), Ok(KMeansInit::KMeansPlusPlus));
        assert_eq!("kmeans++".parse(), Ok(KMeansInit::KMeansPlusPlus));
        assert_eq!("Random".parse(), Ok(KMeansInit::Random));
        assert!("foo".parse::<KMeansInit>().is_err());
        assert_eq!(KMeansInit::KMeansPlusPlus.to_string(), "k-means++");
        let json = serde_json::to_string(&KMeansInit::KMeansPlusPlus).unwrap();
        assert_eq!(json, "\"k-means++\"");
        assert_eq!(
            serde_json::from_str::<KMeansInit>("\"random\"").unwrap(),
            KMeansInit::Random
        );
    }
}
