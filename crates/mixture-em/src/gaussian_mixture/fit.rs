//! Fitting: validation, the initialisations, EM, and the choice of the best run.

use burn::tensor::{Int, Tensor, backend::Backend};
use mixture_core::{
    Batch, DataSource, Error, FitObserver, NoopObserver, Result, TensorSource,
    host::{check_batch_finite, check_data, check_weights, weighted_batch},
    tuning::Tuning,
};
use mixture_experts::{Covariances, GaussianComponents, GaussianFeatures};

use mixture_experts::{CovarianceType, StatisticsCentre};

use super::{GaussianMixture, GaussianMixtureConfig, centre::Centre, init::initialize};
use crate::driver::{EmFit, EmMode, EmSettings, FitData, best_of, run};

/// An in-memory fit keeps the data-only features of every block (see
/// [`FitData::keep_features`]) when they take at most this many bytes.
pub(crate) const FEATURE_CACHE_BYTES: usize = 1 << 30;

impl GaussianMixtureConfig {
    /// Fits the mixture to `x` (`[N, D]`).
    ///
    /// # Errors
    /// Invalid settings, empty or non-finite data, fewer samples than components, initial
    /// parameters of the wrong shape, or a component whose covariance is not positive
    /// definite (see [`mixture_core::Error`]).
    pub fn fit<B: Backend>(&self, x: &Tensor<B, 2>) -> Result<GaussianMixture<B>> {
        self.fit_with(x, None, &mut NoopObserver)
    }

