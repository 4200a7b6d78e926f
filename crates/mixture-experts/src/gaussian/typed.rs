//! K Gaussian components of one covariance structure, written once for every structure.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{ComponentCheck, special::LN_2PI, tensor::zeros_like_dtype, tuning::Tuning};

use super::{Covariances, GaussianStats, NK_EPS, family::Family};

/// Means, covariances and precision factors of K components of the structure `F`, with the
/// centre statistics and scores are taken about and the scoring GEMM's parameters (derived
/// once per parameter change, not per batch).
#[derive(Debug, Clone)]
pub(crate) struct TypedComponents<B: Backend, F: Family<B>> {
    means: Tensor<B, 2>,
    covariances: F::Shaped,
    precisions_cholesky: F::Shaped,
    center: Tensor<B, 2>,
    scoring: F::Scoring,
}

/// The statistics of one structure: `(n_k, Σ r (x − c), second moment)`.
pub(crate) type TypedStats<B, F> = (Tensor<B, 1>, Tensor<B, 2>, <F as Family<B>>::Shaped);

/// scikit-learn's `_estimate_gaussian_parameters` from additive statistics: `n_k + 10 ε`, the
/// means about the centre and the covariances with `reg` on their diagonals.
pub(crate) fn estimate<B: Backend, F: Family<B>>(
    (nk, sx, second): TypedStats<B, F>,
    reg: f64,
) -> (Tensor<B, 1>, Tensor<B, 2>, F::Shaped) {
    let nk = nk.add_scalar(NK_EPS);
    let mean_c = sx / nk.clone().unsqueeze_dim::<2>(1);
    let cov = F::covariance(second, &nk, &mean_c, reg);
    (nk, mean_c, cov)
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
        let (precisions_cholesky, pivot) = F::precision_cholesky(&covariances, k);
        let scoring = F::scoring(means.clone() - center.clone(), &precisions_cholesky);
        let this = Self {
            means,
            covariances,
            precisions_cholesky,
            center,
            scoring,
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
        self.scoring = F::scoring(
            self.means.clone() - self.center.clone(),
            &self.precisions_cholesky,
        );
    }

    pub(crate) fn set_center(&mut self, center: Tensor<B, 2>) {
        self.center = center;
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
        self.precisions_cholesky = F::precision_cholesky(&covariances, k).0;
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
        F::features(x - self.center.clone())
    }

    /// `log_weights + log N(x | μ_k, Σ_k)`, `[N, K]`, for `log_weights` `[1, K]` (folded
    /// into the GEMM's bias row) or `[N, K]`.
    pub(crate) fn score(&self, f: &F::Features, log_weights: Tensor<B, 2>) -> Tensor<B, 2> {
        if log_weights.dims()[0] == 1 {
            F::score(f, &self.scoring, Some(log_weights))
        } else {
            F::score(f, &self.scoring, None) + log_weights
        }
    }

    pub(crate) fn summarize(&self, f: &F::Features, resp: Tensor<B, 2>) -> GaussianStats<B> {
        let [k, d] = self.means.dims();
        let (nk, sx, second) = F::summarize(f, resp, k, d);
        GaussianStats {
            nk,
            sx,
            sxx: F::moment(second),
        }
    }

    /// The EM update from the statistics: means, covariances (`reg` on the diagonals) and
    /// precision factors; the check carries the pivots and the totals.
    pub(crate) fn update(&mut self, stats: TypedStats<B, F>, reg: f64) -> ComponentCheck<B> {
        let weight = stats.0.clone();
        let (_, mean_c, covariances) = estimate::<B, F>(stats, reg);
        let (pc, pivot) = F::precision_cholesky(&covariances, weight.dims()[0]);
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
        (nk, sx, second): &TypedStats<B, F>,
    ) -> Tensor<B, 1> {
        let d = self.means.dims()[1];
        let delta = self.means.clone() - self.center.clone();
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
