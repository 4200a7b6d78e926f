//! K Gaussian components of one covariance structure, written once for every structure.

use burn::tensor::{DType, Tensor, backend::Backend};
use mixture_core::{ComponentCheck, special::LN_2PI, tensor::zeros_like_dtype, tuning::Tuning};

use super::{Covariances, GaussianStats, NK_EPS, StatisticsCentre, family::Family};

/// Means, covariances and precision factors of K components of the structure `F`, with the
/// centre statistics and scores are taken about and the scoring GEMM's parameters (derived
/// once per parameter change, not per batch).
#[derive(Debug, Clone)]
pub(crate) struct TypedComponents<B: Backend, F: Family<B>> {
    means: Tensor<B, 2>,
    covariances: F::Shaped,
    precisions_cholesky: F::Shaped,
    center: Tensor<B, 2>,
    /// Whether `center` is the origin (set explicitly, never read back from the device): the
    /// features are then taken from the rows as they are (see [`Family::features_at_origin`]).
    at_origin: bool,
    scoring: F::Scoring,
    /// `μ_k − c`, `[K, D]`.
    delta: Tensor<B, 2>,
    /// About which point scores and second moments are written.
    statistics_centre: StatisticsCentre,
}

/// The statistics of one structure: `(n_k, Σ r (x − c − s_k), second moment about c + s_k,
/// shift s)`, with no shift meaning `s_k = 0`.
pub(crate) type TypedStats<B, F> = (
    Tensor<B, 1>,
    Tensor<B, 2>,
    <F as Family<B>>::Shaped,
    Option<Tensor<B, 2>>,
);

/// scikit-learn's `_estimate_gaussian_parameters` from additive statistics: `n_k + 10 ε`, the
/// means about the centre and the covariances with `reg` on their diagonals.
///
/// With a shift, the moments are about `c + s_k`: the mean moves by `d_k = Σ r (x − c − s_k) /
/// n_k` from the shift, and the covariance subtracts `d_k d_kᵀ`, which is small when the shift
/// is the component's previous mean, so nothing cancels.
pub(crate) fn estimate<B: Backend, F: Family<B>>(
    (nk, sx, second, shift): TypedStats<B, F>,
    reg: f64,
) -> (Tensor<B, 1>, Tensor<B, 2>, F::Shaped) {
    let nk = nk.add_scalar(NK_EPS);
    let step = sx / nk.clone().unsqueeze_dim::<2>(1);
    let cov = F::covariance(second, &nk, &step, reg);
    let mean_c = match shift {
        Some(s) => s + step,
        None => step,
    };
    (nk, mean_c, cov)
}

/// The dtype the M-step's small linear algebra runs in for parameters like `like`: f64 when
/// they are narrower and the device computes in f64 (flex, ndarray, CUDA), else their own.
/// The M-step holds `K·D²` values, against `N·K·D` for an E-step, so this costs nothing that
/// shows, and a Cholesky factorisation in f32 fails at condition numbers near 10⁷ where the
/// f32 E-step itself is still sound.
fn wide<B: Backend>(like: &Tensor<B, 2>) -> Option<DType> {
    let dtype = like.dtype();
    (dtype != DType::F64 && B::supports_dtype(&like.device(), DType::F64)).then_some(DType::F64)
}

/// [`Family::precision_cholesky`] in f64 where [`wide`] says so, the factors returned in
/// `like`'s dtype and the pivots too.
fn factor<B: Backend, F: Family<B>>(
    covariances: &F::Shaped,
    k: usize,
    like: &Tensor<B, 2>,
) -> (F::Shaped, Tensor<B, 1>) {
    match wide(like) {
        None => F::precision_cholesky(covariances, k),
        Some(w) => {
            let narrow = like.dtype();
            let (pc, pivot) = F::precision_cholesky(&F::cast(covariances.clone(), w), k);
            (F::cast(pc, narrow), pivot.cast(narrow))
        }
    }
}

impl<B: Backend, F: Family<B>> TypedComponents<B, F> {
    /// Components with the given means `[K, D]` and covariances about `center` `[1, D]`, with
    /// the smallest Cholesky pivot of each covariance (`[K]`).
    pub(crate) fn new(
        means: Tensor<B, 2>,
        covariances: F::Shaped,
        center: Tensor<B, 2>,
    ) -> (Self, Tensor<B, 1>) {
        let k = means.dims()[0];
        let (precisions_cholesky, pivot) = factor::<B, F>(&covariances, k, &means);
        let delta = means.clone() - center.clone();
        let scoring = F::scoring(
            delta.clone(),
            &precisions_cholesky,
            StatisticsCentre::DataMean,
        );
        let this = Self {
            means,
            covariances,
            precisions_cholesky,
            center,
            at_origin: false,
            scoring,
            delta,
            statistics_centre: StatisticsCentre::DataMean,
        };
        (this, pivot)
    }

