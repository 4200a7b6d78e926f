//! K Bayesian linear experts, batched: posterior, expected log-likelihood, hyperparameters.

use core::f64::consts::PI;

use burn::tensor::{backend::Backend, Tensor};
use mixture_core::{
    linalg::{cholesky, inverse_lower, log_det_from_cholesky, symmetrize},
    tensor::{full_like_dtype, zeros_like_dtype},
    Batch, ComponentCheck, Components, Error, Result,
};

use super::{
    prior::{diag_of, PriorFactors},
    BayesianLinearConfig, Learned, LinearStats, NoiseSharing, Prior,
};

/// The value reported as an expert's weight in the [`ComponentCheck`] when it has a prior:
/// such an expert is well defined with no rows at all (its posterior is its prior), so the
/// driver must not report it as empty.
const PRIOR_WEIGHT: f64 = 1e30;

/// Below this total responsibility an expert keeps its previous noise precision (there is
/// nothing to estimate it from).
const EMPTY_WEIGHT: f64 = 1e-12;

/// K Bayesian linear regression experts, held as batched tensors.
///
/// Expert k models `y = W_kᵀ x + ε`, `ε ~ N(0, I_P / β_k)`, with `x` the inputs (plus a
/// constant 1 with an intercept, so `D = n_features + 1`) and `W_k` a `D×P` weight matrix. Each
/// output column of `W_k` has the prior `N(w0_k, A_k)` ([`Prior`]: full, diagonal or none)
/// and the variational posterior `q(W_k)` has independent columns `N(m_k[:, p], B_k)` with
/// one covariance `B_k` shared by the outputs (they share `A_k` and `β_k`).
///
/// As [`Components`]:
/// * `log_likelihood` is the expected log-likelihood under `q`, per row and expert:
///   `E_q[log p(y | x, W_k)] = −½ β_k (‖y − m_kᵀx‖² + P xᵀB_k x) + ½ P log(β_k / 2π)`;
/// * `statistics` are [`LinearStats`] (`Σ r x xᵀ`, `Σ r x yᵀ`, `Σ r ‖y‖²`, `Σ r`);
/// * `update` is the closed-form posterior
///   `B_k = (A_k⁻¹ + β_k Σ r x xᵀ)⁻¹`, `m_k = B_k (A_k⁻¹ w0_k + β_k Σ r x yᵀ)`
///   (batched Cholesky of the posterior precision), followed by the switchable
///   hyperparameter updates of [`Learned`]: `β`, then `A ← B + (m − w0)(m − w0)ᵀ / P`
///   (its diagonal for a diagonal prior), then `w0 ← m`;
/// * `bound_correction` is `−Σ_k KL(q(W_k) ‖ p(W_k))`, which makes the driver's bound the
///   exact evidence lower bound, so weighted EM never decreases it.
///
/// Without a prior ([`Prior::None`]) the weights are point estimates: the update is weighted
/// least squares `m_k = (Σ r x xᵀ)⁻¹ Σ r x yᵀ`, the log-likelihood is the plain
/// `log N(y | m_kᵀx, I/β_k)` (no `xᵀBx` term), the noise update is the maximum-likelihood one,
/// and `B_k = (β_k Σ r x xᵀ)⁻¹` is reported as the sampling covariance of the estimate.
#[derive(Debug, Clone)]
pub struct BayesianLinear<B: Backend> {
    n_features: usize,
    n_outputs: usize,
    intercept: bool,
    noise: NoiseSharing,
    learn: Learned,
    noise_variance_floor: f64,
    mean: Tensor<B, 3>,
    covariance: Tensor<B, 3>,
    post_log_det: Tensor<B, 1>,
    prior: Prior<B>,
    prior_mean: Tensor<B, 3>,
    factors: Option<PriorFactors<B>>,
    beta: Tensor<B, 1>,
}

