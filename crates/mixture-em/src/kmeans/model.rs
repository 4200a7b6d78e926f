//! The fitted k-means model.

use burn::tensor::{Int, Tensor, backend::Backend};
use mixture_core::{Result, host::check_input, tensor::to_vec_f64};

use super::KMeansConfig;
use super::distance::{nearest, sq_distances, sq_norms_row};

/// A fitted k-means model: K centroids (`[K, D]`) and what the fit reported.
///
/// Made by [`KMeansConfig::fit`] and its siblings, from given centroids by
/// [`KMeans::from_centroids`], or read back by [`KMeans::load`].
#[derive(Debug, Clone)]
pub struct KMeans<B: Backend> {
    config: KMeansConfig,
    centroids: Tensor<B, 2>,
    inertia: f64,
    n_iter: usize,
    converged: bool,
    labels: Option<Vec<i64>>,
}

impl<B: Backend> KMeans<B> {
    /// The result of a fit.
    pub(crate) fn fitted(
        config: KMeansConfig,
        centroids: Tensor<B, 2>,
        inertia: f64,
        n_iter: usize,
        converged: bool,
        labels: Vec<i64>,
    ) -> Self {
        Self {
            config,
            centroids,
            inertia,
            n_iter,
            converged,
            labels: Some(labels),
        }
    }

    /// A model with the given centroids (`[K, D]`) and no fit behind it: [`inertia`]
    /// is NaN, [`n_iter`] 0, [`converged`] false and [`labels`] `None`. Useful to assign
    /// data to known centres (PyCave's `KMeansModel` with set centroids). The centroids
    /// are not checked; give finite values.
    ///
    /// [`inertia`]: Self::inertia
    /// [`n_iter`]: Self::n_iter
    /// [`converged`]: Self::converged
    /// [`labels`]: Self::labels
    pub fn from_centroids(centroids: Tensor<B, 2>) -> Self {
        let config = KMeansConfig::new(centroids.dims()[0]);
        Self::from_saved(config, centroids, f64::NAN, 0, false)
    }

    /// A model read from a file: no training labels.
    pub(crate) fn from_saved(
        config: KMeansConfig,
        centroids: Tensor<B, 2>,
        inertia: f64,
        n_iter: usize,
        converged: bool,
    ) -> Self {
        Self {
            config,
            centroids,
            inertia,
            n_iter,
            converged,
            labels: None,
        }
    }

    /// The configuration of the fit (for [`from_centroids`](Self::from_centroids):
    /// `KMeansConfig::new(K)`).
    pub fn config(&self) -> &KMeansConfig {
        &self.config
    }

    /// The centroids, `[K, D]` (scikit-learn's `cluster_centers_`).
    pub fn centroids(&self) -> Tensor<B, 2> {
        self.centroids.clone()
    }

    /// Number of clusters K.
    pub fn n_clusters(&self) -> usize {
        self.centroids.dims()[0]
    }

    /// Number of features D.
    pub fn n_features(&self) -> usize {
        self.centroids.dims()[1]
    }

    /// Sum of the (sample-weighted) squared distances of the training rows to their closest
    /// centroid (scikit-learn's `inertia_`; PyCave reports it divided by N).
    pub fn inertia(&self) -> f64 {
        self.inertia
    }

    /// Lloyd iterations run by the kept restart (scikit-learn's `n_iter_`).
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// Whether the kept restart stopped (labels unchanged or centre shift within `tol`)
    /// before `max_iter`.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// The cluster of every training row (scikit-learn's `labels_`), `None` for a model made
    /// by [`from_centroids`](Self::from_centroids) or read back by [`load`](Self::load).
    pub fn labels(&self) -> Option<&[i64]> {
        self.labels.as_deref()
    }

    /// The index of the closest centroid of every row of `x` (`[N, D]` → `[N]`); ties go to
    /// the lowest index.
    ///
    /// # Errors
    /// [`Error::EmptyData`](mixture_core::Error::EmptyData),
    /// [`Error::NonFinite`](mixture_core::Error::NonFinite),
    /// [`Error::DimensionMismatch`](mixture_core::Error::DimensionMismatch) when `x` does not
    /// have D columns.
    pub fn predict(&self, x: &Tensor<B, 2>) -> Result<Tensor<B, 1, Int>> {
        let x = self.checked(x)?;
        Ok(nearest(&x, &self.centroids, &sq_norms_row(&self.centroids)).0)
    }

    /// Euclidean distances of every row of `x` to every centroid, `[N, K]` (scikit-learn's
    /// `transform`).
    ///
    /// # Errors
    /// As [`predict`](Self::predict).
    pub fn transform(&self, x: &Tensor<B, 2>) -> Result<Tensor<B, 2>> {
        let x = self.checked(x)?;
        Ok(sq_distances(&x, &self.centroids, &sq_norms_row(&self.centroids)).sqrt())
    }

    /// Minus the sum of squared distances of the rows of `x` to their closest centroid
    /// (scikit-learn's `KMeans.score`: higher is better).
    ///
    /// # Errors
    /// As [`predict`](Self::predict).
    pub fn score(&self, x: &Tensor<B, 2>) -> Result<f64> {
        let x = self.checked(x)?;
        let min = nearest(&x, &self.centroids, &sq_norms_row(&self.centroids)).1;
        Ok(-to_vec_f64(min.sum())?[0])
    }

    /// `x` after the checks, in the dtype of the centroids.
    fn checked(&self, x: &Tensor<B, 2>) -> Result<Tensor<B, 2>> {
        check_input(x, "data", self.n_features())?;
        Ok(if x.dtype() == self.centroids.dtype() {
            x.clone()
        } else {
            x.clone().cast(self.centroids.dtype())
        })
    }
}