    /// Fits the mixture to `x` with one non-negative weight per row (`[N]`). Integer weights
    /// give the same fit as repeating rows.
    pub fn fit_weighted<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        sample_weight: &Tensor<B, 1>,
    ) -> Result<GaussianMixture<B>> {
        self.fit_with(x, Some(sample_weight), &mut NoopObserver)
    }

    /// Fits the mixture, with optional sample weights, reporting progress to `observer`.
    pub fn fit_with<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        sample_weight: Option<&Tensor<B, 1>>,
        observer: &mut dyn FitObserver,
    ) -> Result<GaussianMixture<B>> {
        let m = self.in_memory(x, sample_weight)?;
        let mut data = FitData::new(&m.source, m.total);
        let [n, d] = x.dims();
        if self.keeps_features(n, d, x.dtype().size()) {
            let k = self.n_components;
            let template = m.center.place(
                GaussianComponents::standard(self.covariance_type, k, d, self.reg_covar, x)
                    .with_statistics_centre(self.statistics_centre),
            );
            data = data.keep_features(&template)?;
        }
        self.fit_inits(&data, Some(&m.batch), m.center, observer)
    }

    /// The settings and the data checked, and the data laid out as an in-memory fit
    /// iterates it.
    fn in_memory<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        sample_weight: Option<&Tensor<B, 1>>,
    ) -> Result<InMemory<B>> {
        self.validate()?;
        check_data(x, "data")?;
        let [n, d] = x.dims();
        self.check_sizes(n, d)?;
        let batch = weighted_batch(x, sample_weight)?;
        let total = match &batch.weight {
            Some(w) => check_weights(w, n)?,
            None => n as f64,
        };
        let center = Centre::of(&batch, total)?;
        let source = self.in_memory_source(batch.clone(), x.dtype().size());
        Ok(InMemory {
            batch,
            total,
            center,
            source,
        })
    }

    /// Fits the mixture to data served in batches by `source` (data larger than memory):
    /// every EM iteration streams all batches once and sums their statistics before the
    /// M-step. The `kmeans++` init is not available here (it needs random access);
    /// `batch_size` is the source's business.
    pub fn fit_source<B: Backend, S: DataSource<B>>(
        &self,
        source: &S,
        observer: &mut dyn FitObserver,
    ) -> Result<GaussianMixture<B>> {
        self.validate()?;
        let (n, d) = (source.n_samples(), source.n_features());
        if n == 0 || d == 0 {
            return Err(Error::EmptyData {
                n_samples: n,
                n_features: d,
            });
        }
        self.check_sizes(n, d)?;
        let (center, total) = centre_pass(source, true)?;
        self.fit_inits(
            &FitData::new(source, total),
            None,
            Centre::at(center),
            observer,
        )
    }

    /// The parameters EM starts from on `x` (`[N, D]`) for this configuration's `init`,
    /// `seed` and initial values (scikit-learn's `_initialize_parameters`: k-means labels,
    /// k-means++ seeds, random responsibilities or random rows, then one M-step), without
    /// running EM: weights `[K]`, means `[K, D]` and covariances. Gradient-trained mixtures
    /// start here (`mixture-gradient`'s `MeanInit::KMeans`).
    ///
    /// # Errors
    /// As [`fit`](Self::fit) before its first iteration.
    ///
    /// ```
    /// use burn::tensor::{DType, Tensor};
    /// use mixture_core::tensor::{from_f64, to_vec_f64};
    /// use mixture_em::{CovarianceType, GaussianMixtureConfig};
    ///
    /// type B = burn_ndarray::NdArray<f64>;
    /// let x: Tensor<B, 2> = from_f64(vec![0.0, 0.1, 0.2, 5.0, 5.1, 5.2], [6, 1], &Default::default(), DType::F64);
    /// let (weights, means, _covariances) = GaussianMixtureConfig::new(2)
    ///     .with_covariance_type(CovarianceType::Diag)
    ///     .initial_parameters(&x)?;
    /// let mut m = to_vec_f64(means)?;
    /// m.sort_by(f64::total_cmp);
    /// assert!((m[0] - 0.1).abs() < 1e-9 && (m[1] - 5.1).abs() < 1e-9);
    /// assert_eq!(to_vec_f64(weights)?, vec![0.5, 0.5]);
    /// # Ok::<(), mixture_core::Error>(())
    /// ```
    pub fn initial_parameters<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
    ) -> Result<(Tensor<B, 1>, Tensor<B, 2>, Covariances<B>)> {
        let m = self.in_memory(x, None)?;
        let data = FitData::new(&m.source, m.total);
        let (comps, gate) = initialize(self, &data, Some(&m.batch), &m.center, self.seed)?;
        Ok((gate.weights(), comps.means(), comps.covariances()))
    }

    /// Fits the mixture and returns it with the labels of `x` (scikit-learn's `fit_predict`).
    pub fn fit_predict<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
    ) -> Result<(GaussianMixture<B>, Tensor<B, 1, Int>)> {
        let model = self.fit(x)?;
        let labels = model.predict(x)?;
        Ok((model, labels))
    }

    /// Rows per batch of an in-memory fit: the user's `batch_size`, else blocks sized by the
    /// backend's [`Tuning`] (on a CPU, so that the `[rows, K]` and `[rows, K·D]`
    /// intermediates of an iteration stay in cache). Statistics add up over blocks, so
    /// blocking changes speed, not the result.
    pub(crate) fn block_rows<B: Backend>(&self, n: usize, d: usize) -> usize {
        match self.batch_size {
            Some(bs) => bs,
            None => self.tuned_block_rows::<B>(n, d),
        }
    }

    /// Rows per block sized by the backend's [`Tuning`] alone, whatever the user's batch
    /// size: the blocks a fitted model scores data in.
    pub(crate) fn tuned_block_rows<B: Backend>(&self, n: usize, d: usize) -> usize {
        let t = Tuning::of::<B>();
        let k = self.n_components;
        let width = match self.covariance_type {
            CovarianceType::Full => k * d,
            _ => k.max(2 * d + 1),
        };
        // Residuals to every component's mean are `[K, rows, D]` per block: cache-sized
        // blocks of them (large ones spend their time in page faults).
        if self.statistics_centre == StatisticsCentre::ComponentMeans {
            let rows = t.block_elements / (k * d).max(1);
            return (rows / 64 * 64).max(t.min_block_rows).min(n.max(1));
        }
        // Diagonal and spherical blocks are light (a few thin products each), so large data
        // gets at most `max_linear_blocks` of them: per-op overhead, not cache, bounds them.
        let rows = match self.covariance_type {
            CovarianceType::Diag | CovarianceType::Spherical => {
                (t.block_elements / width.max(1)).max(n / t.max_linear_blocks)
            }
            CovarianceType::Full => t.full_block_elements / width.max(1),
            CovarianceType::Tied => t.block_elements / width.max(1),
        };
        // A multiple of 64 rows: the tall products split blocks into equal row chunks.
        (rows / 64 * 64).max(t.min_block_rows).min(n.max(1))
    }

    /// Whether an in-memory fit of `n × d` values of `elem` bytes keeps its prepared
    /// features (see [`FitData::keep_features`]): when the user set no batch size and the
    /// features take at most [`FEATURE_CACHE_BYTES`].
    pub(crate) fn keeps_features(&self, n: usize, d: usize, elem: usize) -> bool {
        let bytes = self.feature_bytes(n, d, elem);
        self.batch_size.is_none() && bytes > 0 && bytes <= FEATURE_CACHE_BYTES
    }

    /// The row blocks an in-memory fit iterates: tensors of their own, except when the fit
    /// keeps its features (its iterations then read the features, not the blocks, and a
    /// copy of the data would only cost memory).
    pub(crate) fn in_memory_source<B: Backend>(
        &self,
        batch: Batch<B>,
        elem: usize,
    ) -> TensorSource<B> {
        let [n, d] = batch.x.dims();
        let rows = Some(self.block_rows::<B>(n, d));
        if self.keeps_features(n, d, elem) {
            TensorSource::views(batch, rows)
        } else {
            TensorSource::new(batch, rows)
        }
    }

    /// Bytes of the features an in-memory fit prepares once: `[x − c, (x − c)², 1]` for
    /// diagonal, `[x − c, ‖x − c‖², 1]` for spherical; full and tied prepare nothing.
    pub(crate) fn feature_bytes(&self, n: usize, d: usize, elem: usize) -> usize {
        n.saturating_mul(self.covariance_type.feature_width(d))
            .saturating_mul(elem)
    }

    fn check_sizes(&self, n: usize, d: usize) -> Result<()> {
        if n < self.n_components {
            return Err(Error::TooFewSamples {
                n_samples: n,
                n_components: self.n_components,
            });
        }
        self.validate_for(d)
    }

    pub(crate) fn em_settings(&self, seed: u64) -> EmSettings {
        EmSettings {
            max_iter: self.max_iter,
            tol: self.tol,
            mode: EmMode::Weighted,
            seed,
        }
    }

    fn fit_inits<B: Backend>(
        &self,
        data: &FitData<'_, B, GaussianFeatures<B>>,
        full: Option<&Batch<B>>,
        center: Centre<B>,
        observer: &mut dyn FitObserver,
    ) -> Result<GaussianMixture<B>> {
        let best = best_of(self.n_init, observer, |init, observer| {
            let seed = self.seed.wrapping_add(init as u64);
            let (mut components, mut gate) = initialize(self, data, full, &center, seed)?;
            let settings = self.em_settings(seed);
            let trace = run(
                &mut components,
                &mut gate,
                &mut [],
                data,
                &settings,
                init,
                observer,
            )?;
            Ok(EmFit {
                components,
                gate,
                trace,
            })
        })?;
        Ok(GaussianMixture::from_parts(
            self.clone(),
            best.components,
            best.gate,
            best.trace,
        ))
    }
}

