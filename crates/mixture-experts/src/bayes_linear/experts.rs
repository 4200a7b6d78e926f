//! K Bayesian linear experts, batched: posterior, expected log-likelihood, hyperparameters.

use core::f64::consts::PI;

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Batch, ComponentCheck, ComponentFailure, Components, Error, Result,
    linalg::{cholesky, inverse_spd, log_det_from_cholesky, symmetrize},
    tensor::{epsilon, full_like_dtype, zeros_like_dtype},
};

use super::{
    BayesianLinearConfig, Learned, LinearStats, NoiseSharing, Prior,
    prepared::{Prepared, Products},
    prior::{PriorFactors, diag_of},
};

/// Below this total responsibility an expert keeps its previous noise precision (there is
/// nothing to estimate it from).
const EMPTY_WEIGHT: f64 = 1e-12;

/// The smallest pivot of each expert's `D×D` posterior precision, set to 0 where that matrix
/// is singular although its computed pivot may be positive round-off:
/// * without a prior, where the expert holds fewer than `D` rows (`rows`): `Σ r x xᵀ` then
///   has rank below `D` exactly (hard and stochastic EM leave such experts);
/// * where the pivot is at most `D·ε` of the largest diagonal entry (`scale`; numpy's
///   `matrix_rank` tolerance with pivots for singular values): rows that are not in general
///   position, duplicated or collinear, caught as far as round-off lets a tolerance tell.
///
/// Either way its "inverse" would hold entries of order 1/ε and is no posterior.
fn singular_to_zero<B: Backend>(
    pivot: Tensor<B, 1>,
    scale: Tensor<B, 1>,
    rows: Option<Tensor<B, 1>>,
    d: usize,
) -> Tensor<B, 1> {
    let tol = scale.mul_scalar(d as f64 * epsilon(pivot.dtype()));
    let mut singular = pivot.clone().lower_equal(tol);
    if let Some(rows) = rows {
        singular = singular.bool_or(rows.lower_elem(d as f64));
    }
    let singular = singular.bool_and(pivot.clone().greater_elem(0.0));
    pivot.mask_fill(singular, 0.0)
}

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
///   (one batched symmetric sweep of the posterior precision gives `B`, its log-determinant
///   and the positive-definiteness pivots), followed by the switchable
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