    /// Zero means and identity covariances about the origin, like `like`.
    pub(crate) fn standard(k: usize, d: usize, like: &Tensor<B, 2>) -> Self {
        let means = zeros_like_dtype::<B, 2, 2>([k, d], like);
        let center = zeros_like_dtype::<B, 2, 2>([1, d], like);
        Self::new(means, F::identity(k, d, like), center).0
    }

    /// Re-derives the scoring parameters after a parameter change.
    fn refresh(&mut self) {
        self.delta = self.means.clone() - self.center.clone();
        self.scoring = F::scoring(
            self.delta.clone(),
            &self.precisions_cholesky,
            self.statistics_centre,
        );
    }

    pub(crate) fn set_statistics_centre(&mut self, centre: StatisticsCentre) {
        self.statistics_centre = centre;
        self.refresh();
    }

    pub(crate) fn center_is_origin(&self) -> bool {
        self.at_origin
    }

    pub(crate) fn statistics_centre(&self) -> StatisticsCentre {
        self.statistics_centre
    }

    pub(crate) fn set_center(&mut self, center: Tensor<B, 2>) {
        self.center = center;
        self.at_origin = false;
        self.refresh();
    }

    /// Sets the centre to the origin, exactly.
    pub(crate) fn set_center_at_origin(&mut self) {
        self.center = self.center.zeros_like();
        self.at_origin = true;
        self.refresh();
    }

    pub(crate) fn set_means(&mut self, means: Tensor<B, 2>) {
        self.means = means;
        self.refresh();
    }

    /// Covariances from precision matrices; the smallest pivot of each precision, `[K]`.
    pub(crate) fn set_precisions(&mut self, precisions: F::Shaped) -> Tensor<B, 1> {
        let k = self.n_components();
        let (covariances, pivot) = F::invert_precisions(precisions, k);
        self.precisions_cholesky = factor::<B, F>(&covariances, k, &self.means).0;
        self.covariances = covariances;
        self.refresh();
        pivot
    }

    pub(crate) fn n_components(&self) -> usize {
        self.means.dims()[0]
    }

    pub(crate) fn means(&self) -> &Tensor<B, 2> {
        &self.means
    }

    pub(crate) fn center(&self) -> &Tensor<B, 2> {
        &self.center
    }

    pub(crate) fn covariances(&self) -> Covariances<B> {
        F::covariances(self.covariances.clone())
    }

    pub(crate) fn precisions_cholesky(&self) -> Covariances<B> {
        F::covariances(self.precisions_cholesky.clone())
    }

    pub(crate) fn precisions(&self) -> Covariances<B> {
        F::covariances(F::precisions(&self.precisions_cholesky))
    }

    pub(crate) fn covariance_factors(&self) -> Tensor<B, 3> {
        let [k, d] = self.means.dims();
        F::factors(&self.covariances, k, d)
    }

    /// `Σ_i ln P_ii` of each component, `[K]`.
    pub(crate) fn log_det_cholesky(&self) -> Tensor<B, 1> {
        let [k, d] = self.means.dims();
        F::log_det(&self.precisions_cholesky, k, d)
    }

    /// The features of raw rows `x` `[N, D]`, about the centre.
    pub(crate) fn features(&self, x: Tensor<B, 2>) -> F::Features {
        // The residual forms of component-means statistics read packed features.
        if self.at_origin && self.statistics_centre == StatisticsCentre::DataMean {
            F::features_at_origin(x)
        } else {
            F::features(x - self.center.clone())
        }
    }

    /// `log_weights + log N(x | μ_k, Σ_k)`, `[N, K]`, for `log_weights` `[1, K]` (folded
    /// into the GEMM's bias row) or `[N, K]`.
    pub(crate) fn score(&self, f: &F::Features, log_weights: Tensor<B, 2>) -> Tensor<B, 2> {
        let global = log_weights.dims()[0] == 1;
        let extra = global.then(|| log_weights.clone());
        let joint = match self.statistics_centre {
            StatisticsCentre::DataMean => F::score(f, &self.scoring, extra),
            StatisticsCentre::ComponentMeans => F::score_residual(
                f,
                &self.scoring,
                &self.precisions_cholesky,
                &self.delta,
                extra,
            ),
        };
        if global { joint } else { joint + log_weights }
    }