fn mismatch(what: &'static str, expected: usize, found: usize) -> Error {
    Error::DimensionMismatch {
        what,
        expected,
        found,
    }
}

impl<B: Backend> BayesianLinear<B> {
    /// Experts from explicit hyperparameters: `prior` (covariances `[K, D]` or `[K, D, D]`),
    /// prior means `w0` (`[K, D, P]`) and noise precisions `beta` (`[K]`); the other settings
    /// come from `config`. The posterior starts at the prior (`m = w0`, `B = A`, or
    /// `B = prior_variance · I` without a prior).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a bad config, [`Error::DimensionMismatch`] for shapes
    /// that disagree with it.
    pub fn from_parts(
        config: &BayesianLinearConfig,
        prior: Prior<B>,
        w0: Tensor<B, 3>,
        beta: Tensor<B, 1>,
    ) -> Result<Self> {
        config.validate()?;
        let (k, d, p) = (config.n_experts, config.n_weights(), config.n_outputs);
        if w0.dims() != [k, d, p] {
            let [a, b, c] = w0.dims();
            return Err(mismatch("prior mean [K, D, P] size", k * d * p, a * b * c));
        }
        if beta.dims() != [k] {
            return Err(mismatch("number of noise precisions", k, beta.dims()[0]));
        }
        let covariance = match &prior {
            Prior::None => mixture_core::tensor::eye_like(d, &w0)
                .mul_scalar(config.prior_variance)
                .unsqueeze_dim::<3>(0)
                .repeat_dim(0, k),
            Prior::Diag(v) => {
                if v.dims() != [k, d] {
                    return Err(mismatch(
                        "prior variances [K, D] size",
                        k * d,
                        v.dims()[0] * v.dims()[1],
                    ));
                }
                super::prior::diag_embed(v.clone())
            }
            Prior::Full(a) => {
                if a.dims() != [k, d, d] {
                    let [a0, a1, a2] = a.dims();
                    return Err(mismatch(
                        "prior covariances [K, D, D] size",
                        k * d * d,
                        a0 * a1 * a2,
                    ));
                }
                a.clone()
            }
        };
        let factors = prior.factors();
        let mut experts = Self {
            n_features: config.n_features,
            n_outputs: p,
            intercept: config.intercept,
            noise: config.noise,
            learn: config.learn,
            noise_variance_floor: config.noise_variance_floor,
            mean: w0.clone(),
            post_log_det: zeros_like_dtype([k], &w0),
            covariance: covariance.clone(),
            prior,
            prior_mean: w0,
            factors,
            beta,
        };
        experts.set_covariance_unchecked(covariance);
        Ok(experts)
    }

    // ---- sizes and settings ------------------------------------------------------------

    /// Number of experts K.
    pub fn n_experts(&self) -> usize {
        self.mean.dims()[0]
    }

    /// Input columns (without the intercept).
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Output columns P.
    pub fn n_outputs(&self) -> usize {
        self.n_outputs
    }

    /// Rows of each weight matrix, D: `n_features` plus one with an intercept.
    pub fn n_weights(&self) -> usize {
        self.mean.dims()[1]
    }

    /// Whether a constant input is appended (its weights are the last row of `W`).
    pub fn has_intercept(&self) -> bool {
        self.intercept
    }

    /// The learned hyperparameters.
    pub fn learn(&self) -> Learned {
        self.learn
    }

    /// Sets the learned hyperparameters.
    pub fn set_learn(&mut self, learn: Learned) {
        self.learn = learn;
    }

    /// Noise sharing.
    pub fn noise_sharing(&self) -> NoiseSharing {
        self.noise
    }

    /// Sets the noise variance floor (see [`BayesianLinearConfig::noise_variance_floor`]).
    pub fn set_noise_variance_floor(&mut self, floor: f64) {
        self.noise_variance_floor = floor.max(0.0);
    }

    // ---- parameters --------------------------------------------------------------------