/// In-memory data, checked: the (weighted) batch, its total weight, the centre of its
/// statistics and the source of cache-sized blocks a fit iterates.
struct InMemory<B: Backend> {
    batch: Batch<B>,
    total: f64,
    center: Centre<B>,
    source: TensorSource<B>,
}

/// The row sum `[1, D]` and total weight of one pass, summed over every shard when `source`
/// is a shard of a data set split over processes (unchanged otherwise).
pub(crate) fn shard_sums<B: Backend, S: DataSource<B> + ?Sized>(
    source: &S,
    sum: Tensor<B, 2>,
    total: f64,
) -> Result<(Tensor<B, 2>, f64)> {
    let Some(reducer) = source.reducer() else {
        return Ok((sum, total));
    };
    let d = sum.dims()[1];
    let mut values = mixture_core::tensor::to_vec_f64(sum.clone())?;
    values.push(total);
    reducer.all_reduce_sum(&mut values)?;
    let total = values.pop().unwrap_or(f64::NAN);
    let sum = mixture_core::tensor::from_f64(values, [1, d], &sum.device(), sum.dtype());
    Ok((sum, total))
}

/// The first pass of a fit over a source: every batch checked (finite values; weights
/// non-negative and finite, where `weighted` allows them, else refused), and the centre the
/// statistics are taken about, `Σ w x / Σ w` (`[1, D]`), with the total weight `Σ w` (the row
/// count without weights); summed over the ranks of a sharded source.
///
/// # Errors
/// [`Error::NonFinite`] at the first bad value (its row in the whole data), weights that
/// [`check_weights`] rejects or any weights when `weighted` is false
/// ([`Error::InvalidWeights`]), [`Error::EmptyData`] for a source with no batch.
pub(crate) fn centre_pass<B: Backend, S: DataSource<B> + ?Sized>(
    source: &S,
    weighted: bool,
) -> Result<(Tensor<B, 2>, f64)> {
    let mut total = 0.0;
    let mut sum: Option<Tensor<B, 2>> = None;
    source.for_each_batch(&mut |b: Batch<B>| {
        check_batch_finite(&b, "data")?;
        let (s, t) = match &b.weight {
            Some(_) if !weighted => {
                return Err(Error::InvalidWeights {
                    reason: "this model takes no sample weights (scikit-learn's BayesianGaussianMixture has none either); serve the batches without weights".into(),
                });
            }
            Some(w) => {
                let t = check_weights(w, b.n_samples())?;
                ((b.x.clone() * w.clone().unsqueeze_dim(1)).sum_dim(0), t)
            }
            None => (b.x.clone().sum_dim(0), b.n_samples() as f64),
        };
        total += t;
        sum = Some(match sum.take() {
            Some(a) => a + s,
            None => s,
        });
        Ok(())
    })?;
    let sum = sum.ok_or(Error::EmptyData {
        n_samples: 0,
        n_features: source.n_features(),
    })?;
    let (sum, total) = shard_sums(source, sum, total)?;
    Ok((sum.div_scalar(total), total))
}