    /// The batch's statistics: about the centre (one product), or about each component's
    /// mean (from the residuals `y_kn = x_n − μ_k`, `[K, N, D]`).
    pub(crate) fn summarize(&self, f: &F::Features, resp: Tensor<B, 2>) -> GaussianStats<B> {
        let [k, d] = self.means.dims();
        match self.statistics_centre {
            StatisticsCentre::DataMean => {
                let (nk, sx, second) = F::summarize(f, resp, k, d);
                GaussianStats {
                    nk,
                    sx,
                    sxx: F::moment(second),
                    shift: None,
                }
            }
            StatisticsCentre::ComponentMeans => {
                let (nk, sx, second) = F::summarize_residual(f, &self.scoring, resp, &self.delta);
                GaussianStats {
                    nk,
                    sx,
                    sxx: F::moment(second),
                    shift: Some(self.delta.clone()),
                }
            }
        }
    }

    /// The EM update from the statistics: means, covariances (`reg` on the diagonals) and
    /// precision factors; the check carries the pivots and the totals.
    pub(crate) fn update(&mut self, stats: TypedStats<B, F>, reg: f64) -> ComponentCheck<B> {
        let (nk, sx, second, shift) = stats;
        let weight = nk.clone();
        let k = weight.dims()[0];
        // The estimate and the factorisation in f64 where the device has it (see `wide`):
        // casting the statistics up is exact, and `S/n − d dᵀ` then rounds in f64.
        let narrow = self.means.dtype();
        let (mean_c, covariances, pc, pivot) = match wide(&self.means) {
            None => {
                let (_, mean_c, cov) = estimate::<B, F>((nk, sx, second, shift), reg);
                let (pc, pivot) = F::precision_cholesky(&cov, k);
                (mean_c, cov, pc, pivot)
            }
            Some(w) => {
                let stats = (
                    nk.cast(w),
                    sx.cast(w),
                    F::cast(second, w),
                    shift.map(|s| s.cast(w)),
                );
                let (_, mean_c, cov) = estimate::<B, F>(stats, reg);
                let (pc, pivot) = F::precision_cholesky(&cov, k);
                (
                    mean_c.cast(narrow),
                    F::cast(cov, narrow),
                    F::cast(pc, narrow),
                    pivot.cast(narrow),
                )
            }
        };
        self.means = mean_c + self.center.clone();
        self.covariances = covariances;
        self.precisions_cholesky = pc;
        self.refresh();
        ComponentCheck {
            pivot,
            weight: Some(weight),
        }
    }

    /// `Σ_k Σ_n r_nk log N(x_n | μ_k, Σ_k)`, `[1]`, from the statistics alone.
    pub(crate) fn expected_log_prob_sum(
        &self,
        (nk, sx, second, shift): &TypedStats<B, F>,
    ) -> Tensor<B, 1> {
        let d = self.means.dims()[1];
        let delta = match shift {
            Some(s) => self.delta.clone() - s.clone(),
            None => self.delta.clone(),
        };
        let trace = F::trace(
            second,
            sx.clone(),
            nk.clone(),
            delta,
            &self.precisions_cholesky,
        );
        (nk.clone() * self.log_det_cholesky().sub_scalar(0.5 * d as f64 * LN_2PI)).sum()
            - trace.mul_scalar(0.5)
    }

    /// `log_weights + log N(x | μ_k, Σ_k)`, `[N, K]`, for raw rows, in row chunks that bound
    /// memory.
    pub(crate) fn log_joint(&self, x: Tensor<B, 2>, log_weights: Tensor<B, 2>) -> Tensor<B, 2> {
        let [n, d] = x.dims();
        let k = self.n_components();
        let step = Tuning::of::<B>().chunk_rows(n, k * d);
        if step >= n {
            return self.score(&self.features(x), log_weights);
        }
        let per_row = log_weights.dims()[0] == n;
        let parts: Vec<_> = (0..n)
            .step_by(step)
            .map(|start| {
                let end = (start + step).min(n);
                let lw = if per_row {
                    log_weights.clone().slice([start..end, 0..k])
                } else {
                    log_weights.clone()
                };
                self.score(&self.features(x.clone().slice([start..end, 0..d])), lw)
            })
            .collect();
        Tensor::cat(parts, 0)
    }
}