    /// Posterior means `m`, `[K, D, P]` (the fitted weights; intercept last).
    pub fn mean(&self) -> Tensor<B, 3> {
        self.mean.clone()
    }

    /// Posterior covariances `B`, `[K, D, D]` (without a prior: the sampling covariance of
    /// the least-squares estimate).
    pub fn covariance(&self) -> Tensor<B, 3> {
        self.covariance.clone()
    }

    /// The prior covariance.
    pub fn prior(&self) -> &Prior<B> {
        &self.prior
    }

    /// The prior precision `A⁻¹`, `[K, D, D]` (`None` without a prior).
    pub fn prior_precision(&self) -> Option<Tensor<B, 3>> {
        self.factors.as_ref().map(|f| f.precision.clone())
    }

    /// Prior means `w0`, `[K, D, P]`.
    pub fn prior_mean(&self) -> Tensor<B, 3> {
        self.prior_mean.clone()
    }

    /// Noise precisions `β`, `[K]` (all equal when shared).
    pub fn noise_precision(&self) -> Tensor<B, 1> {
        self.beta.clone()
    }

    /// Noise variances `1/β`, `[K]`.
    pub fn noise_variance(&self) -> Tensor<B, 1> {
        self.beta.clone().recip()
    }

    /// Replaces the posterior (`mean` `[K, D, P]`, `covariance` `[K, D, D]`).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when a shape is wrong.
    pub fn set_posterior(&mut self, mean: Tensor<B, 3>, covariance: Tensor<B, 3>) -> Result<()> {
        let [k, d, p] = self.mean.dims();
        if mean.dims() != [k, d, p] {
            let [a, b, c] = mean.dims();
            return Err(mismatch(
                "posterior mean [K, D, P] size",
                k * d * p,
                a * b * c,
            ));
        }
        if covariance.dims() != [k, d, d] {
            let [a, b, c] = covariance.dims();
            return Err(mismatch(
                "posterior covariance [K, D, D] size",
                k * d * d,
                a * b * c,
            ));
        }
        self.mean = mean;
        self.set_covariance_unchecked(covariance);
        Ok(())
    }

    fn set_covariance_unchecked(&mut self, covariance: Tensor<B, 3>) {
        let (l, _) = cholesky(covariance.clone());
        self.post_log_det = log_det_from_cholesky(l);
        self.covariance = covariance;
    }

    /// Replaces the prior covariance (same form and sizes as before).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when the shape is wrong, [`Error::InvalidInit`] when the
    /// form differs (a prior cannot be added to or removed from fitted experts).
    pub fn set_prior(&mut self, prior: Prior<B>) -> Result<()> {
        let [k, d, _] = self.mean.dims();
        match (&self.prior, &prior) {
            (Prior::None, Prior::None) => {}
            (Prior::Diag(_), Prior::Diag(v)) if v.dims() == [k, d] => {}
            (Prior::Full(_), Prior::Full(a)) if a.dims() == [k, d, d] => {}
            (Prior::Diag(_), Prior::Diag(v)) => {
                return Err(mismatch(
                    "prior variances [K, D] size",
                    k * d,
                    v.dims()[0] * v.dims()[1],
                ))
            }
            (Prior::Full(_), Prior::Full(a)) => {
                let [a0, a1, a2] = a.dims();
                return Err(mismatch(
                    "prior covariances [K, D, D] size",
                    k * d * d,
                    a0 * a1 * a2,
                ));
            }
            _ => {
                return Err(Error::InvalidInit {
                    field: "prior",
                    reason: "the prior form (none, diag, full) cannot change".into(),
                })
            }
        }
        self.factors = prior.factors();
        self.prior = prior;
        Ok(())
    }