/// The batch's targets.
///
/// # Panics
/// If the batch has none (experts need `y`).
fn targets<B: Backend>(batch: &Batch<B>) -> Result<&Tensor<B, 2>> {
    batch.y.as_ref().ok_or(Error::MissingTargets {
        what: "Bayesian linear experts",
    })
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
        // The posterior starts at the prior, so log |B| = log |A| (already factored), or
        // D log(prior_variance) without a prior.
        let post_log_det = match &factors {
            Some(f) => f.log_det.clone(),
            None => full_like_dtype([k], d as f64 * config.prior_variance.ln(), &w0),
        };
        Ok(Self {
            n_features: config.n_features,
            n_outputs: p,
            intercept: config.intercept,
            noise: config.noise,
            learn: config.learn,
            noise_variance_floor: config.noise_variance_floor,
            mean: w0.clone(),
            post_log_det,
            covariance,
            prior,
            prior_mean: w0,
            factors,
            beta,
        })
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

    /// The noise variance floor (see [`BayesianLinearConfig::noise_variance_floor`]).
    pub fn noise_variance_floor(&self) -> f64 {
        self.noise_variance_floor
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
                ));
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
                });
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

    /// The design repeated once per expert along the columns, `[N, K·D]` (column `k·D + j` is
    /// design column `j`): the layout of [`Self::quad`]'s products and of the statistics.
    fn design_rep(&self, design: &Tensor<B, 2>) -> Tensor<B, 2> {
        design.clone().repeat_dim(1, self.n_experts())
    }

    /// `m_kᵀ x_n` for every row and expert, `[N, K·P]` (column `k·P + p`): one product of the
    /// design with the posterior means side by side (`[D, K·P]`).
    ///
    /// The hot paths keep rows first and every operand contiguous: on small data the cost of
    /// a tensor op is its dispatch, and broadcasting a non-contiguous left operand takes the
    /// slow strided path on CPU backends.
    fn predictions(&self, design: &Tensor<B, 2>) -> Tensor<B, 2> {
        let [k, d, p] = self.mean.dims();
        design
            .clone()
            .matmul(self.mean.clone().swap_dims(0, 1).reshape([d, k * p]))
    }

    /// The predictions `m_kᵀ x_n` (`[N, K·P]`, as [`Self::predictions`]) and `x_nᵀ B_k x_n`
    /// (`[N, K]`) from one product: the design times the means and the covariances side by
    /// side (`[D, K·P + K·D]`); the covariance part times the repeated design (`[N, K·D]`),
    /// summed per expert, is the quadratic form.
    fn predictions_and_quad(
        &self,
        design: &Tensor<B, 2>,
        design_rep: Tensor<B, 2>,
    ) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let [k, d, p] = self.mean.dims();
        let n = design.dims()[0];
        let sides = Tensor::cat(
            vec![
                self.mean.clone().swap_dims(0, 1).reshape([d, k * p]),
                self.covariance.clone().swap_dims(0, 1).reshape([d, k * d]),
            ],
            1,
        );
        let both = design.clone().matmul(sides);
        let pred = both.clone().slice([0..n, 0..k * p]);
        let quad = (both.slice([0..n, k * p..k * (p + d)]) * design_rep)
            .reshape([n, k, d])
            .sum_dim(2)
            .reshape([n, k]);
        (pred, quad)
    }

    /// `‖y_n − m_kᵀx_n‖²`, `[N, K]`, from the predictions `[N, K·P]` and targets `[N, P]`.
    fn squared_residuals(&self, pred: Tensor<B, 2>, y: &Tensor<B, 2>) -> Tensor<B, 2> {
        let [n, p] = y.dims();
        let k = self.n_experts();
        if p == 1 {
            (pred - y.clone()).square()
        } else {
            (pred - y.clone().repeat_dim(1, k))
                .square()
                .reshape([n, k, p])
                .sum_dim(2)
                .reshape([n, k])
        }
    }

    /// The expected log-likelihood `[N, K]` of design rows and targets (see the type's docs),
    /// given the rows' prepared products.
    pub(crate) fn expected_log_likelihood(
        &self,
        design: &Tensor<B, 2>,
        products: &Products<B>,
        y: &Tensor<B, 2>,
    ) -> Tensor<B, 2> {
        let [k, d, p] = self.mean.dims();
        let err = if self.prior.is_some() {
            let (pred, quad) = match products {
                // xᵀB_k x = Σ_ij x_i x_j B_k,ij: the rows' x xᵀ times the flattened B_k.
                Products::Quadratic(q) => {
                    let n = design.dims()[0];
                    let xx = q.clone().slice([0..n, 0..d * d]);
                    let cov = self.covariance.clone().reshape([k, d * d]).swap_dims(0, 1);
                    (self.predictions(design), xx.matmul(cov))
                }
                Products::Repeated { design_rep, .. } => {
                    self.predictions_and_quad(design, design_rep.clone())
                }
            };
            let quad = if p == 1 {
                quad
            } else {
                quad.mul_scalar(p as f64)
            };
            self.squared_residuals(pred, y) + quad
        } else {
            self.squared_residuals(self.predictions(design), y)
        };
        let beta = self.beta.clone().reshape([1, k]);
        let log_norm = beta
            .clone()
            .div_scalar(2.0 * PI)
            .log()
            .mul_scalar(0.5 * p as f64);
        err * beta.mul_scalar(-0.5) + log_norm
    }

    /// Each expert's predictive mean `m_kᵀx` (`[N, K, P]`) and predictive variance per output
    /// `1/β_k + xᵀB_k x` (`[N, K]`) for inputs `x` (`[N, n_features]`).
    pub fn predict(&self, x: &Tensor<B, 2>) -> (Tensor<B, 3>, Tensor<B, 2>) {
        let design = self.design(x);
        let [k, _, p] = self.mean.dims();
        let n = design.dims()[0];
        let (pred, quad) = self.predictions_and_quad(&design, self.design_rep(&design));
        let var = quad + self.beta.clone().recip().reshape([1, k]);
        (pred.reshape([n, k, p]), var)
    }

    /// Each expert's log predictive density of `y` (`[N, P]`) given `x`, `[N, K]`: the
    /// posterior predictive `N(y | m_kᵀx, (1/β_k + xᵀB_k x) I)` with a prior, the fitted
    /// `N(y | m_kᵀx, I/β_k)` without one.
    pub fn predictive_log_density(&self, x: &Tensor<B, 2>, y: &Tensor<B, 2>) -> Tensor<B, 2> {
        let design = self.design(x);
        let k = self.n_experts();
        let [n, p] = y.dims();
        let noise_var = self.beta.clone().recip().reshape([1, k]);
        let (pred, var) = if self.prior.is_some() {
            let (pred, quad) = self.predictions_and_quad(&design, self.design_rep(&design));
            (pred, quad + noise_var)
        } else {
            let var = zeros_like_dtype::<B, 2, 2>([n, k], &design) + noise_var;
            (self.predictions(&design), var)
        };
        let resid = self.squared_residuals(pred, y);
        let log_norm = var
            .clone()
            .mul_scalar(2.0 * PI)
            .log()
            .mul_scalar(-0.5 * p as f64);
        resid.div(var).mul_scalar(-0.5) + log_norm
    }

    /// `Σ_n r_nk (‖y_n − m_kᵀx_n‖² + P x_nᵀB_k x_n)` from summed statistics and the current
    /// posterior, `[K]` (without a prior, the `B` term is left out). It is the numerator of
    /// the noise update; divided by the number of rows, it is MixtureLib's
    /// `OptimizeHyperParameters(.., 'beta')` for one expert.
    pub fn weighted_squared_error(&self, stats: &LinearStats<B>) -> Tensor<B, 1> {
        let [k, d, p] = self.mean.dims();
        let m = self.mean.clone();
        // Σ_n r ‖y − mᵀx‖² = Σ r ‖y‖² + Σ m ⊙ (S m − 2 T), with S = Σ r x xᵀ, T = Σ r x yᵀ.
        let fit = ((stats.xx.clone().matmul(m.clone()) - stats.xy.clone().mul_scalar(2.0)) * m)
            .reshape([k, d * p])
            .sum_dim(1)
            .reshape([k]);
        let err = stats.yy.clone() + fit;
        if !self.prior.is_some() {
            return err;
        }
        // P tr(S B) = P Σ S ⊙ B (both symmetric).
        let tr = (stats.xx.clone() * self.covariance.clone())
            .reshape([k, d * d])
            .sum_dim(1)
            .reshape([k]);
        err + if p == 1 { tr } else { tr.mul_scalar(p as f64) }
    }

    /// `KL(q(W_k) ‖ p(W_k))` per expert, `[K]` (`None` without a prior):
    /// `½ [P (tr(A⁻¹B) − D + log|A| − log|B|) + Σ_p (m_p − w0_p)ᵀ A⁻¹ (m_p − w0_p)]`.
    pub fn kl_divergence(&self) -> Option<Tensor<B, 1>> {
        let f = self.factors.as_ref()?;
        let [k, d, p] = self.mean.dims();
        let pf = p as f64;
        // P tr(A⁻¹B) + Σ_p δ_pᵀ A⁻¹ δ_p = Σ A⁻¹ ⊙ (P B + δ δᵀ), with δ = m − w0 (`[D, P]`).
        let diff = self.mean.clone() - self.prior_mean.clone();
        let scaled = if p == 1 {
            self.covariance.clone()
        } else {
            self.covariance.clone().mul_scalar(pf)
        };
        let spread = diff.clone().matmul(diff.swap_dims(1, 2)) + scaled;
        let quad = (f.precision.clone() * spread)
            .reshape([k, d * d])
            .sum_dim(1)
            .reshape([k]);
        let logs = f.log_det.clone() - self.post_log_det.clone();
        let logs = if p == 1 { logs } else { logs.mul_scalar(pf) };
        Some((quad + logs).add_scalar(-pf * d as f64).mul_scalar(0.5))
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
        // B = P⁻¹, log |P| and the smallest pivot in one batched sweep (see `sweep`), then
        // m = B · rhs.
        let precision = symmetrize(precision);
        let [_, d, _] = precision.dims();
        let scale = diag_of(precision.clone()).max_dim(1).reshape([k]);
        let (covariance, log_det, pivot) = inverse_spd(precision);
        let mean = covariance.clone().matmul(rhs);
        let rows = self.factors.is_none().then(|| stats.rows.clone());
        let pivot = singular_to_zero(pivot, scale, rows, d);
        (mean, covariance, log_det.neg(), pivot)
    }

    /// The noise-precision update from the statistics and the current posterior.
    fn update_noise(&mut self, stats: &LinearStats<B>) {
        let k = self.n_experts();
        let p = self.n_outputs as f64;
        let err = self.weighted_squared_error(stats);
        let old_var = self.beta.clone().recip();
        let var = match self.noise {
            NoiseSharing::PerExpert => {
                let weight = stats.weight.clone();
                let rows = if p == 1.0 {
                    weight
                } else {
                    weight.mul_scalar(p)
                };
                let var = err / rows;
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
            let [k, d, p] = self.mean.dims();
            let pf = p as f64;
            // A ← B + δδᵀ / P with δ = m − w0.
            let diff = self.mean.clone() - self.prior_mean.clone();
            self.prior = match &self.prior {
                Prior::None => Prior::None,
                // Its diagonal: diag(B) + Σ_p δ² / P.
                Prior::Diag(_) => {
                    let sq = diff.square();
                    let spread = if p == 1 {
                        sq.reshape([k, d])
                    } else {
                        sq.sum_dim(2).reshape([k, d]).div_scalar(pf)
                    };
                    Prior::Diag(diag_of(self.covariance.clone()) + spread)
                }
                Prior::Full(_) => {
                    let outer = diff.clone().matmul(diff.swap_dims(1, 2)).div_scalar(pf);
                    Prior::Full(symmetrize(self.covariance.clone() + outer))
                }
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
    type Features = Prepared<B>;

    fn n_components(&self) -> usize {
        self.n_experts()
    }

    /// The design `[x, 1]`, the targets and their per-row products (see [`Prepared`]),
    /// shared by the scores and the statistics.
    ///
    /// # Errors
    /// [`Error::MissingTargets`] for a batch without targets, [`Error::DimensionMismatch`]
    /// for inputs or targets of another width than the experts'.
    fn prepare(&self, batch: &Batch<B>) -> Result<Prepared<B>> {
        let y = targets(batch)?;
        if batch.n_features() != self.n_features {
            return Err(mismatch(
                "number of input columns",
                self.n_features,
                batch.n_features(),
            ));
        }
        if y.dims()[1] != self.n_outputs {
            return Err(mismatch(
                "number of target columns",
                self.n_outputs,
                y.dims()[1],
            ));
        }
        Ok(Prepared::new(self.design(&batch.x), y, self.n_experts()))
    }

    /// The expected log-likelihood plus the gate's `log_weights` (the `[N, K]` scores first,
    /// so that a `[1, K]` gate row is the broadcast operand).
    fn score(&self, f: &Prepared<B>, log_weights: Tensor<B, 2>) -> Tensor<B, 2> {
        self.expected_log_likelihood(&f.design, &f.products, &f.y) + log_weights
    }

    fn summarize(&self, f: &Prepared<B>, resp: Tensor<B, 2>) -> LinearStats<B> {
        LinearStats::from_products(&f.products, &f.design, &f.y, resp)
    }

    /// An expert without a prior whose precision is singular is
    /// [`Error::SingularExpert`] (the remedy is a prior); an empty one (only reported without
    /// a prior) is [`Error::EmptyComponent`].
    fn failure(&self, failure: ComponentFailure) -> Error {
        match failure {
            ComponentFailure::Empty { component, weight } => {
                Error::EmptyComponent { component, weight }
            }
            ComponentFailure::Singular { component, pivot } => Error::SingularExpert {
                expert: component,
                pivot,
            },
        }
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
        // With a prior an expert that receives no rows stays defined (it keeps the prior).
        let weight = (!has_prior).then_some(stats.weight);
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
