//! Fitting: validation, the initialisations, EM, and the choice of the best run.

use burn::tensor::{backend::Backend, Int, Tensor};
use mixture_core::{
    host::{check_data, check_finite, check_weights, weighted_batch},
    Batch, Components, DataSource, Error, FitEvent, FitObserver, NoopObserver, Result,
    TensorSource,
};
use mixture_experts::GaussianComponents;
use mixture_gates::Weights;

use super::{init::initialize, GaussianMixture, GaussianMixtureConfig};
use mixture_experts::CovarianceType;

/// Elements of the widest per-block intermediate (≈ 1 MiB in f32).
const BLOCK_ELEMENTS: usize = 1 << 18;
/// Elements of a full-covariance block's `[rows, K·D]` projections where they are composed
/// (≈ 32 MiB in f32). On burn-flex the fused kernels never build them, and their parallel
/// split and per-call set-up want blocks of thousands of rows (1024-row blocks made an
/// iteration at K = 16, D = 64 a third slower than 8192-row ones).
const FULL_BLOCK_ELEMENTS: usize = 1 << 23;
/// Diagonal and spherical fits of large data use at most about this many blocks.
const MAX_LINEAR_BLOCKS: usize = 64;
/// Blocks never get smaller than this many rows (per-op overhead).
const MIN_BLOCK_ROWS: usize = 1024;
/// An in-memory fit keeps the data-only features of every block (see
/// [`Components::prepare`](mixture_core::Components::prepare)) when they take at most this
/// many bytes.
pub(crate) const FEATURE_CACHE_BYTES: usize = 1 << 30;
use crate::driver::{run, EmMode, EmSettings, EmTrace};

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
        self.validate()?;
        check_data(x, "data")?;
        let [n, d] = x.dims();
        self.check_sizes(n, d)?;
        let batch = weighted_batch(x, sample_weight)?;
        let total = match &batch.weight {
            Some(w) => check_weights(w, n)?,
            None => n as f64,
        };
        let center = weighted_mean(&batch, total);
        let mut source = TensorSource::new(batch.clone(), Some(self.block_rows(n, d)));
        let bytes = self.feature_bytes(n, d, x.dtype().size());
        if self.batch_size.is_none() && bytes > 0 && bytes <= FEATURE_CACHE_BYTES {
            let k = self.n_components;
            let template =
                GaussianComponents::standard(self.covariance_type, k, d, self.reg_covar, x)
                    .with_center(center.clone());
            source = source.with_features(|b| template.prepare(b));
        }
        self.fit_inits(&source, Some(&batch), total, center, observer)
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
        // One pass: check every batch and sum the weights and the weighted rows.
        let mut total = 0.0;
        let mut sum: Option<Tensor<B, 2>> = None;
        source.for_each_batch(&mut |b: Batch<B>| {
            check_finite(b.x.clone(), "data", d)?;
            let (s, t) = match &b.weight {
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
        let center = sum.expect("non-empty source").div_scalar(total);
        self.fit_inits(source, None, total, center, observer)
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

    /// Rows per batch of an in-memory fit: the user's `batch_size`, else blocks sized so
    /// that the `[rows, K]` and `[rows, K·D]` intermediates of an iteration stay in cache.
    /// Statistics add up over blocks, so blocking changes speed, not the result.
    pub(crate) fn block_rows(&self, n: usize, d: usize) -> usize {
        if let Some(bs) = self.batch_size {
            return bs;
        }
        let k = self.n_components;
        let width = match self.covariance_type {
            CovarianceType::Full => k * d,
            _ => k.max(2 * d + 1),
        };
        // Diagonal and spherical blocks are light (a few thin products each), so large data
        // gets at most `MAX_LINEAR_BLOCKS` of them: per-op overhead, not cache, bounds them.
        let rows = match self.covariance_type {
            CovarianceType::Diag | CovarianceType::Spherical => {
                (BLOCK_ELEMENTS / width.max(1)).max(n / MAX_LINEAR_BLOCKS)
            }
            CovarianceType::Full => FULL_BLOCK_ELEMENTS / width.max(1),
            CovarianceType::Tied => BLOCK_ELEMENTS / width.max(1),
        };
        // A multiple of 64 rows: the tall products split blocks into equal row chunks.
        (rows / 64 * 64).max(MIN_BLOCK_ROWS).min(n.max(1))
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
            reg_covar: self.reg_covar,
            min_weight_fraction: 0.0,
        }
    }

    fn fit_inits<B: Backend>(
        &self,
        source: &dyn DataSource<B>,
        full: Option<&Batch<B>>,
        total: f64,
        center: Tensor<B, 2>,
        observer: &mut dyn FitObserver,
    ) -> Result<GaussianMixture<B>> {
        let mut best: Option<(GaussianComponents<B>, Weights<B>, EmTrace)> = None;
        for init in 0..self.n_init {
            observer.observe(&FitEvent::InitStart {
                init,
                n_init: self.n_init,
            });
            let seed = self.seed.wrapping_add(init as u64);
            let (mut comps, mut gate) = initialize(self, source, full, &center, seed)?;
            let trace = run(
                &mut comps,
                &mut gate,
                &mut [],
                source,
                total,
                &self.em_settings(seed),
                init,
                observer,
            )?;
            observer.observe(&FitEvent::InitEnd {
                init,
                converged: trace.converged,
                n_iter: trace.n_iter,
                value: trace.lower_bound(),
            });
            let better = match &best {
                None => true,
                Some((_, _, t)) => trace.lower_bound() > t.lower_bound(),
            };
            if better {
                best = Some((comps, gate, trace));
            }
        }
        let (comps, gate, trace) = best.expect("n_init >= 1");
        Ok(GaussianMixture::from_parts(
            self.clone(),
            comps,
            gate,
            trace,
        ))
    }
}

/// `Σ w x / Σ w` as a `[1, D]` tensor.
fn weighted_mean<B: Backend>(batch: &Batch<B>, total: f64) -> Tensor<B, 2> {
    match &batch.weight {
        Some(w) => (batch.x.clone() * w.clone().unsqueeze_dim(1))
            .sum_dim(0)
            .div_scalar(total),
        None => batch.x.clone().sum_dim(0).div_scalar(total),
    }
}