    /// Replaces the prior means (`[K, D, P]`), as a regularizer does.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when the shape is wrong.
    pub fn set_prior_mean(&mut self, w0: Tensor<B, 3>) -> Result<()> {
        if w0.dims() != self.mean.dims() {
            let [k, d, p] = self.mean.dims();
            let [a, b, c] = w0.dims();
            return Err(mismatch("prior mean [K, D, P] size", k * d * p, a * b * c));
        }
        self.prior_mean = w0;
        Ok(())
    }

    /// Replaces the noise precisions (`[K]`).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when the shape is wrong.
    pub fn set_noise_precision(&mut self, beta: Tensor<B, 1>) -> Result<()> {
        let k = self.n_experts();
        if beta.dims() != [k] {
            return Err(mismatch("number of noise precisions", k, beta.dims()[0]));
        }
        self.beta = beta;
        Ok(())
    }

    // ---- computations ------------------------------------------------------------------

    /// The design matrix: `x` (`[N, n_features]`) with a column of ones appended when there
    /// is an intercept.
    pub fn design(&self, x: &Tensor<B, 2>) -> Tensor<B, 2> {
        if self.intercept {
            let n = x.dims()[0];
            let ones = full_like_dtype::<B, 2, 2>([n, 1], 1.0, x);
            Tensor::cat(vec![x.clone(), ones], 1)
        } else {
            x.clone()
        }
    }

    /// `(m_kᵀ x_n, x_nᵀ B_k x_n)` on design rows: `[K, N, P]` and `[K, N]`.
    fn mean_and_quad(&self, design: &Tensor<B, 2>) -> (Tensor<B, 3>, Tensor<B, 2>) {
        let [n, d] = design.dims();
        let k = self.n_experts();
        let xk = design.clone().unsqueeze_dim::<3>(0).expand([k, n, d]);
        let pred = xk.clone().matmul(self.mean.clone());
        let quad = (xk.clone().matmul(self.covariance.clone()) * xk)
            .sum_dim(2)
            .reshape([k, n]);
        (pred, quad)
    }

    /// Each expert's predictive mean `m_kᵀx` (`[N, K, P]`) and predictive variance per output
    /// `1/β_k + xᵀB_k x` (`[N, K]`) for inputs `x` (`[N, n_features]`).
    pub fn predict(&self, x: &Tensor<B, 2>) -> (Tensor<B, 3>, Tensor<B, 2>) {
        let (pred, quad) = self.mean_and_quad(&self.design(x));
        let k = self.n_experts();
        let var = quad + self.beta.clone().recip().reshape([k, 1]);
        (pred.swap_dims(0, 1), var.swap_dims(0, 1))
    }

    /// Each expert's log predictive density of `y` (`[N, P]`) given `x`, `[N, K]`: the
    /// posterior predictive `N(y | m_kᵀx, (1/β_k + xᵀB_k x) I)` with a prior, the fitted
    /// `N(y | m_kᵀx, I/β_k)` without one.
    pub fn predictive_log_density(&self, x: &Tensor<B, 2>, y: &Tensor<B, 2>) -> Tensor<B, 2> {
        let (pred, quad) = self.mean_and_quad(&self.design(x));
        let [k, n, p] = pred.dims();
        let noise_var = self.beta.clone().recip().reshape([k, 1]);
        let var = if self.prior.is_some() {
            quad + noise_var
        } else {
            quad.zeros_like() + noise_var
        };
        let resid = (y.clone().unsqueeze_dim::<3>(0).expand([k, n, p]) - pred)
            .square()
            .sum_dim(2)
            .reshape([k, n]);
        let log_norm = var
            .clone()
            .mul_scalar(2.0 * PI)
            .log()
            .mul_scalar(-0.5 * p as f64);
        (resid.div(var).mul_scalar(-0.5) + log_norm).swap_dims(0, 1)
    }

    /// `Σ_n r_nk (‖y_n − m_kᵀx_n‖² + P x_nᵀB_k x_n)` from summed statistics and the current
    /// posterior, `[K]` (without a prior, the `B` term is left out). It is the numerator of
    /// the noise update; divided by the number of rows, it is MixtureLib's
    /// `OptimizeHyperParameters(.., 'beta')` for one expert.
    pub fn weighted_squared_error(&self, stats: &LinearStats<B>) -> Tensor<B, 1> {
        let k = self.n_experts();
        let p = self.n_outputs as f64;
        let m = self.mean.clone();
        let cross = (m.clone() * stats.xy.clone())
            .sum_dim(2)
            .sum_dim(1)
            .reshape([k]);
        let fit = (stats.xx.clone().matmul(m.clone()) * m)
            .sum_dim(2)
            .sum_dim(1)
            .reshape([k]);
        let mut err = stats.yy.clone() - cross.mul_scalar(2.0) + fit;
        if self.prior.is_some() {
            let tr = (stats.xx.clone() * self.covariance.clone())
                .sum_dim(2)
                .sum_dim(1)
                .reshape([k]);
            err = err + tr.mul_scalar(p);
        }
        err
    }

    /// `KL(q(W_k) ‖ p(W_k))` per expert, `[K]` (`None` without a prior):
    /// `½ [P (tr(A⁻¹B) − D + log|A| − log|B|) + Σ_p (m_p − w0_p)ᵀ A⁻¹ (m_p − w0_p)]`.
    pub fn kl_divergence(&self) -> Option<Tensor<B, 1>> {
        let f = self.factors.as_ref()?;
        let [k, d, p] = self.mean.dims();
        let tr = (f.precision.clone() * self.covariance.clone())
            .sum_dim(2)
            .sum_dim(1)
            .reshape([k]);
        let diff = self.mean.clone() - self.prior_mean.clone();
        let maha = (f.precision.clone().matmul(diff.clone()) * diff)
            .sum_dim(2)
            .sum_dim(1)
            .reshape([k]);
        let logs = f.log_det.clone() - self.post_log_det.clone();
        let per_output = tr.add_scalar(-(d as f64)) + logs;
        Some((per_output.mul_scalar(p as f64) + maha).mul_scalar(0.5))
    }

    /// The new posterior from summed statistics: `(m, B, log|B|, smallest pivot)`.
    fn posterior(
        &self,
        stats: &LinearStats<B>,
    ) -> (Tensor<B, 3>, Tensor<B, 3>, Tensor<B, 1>, Tensor<B, 1>) {
        let k = self.n_experts();
        let beta = self.beta.clone().reshape([k, 1, 1]);
        let s_beta = stats.xx.clone() * beta.clone();
        let t_beta = stats.xy.clone() * beta;
        let (precision, rhs) = match &self.factors {
            Some(f) => (
                f.precision.clone() + s_beta,
                f.precision.clone().matmul(self.prior_mean.clone()) + t_beta,
            ),
            None => (s_beta, t_beta),
        };
        let (l, pivot) = cholesky(symmetrize(precision));
        // B = L⁻ᵀ L⁻¹ and m = B · rhs: one triangular inverse and three small matmuls (fewer
        // operations than two triangular solves plus the inverse).
        let l_inv = inverse_lower(l.clone());
        let l_inv_t = l_inv.clone().swap_dims(1, 2);
        let mean = l_inv_t.clone().matmul(l_inv.clone().matmul(rhs));
        let covariance = symmetrize(l_inv_t.matmul(l_inv));
        let log_det = log_det_from_cholesky(l).neg();
        (mean, covariance, log_det, pivot)
    }

    /// The noise-precision update from the statistics and the current posterior.
    fn update_noise(&mut self, stats: &LinearStats<B>) {
        let k = self.n_experts();
        let p = self.n_outputs as f64;
        let err = self.weighted_squared_error(stats);
        let old_var = self.beta.clone().recip();
        let var = match self.noise {
            NoiseSharing::PerExpert => {
                let var = err / stats.weight.clone().mul_scalar(p);
                let empty = stats.weight.clone().lower_elem(EMPTY_WEIGHT);
                var.mask_where(empty, old_var)
            }
            NoiseSharing::Shared => {
                let var = err.sum() / stats.weight.clone().sum().mul_scalar(p);
                var.expand([k])
            }
        };
        self.beta = var.clamp_min(self.noise_variance_floor).recip();
    }

    /// The prior-covariance and prior-mean updates (A first, with the old w0).
    fn update_prior(&mut self) {
        if self.learn.prior_covariance {
            let p = self.n_outputs as f64;
            let diff = self.mean.clone() - self.prior_mean.clone();
            let outer = diff.clone().matmul(diff.swap_dims(1, 2)).div_scalar(p);
            let a = self.covariance.clone() + outer;
            self.prior = match &self.prior {
                Prior::None => Prior::None,
                Prior::Diag(_) => Prior::Diag(diag_of(a)),
                Prior::Full(_) => Prior::Full(symmetrize(a)),
            };
        }
        if self.learn.prior_mean {
            self.prior_mean = self.mean.clone();
        }
        self.factors = self.prior.factors();
    }
}

impl<B: Backend> Components<B> for BayesianLinear<B> {
    type Stats = LinearStats<B>;

    fn n_components(&self) -> usize {
        self.n_experts()
    }

    /// # Panics
    /// If the batch has no targets (experts need `y`).
    fn log_likelihood(&self, batch: &Batch<B>) -> Tensor<B, 2> {
        let y = batch
            .y
            .as_ref()
            .expect("Bayesian linear experts need targets: build the batch with `with_targets`");
        let (pred, quad) = self.mean_and_quad(&self.design(&batch.x));
        let [k, n, p] = pred.dims();
        let resid = (y.clone().unsqueeze_dim::<3>(0).expand([k, n, p]) - pred)
            .square()
            .sum_dim(2)
            .reshape([k, n]);
        let err = if self.prior.is_some() {
            resid + quad.mul_scalar(p as f64)
        } else {
            resid
        };
        let beta = self.beta.clone().reshape([k, 1]);
        let log_norm = beta
            .clone()
            .div_scalar(2.0 * PI)
            .log()
            .mul_scalar(0.5 * p as f64);
        (err * beta.mul_scalar(-0.5) + log_norm).swap_dims(0, 1)
    }

    /// # Panics
    /// If the batch has no targets (experts need `y`).
    fn statistics(&self, batch: &Batch<B>, resp: Tensor<B, 2>) -> LinearStats<B> {
        let y = batch
            .y
            .as_ref()
            .expect("Bayesian linear experts need targets: build the batch with `with_targets`");
        LinearStats::compute(&self.design(&batch.x), y, resp)
    }

    fn update(&mut self, stats: LinearStats<B>) -> ComponentCheck<B> {
        let (mean, covariance, log_det, pivot) = self.posterior(&stats);
        self.mean = mean;
        self.covariance = covariance;
        self.post_log_det = log_det;
        if self.learn.noise {
            self.update_noise(&stats);
        }
        let has_prior = self.prior.is_some();
        if has_prior {
            self.update_prior();
        }
        let pivot = match &self.factors {
            Some(f) => pivot.min_pair(f.pivot.clone()),
            None => pivot,
        };
        let weight = if has_prior {
            full_like_dtype::<B, 1, 1>([self.n_experts()], PRIOR_WEIGHT, &stats.weight)
        } else {
            stats.weight
        };
        ComponentCheck { pivot, weight }
    }

    fn bound_correction(&self) -> Option<Tensor<B, 1>> {
        self.kl_divergence().map(|kl| kl.sum().neg())
    }

    fn n_parameters(&self) -> usize {
        let [k, d, p] = self.mean.dims();
        let noise = match self.noise {
            NoiseSharing::PerExpert => k,
            NoiseSharing::Shared => 1,
        };
        k * d * p + noise
    }
}
