//! Normal-Wishart posteriors over K Gaussian components: the components of a variational
//! Bayesian Gaussian mixture (scikit-learn's `BayesianGaussianMixture`).

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Batch, ComponentCheck, ComponentFailure, Components, Error, Result,
    special::{LN_2PI, digamma, lgamma},
    tensor::{from_f64_like, full_like_dtype},
};

use super::{
    CovarianceType, Covariances, GaussianComponents, GaussianFeatures, GaussianStats,
    components::mismatch,
    family::{Diag, Family, Full, Spherical, Tied},
};

/// One structure's Wishart update, its covariances wrapped in the public enum.
fn wishart<B: Backend, F: Family<B>>(
    sk: F::Shaped,
    psi: &F::Shaped,
    nk: Tensor<B, 1>,
    beta: Tensor<B, 1>,
    diff: Tensor<B, 2>,
    beta0: f64,
    nu0: f64,
) -> (Tensor<B, 1>, Covariances<B>) {
    let (nu, cov) = F::wishart(sk, psi, nk, beta, diff, beta0, nu0);
    (nu, F::covariances(cov))
}

/// The Normal-Wishart prior of a variational Gaussian mixture, resolved to values
/// (scikit-learn's `mean_precision_prior_`, `mean_prior_`, `degrees_of_freedom_prior_` and
/// `covariance_prior_`).
#[derive(Debug, Clone)]
pub struct NormalWishartPrior<B: Backend> {
    /// `β0 > 0`, the precision of the prior on the means (scikit-learn's default 1).
    pub mean_precision: f64,
    /// `m0`, `[1, D]` (scikit-learn's default: the data mean).
    pub mean: Tensor<B, 2>,
    /// `ν0 > D − 1` (scikit-learn's default D).
    pub degrees_of_freedom: f64,
    /// `Ψ0`, the prior on the covariance, in the covariance type's structure for **one**
    /// component: full `[1, D, D]`, tied `[D, D]`, diagonal `[1, D]`, spherical `[1]`
    /// (scikit-learn's defaults: the data covariance, its diagonal, or the mean of that
    /// diagonal, all with `ddof = 1`).
    pub covariance: Covariances<B>,
}

/// K Normal-Wishart posteriors `q(μ_k, Λ_k) = N(μ_k | m_k, (β_k Λ_k)⁻¹) W(Λ_k | W_k, ν_k)`
/// in scikit-learn's parameterisation: `means` are `m_k`, `covariances` are
/// `(ν_k W_k)⁻¹` (scikit-learn's `covariances_`, the inverse of the expected precision), with
/// their precision Cholesky factors; `mean_precision` is `β_k` and `degrees_of_freedom`
/// `ν_k` (one shared value for tied covariances).
///
/// As [`Components`], this is scikit-learn's `_estimate_log_prob` (the expected
/// log-density `E_q[ln N(x | μ_k, Λ_k⁻¹)]` with its dropped constant), `_m_step` from the
/// Gaussian statistics (`_estimate_means`, `_estimate_wishart_*`), and the components' part
/// of `_compute_lower_bound` after each update
/// ([`bound_after_update`](Components::bound_after_update)). Scores and statistics reuse
/// the EM Gaussian features and kernels: the score is the Gaussian score of the current
/// `(m_k, covariances_k)` plus a per-component term in the bias row,
/// `−½ D ln ν_k + ½ (D ln 2 + Σ_{i<D} ψ(½(ν_k − i)) − D / β_k)`.
///
/// An empty component is no failure: its posterior stays at the prior, which is how the
/// Dirichlet-process prior switches unneeded components off.
#[derive(Debug, Clone)]
pub struct NormalWishart<B: Backend> {
    gaussian: GaussianComponents<B>,
    prior: NormalWishartPrior<B>,
    /// `m0 − c`, `[1, D]`.
    prior_mean_c: Tensor<B, 2>,
    /// `β`, `[K]`.
    mean_precision: Tensor<B, 1>,
    /// `ν`, `[K]` (tied: one value repeated).
    degrees_of_freedom: Tensor<B, 1>,
    /// The score's per-component bias, `[1, K]`.
    bias: Tensor<B, 2>,
    /// `Σ_n Σ_k r_nk s_nk` of the last update's statistics under the parameters before it
    /// (the components' part of the E-step's scores), `[1]`.
    expected_score: Option<Tensor<B, 1>>,
}

impl<B: Backend> NormalWishart<B> {
    /// `k` components at the prior (`m_k = m0`, `β_k = β0`, `ν_k = ν0`, covariances
    /// `Ψ0 / ν0`), statistics and scores taken about `center` (`[1, D]`, the data mean
    /// keeps f32 accurate); to be updated from statistics.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a prior out of range (`β0 ≤ 0`, `ν0 ≤ D − 1`, a
    /// covariance prior not of `covariance_type`'s shape). Whether a covariance prior the
    /// user gives is positive definite is the estimator's check; one computed from data may
    /// be singular, as in scikit-learn.
    pub fn new(
        covariance_type: CovarianceType,
        k: usize,
        prior: NormalWishartPrior<B>,
        reg_covar: f64,
        center: Tensor<B, 2>,
    ) -> Result<Self> {
        let d = center.dims()[1];
        check_prior(&prior, covariance_type, d)?;
        let nu0 = prior.degrees_of_freedom;
        let covariances = match &prior.covariance {
            Covariances::Full(c) => Covariances::Full(c.clone().repeat_dim(0, k).div_scalar(nu0)),
            Covariances::Tied(c) => Covariances::Tied(c.clone().div_scalar(nu0)),
            Covariances::Diag(c) => Covariances::Diag(c.clone().repeat_dim(0, k).div_scalar(nu0)),
            Covariances::Spherical(c) => {
                Covariances::Spherical(c.clone().repeat_dim(0, k).div_scalar(nu0))
            }
        };
        let means = prior.mean.clone().repeat_dim(0, k);
        let beta = full_like_dtype::<B, 1, 2>([k], prior.mean_precision, &center);
        let nu = full_like_dtype::<B, 1, 2>([k], nu0, &center);
        // A singular Ψ0 (the data covariance of data with a constant column) is allowed, as in
        // scikit-learn: the first update adds the data's scatter and reg_covar.
        let (this, _) = Self::from_parts(means, covariances, beta, nu, prior, reg_covar, center)?;
        Ok(this)
    }

    /// Posteriors with the given parameters (a model read back from a file): means
    /// `[K, D]`, covariances (scikit-learn's `covariances_`), `β` and `ν` (`[K]`; tied: one
    /// value repeated). Returns them with the smallest Cholesky pivot of each covariance
    /// (`[K]`; not positive means not positive definite).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a prior out of range.
    pub fn from_parts(
        means: Tensor<B, 2>,
        covariances: Covariances<B>,
        mean_precision: Tensor<B, 1>,
        degrees_of_freedom: Tensor<B, 1>,
        prior: NormalWishartPrior<B>,
        reg_covar: f64,
        center: Tensor<B, 2>,
    ) -> Result<(Self, Tensor<B, 1>)> {
        let d = center.dims()[1];
        check_prior(&prior, covariances.covariance_type(), d)?;
        let (gaussian, pivot) = GaussianComponents::from_covariances(means, covariances, reg_covar);
        let gaussian = gaussian.with_center(center.clone());
        let mut this = Self {
            prior_mean_c: prior.mean.clone() - center,
            bias: mean_precision.clone().unsqueeze_dim::<2>(0),
            gaussian,
            prior,
            mean_precision,
            degrees_of_freedom,
            expected_score: None,
        };
        this.bias = this.score_bias();
        Ok((this, pivot))
    }

    /// The covariance structure.
    pub fn covariance_type(&self) -> CovarianceType {
        self.gaussian.covariance_type()
    }

    /// Sets about which point the E-step writes scores and second moments (see
    /// [`StatisticsCentre`](super::StatisticsCentre)).
    pub fn with_statistics_centre(mut self, centre: super::StatisticsCentre) -> Self {
        self.gaussian = self.gaussian.with_statistics_centre(centre);
        self
    }

    /// The posterior means `m_k`, `[K, D]` (scikit-learn's `means_`).
    pub fn means(&self) -> Tensor<B, 2> {
        self.gaussian.means()
    }

    /// `(ν_k W_k)⁻¹`, the inverse expected precisions (scikit-learn's `covariances_`).
    pub fn covariances(&self) -> Covariances<B> {
        self.gaussian.covariances()
    }

    /// `ν_k W_k`, the expected precisions (scikit-learn's `precisions_`).
    pub fn precisions(&self) -> Covariances<B> {
        self.gaussian.precisions()
    }

    /// Cholesky factors of [`precisions`](Self::precisions) (scikit-learn's
    /// `precisions_cholesky_`).
    pub fn precisions_cholesky(&self) -> Covariances<B> {
        self.gaussian.precisions_cholesky()
    }

    /// `β_k`, `[K]` (scikit-learn's `mean_precision_`).
    pub fn mean_precision(&self) -> Tensor<B, 1> {
        self.mean_precision.clone()
    }

    /// `ν_k`, `[K]`; tied covariances share one value, repeated here (scikit-learn's
    /// `degrees_of_freedom_` is then a scalar).
    pub fn degrees_of_freedom(&self) -> Tensor<B, 1> {
        self.degrees_of_freedom.clone()
    }

    /// The prior.
    pub fn prior(&self) -> &NormalWishartPrior<B> {
        &self.prior
    }

    /// The Gaussian components `N(m_k, covariances_k)`: the plug-in point estimate
    /// (scikit-learn samples from it).
    pub fn gaussian(&self) -> &GaussianComponents<B> {
        &self.gaussian
    }

    /// The covariance regularisation.
    pub fn reg_covar(&self) -> f64 {
        self.gaussian.reg_covar()
    }

    /// Sets the statistics' centre to the origin, for data whose mean is the origin
    /// already (see [`GaussianComponents::with_center_at_origin`]): the diagonal and
    /// spherical features then hold the rows, not a centred copy. The prior is unchanged.
    pub fn with_center_at_origin(mut self) -> Self {
        self.prior_mean_c = self.prior.mean.clone();
        self.gaussian = self.gaussian.with_center_at_origin();
        self
    }

    /// The centre `[1, D]` about which statistics and scores are taken.
    pub fn center(&self) -> Tensor<B, 2> {
        self.gaussian.center()
    }

    /// scikit-learn's `_estimate_log_prob` (the expected log-density under the posterior,
    /// `E_q[ln N(x | μ_k, Λ_k⁻¹)]`) plus `log_weights`, `[N, K]`, for raw inputs `x`, in row
    /// chunks.
    pub fn log_joint(&self, x: Tensor<B, 2>, log_weights: Tensor<B, 2>) -> Tensor<B, 2> {
        self.gaussian.log_joint(x, log_weights + self.bias.clone())
    }

    /// The posterior predictive log-densities `ln St(x | m_k, Σ̃_k, ν_k + 1 − D)`, `[N, K]`
    /// (Bishop's eq. 10.81): multivariate Student-t with `ν̃ = ν_k + 1 − D` degrees of
    /// freedom and scale `Σ̃_k = (1 + β_k) ν_k / (ν̃ β_k) · covariances_k`. Diagonal and
    /// spherical posteriors are treated the same way, with their structured scale (the
    /// Wishart degrees of freedom scikit-learn uses for them too).
    pub fn predictive_log_prob(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let k = self.mean_precision.dims()[0];
        let d = self.gaussian.n_features() as f64;
        // ln N = log|P| − ½ D ln 2π − ½ δ²  ⇒  δ² = 2 (log|P| − ½ D ln 2π − ln N).
        let log_det = self.log_det_cholesky().unsqueeze_dim::<2>(0); // [1, K]
        let ln_n = self.gaussian.log_prob(x);
        let maha = (log_det.clone().sub_scalar(0.5 * d * LN_2PI) - ln_n).mul_scalar(2.0);
        let nu = self.degrees_of_freedom.clone().unsqueeze_dim::<2>(0);
        let beta = self.mean_precision.clone().unsqueeze_dim::<2>(0);
        let dof = nu.clone().add_scalar(1.0 - d); // ν̃
        let scale = beta.clone().add_scalar(1.0) * nu / (dof.clone() * beta); // c_k
        let half = Tensor::cat(
            vec![
                dof.clone().add_scalar(d).mul_scalar(0.5),
                dof.clone().mul_scalar(0.5),
            ],
            0,
        );
        let lg = lgamma(half); // [2, K]
        let norm = lg.clone().slice([0..1, 0..k])
            - lg.slice([1..2, 0..k])
            - (dof.clone().mul_scalar(std::f64::consts::PI))
                .log()
                .mul_scalar(0.5 * d)
            - scale.clone().log().mul_scalar(0.5 * d)
            + log_det;
        let tail = (maha / (scale * dof.clone())).add_scalar(1.0).log()
            * dof.add_scalar(d).mul_scalar(-0.5);
        tail + norm
    }

    /// `Σ_i ln P_ii` of each component's precision factor, `[K]` (scikit-learn's
    /// `_compute_log_det_cholesky`).
    fn log_det_cholesky(&self) -> Tensor<B, 1> {
        self.gaussian.log_det_cholesky()
    }

    /// `½(ν_k − i)` for `i < D`, `[D, K]`.
    fn half_dof_steps(&self) -> Tensor<B, 2> {
        let d = self.gaussian.n_features();
        let steps: Vec<f64> = (0..d).map(|i| i as f64).collect();
        let steps = from_f64_like::<B, 2, 1>(steps, [d, 1], &self.degrees_of_freedom);
        (self.degrees_of_freedom.clone().unsqueeze_dim::<2>(0) - steps).mul_scalar(0.5)
    }

    /// `−½ D ln ν_k + ½ (D ln 2 + Σ_i ψ(½(ν_k − i)) − D / β_k)`, `[1, K]`: what
    /// scikit-learn's `_estimate_log_prob` adds to the Gaussian log-density of
    /// `N(m_k, covariances_k)`.
    fn score_bias(&self) -> Tensor<B, 2> {
        let d = self.gaussian.n_features() as f64;
        let nu = self.degrees_of_freedom.clone().unsqueeze_dim::<2>(0);
        let beta = self.mean_precision.clone().unsqueeze_dim::<2>(0);
        let log_lambda = digamma(self.half_dof_steps())
            .sum_dim(0)
            .add_scalar(d * std::f64::consts::LN_2);
        nu.log().mul_scalar(-0.5 * d) + (log_lambda - beta.recip().mul_scalar(d)).mul_scalar(0.5)
    }

    /// `Σ_k ln B(W_k, ν_k)` written as scikit-learn's `_log_wishart_norm` summed over the
    /// components (tied: K times the shared value), `[1]`.
    fn log_wishart_norm(&self) -> Tensor<B, 1> {
        let d = self.gaussian.n_features() as f64;
        let nu = self.degrees_of_freedom.clone();
        let log_det = self.log_det_cholesky() - nu.clone().log().mul_scalar(0.5 * d);
        let lg = lgamma(self.half_dof_steps())
            .sum_dim(0)
            .reshape([nu.dims()[0]]);
        (nu.clone() * log_det + nu.mul_scalar(0.5 * d * std::f64::consts::LN_2) + lg)
            .sum()
            .neg()
    }
}

/// The prior's values in range and of the covariance type's shape.
fn check_prior<B: Backend>(
    prior: &NormalWishartPrior<B>,
    covariance_type: CovarianceType,
    d: usize,
) -> Result<()> {
    let bad = |field: &'static str, reason: String| Err(Error::InvalidConfig { field, reason });
    if !(prior.mean_precision.is_finite() && prior.mean_precision > 0.0) {
        return bad(
            "mean_precision_prior",
            format!("must be finite and > 0, got {}", prior.mean_precision),
        );
    }
    if !(prior.degrees_of_freedom.is_finite() && prior.degrees_of_freedom > d as f64 - 1.0) {
        return bad(
            "degrees_of_freedom_prior",
            format!(
                "must be greater than n_features − 1 = {}, got {}",
                d as f64 - 1.0,
                prior.degrees_of_freedom
            ),
        );
    }
    if prior.mean.dims() != [1, d] {
        return bad(
            "mean_prior",
            format!(
                "must have n_features = {d} values, got {}",
                prior.mean.dims()[1]
            ),
        );
    }
    let shape = prior.covariance.shape();
    let want: Vec<usize> = match covariance_type {
        CovarianceType::Full => vec![1, d, d],
        CovarianceType::Tied => vec![d, d],
        CovarianceType::Diag => vec![1, d],
        CovarianceType::Spherical => vec![1],
    };
    if prior.covariance.covariance_type() != covariance_type || shape != want {
        return bad(
            "covariance_prior",
            format!("must be {covariance_type}-shaped {want:?}, got {shape:?}"),
        );
    }
    Ok(())
}

impl<B: Backend> Components<B> for NormalWishart<B> {
    type Stats = GaussianStats<B>;
    type Features = GaussianFeatures<B>;

    fn n_components(&self) -> usize {
        self.mean_precision.dims()[0]
    }

    fn prepare(&self, batch: &Batch<B>) -> Result<GaussianFeatures<B>> {
        self.gaussian.prepare(batch)
    }

    fn score(&self, features: &GaussianFeatures<B>, log_weights: Tensor<B, 2>) -> Tensor<B, 2> {
        self.gaussian
            .score(features, log_weights + self.bias.clone())
    }

    fn summarize(&self, features: &GaussianFeatures<B>, resp: Tensor<B, 2>) -> GaussianStats<B> {
        self.gaussian.summarize(features, resp)
    }

    /// scikit-learn's `_m_step`: `β = β0 + n`, `m = (β0 m0 + n x̄) / β`, and the Wishart
    /// update of the covariance type (`_estimate_wishart_full` … `_spherical`).
    fn update(&mut self, stats: GaussianStats<B>) -> ComponentCheck<B> {
        let reg = self.gaussian.reg_covar();
        // Σ r s under the old parameters, for the entropy of the responsibilities.
        self.expected_score = Some(
            self.gaussian.expected_log_prob_sum(&stats)
                + (stats.nk.clone().unsqueeze_dim::<2>(0) * self.bias.clone()).sum(),
        );
        let estimate = stats.estimate(reg);
        let nk = estimate.nk;
        let beta0 = self.prior.mean_precision;
        let nu0 = self.prior.degrees_of_freedom;
        let beta = nk.clone().add_scalar(beta0);
        let xk_c = estimate.means_c;
        let m0c = self.prior_mean_c.clone();
        let means_c = (m0c.clone().mul_scalar(beta0) + xk_c.clone() * nk.clone().unsqueeze_dim(1))
            / beta.clone().unsqueeze_dim(1);
        let diff = xk_c - m0c; // [K, D]
        let (nu, covariances) = match (estimate.covariances, &self.prior.covariance) {
            (Covariances::Full(sk), Covariances::Full(psi)) => {
                wishart::<B, Full>(sk, psi, nk, beta.clone(), diff, beta0, nu0)
            }
            (Covariances::Tied(sk), Covariances::Tied(psi)) => {
                wishart::<B, Tied>(sk, psi, nk, beta.clone(), diff, beta0, nu0)
            }
            (Covariances::Diag(sk), Covariances::Diag(psi)) => {
                wishart::<B, Diag>(sk, psi, nk, beta.clone(), diff, beta0, nu0)
            }
            (Covariances::Spherical(sk), Covariances::Spherical(psi)) => {
                wishart::<B, Spherical>(sk, psi, nk, beta.clone(), diff, beta0, nu0)
            }
            (s, p) => mismatch("statistics", p.covariance_type(), s.covariance_type()),
        };
        let center = self.gaussian.center();
        let (gaussian, pivot) =
            GaussianComponents::from_covariances(means_c + center.clone(), covariances, reg);
        let gaussian = if self.gaussian.center_is_origin() {
            gaussian.with_center_at_origin()
        } else {
            gaussian.with_center(center)
        };
        self.gaussian = gaussian.with_statistics_centre(self.gaussian.statistics_centre());
        self.mean_precision = beta;
        self.degrees_of_freedom = nu;
        self.bias = self.score_bias();
        ComponentCheck {
            pivot,
            weight: None,
        }
    }

    fn failure(&self, failure: ComponentFailure) -> Error {
        self.gaussian.failure(failure)
    }

    /// scikit-learn's `_compute_lower_bound` without the weights' term,
    /// `−Σ r ln r − Σ_k ln B(W_k, ν_k) − ½ D Σ_k ln β_k`, less the data term the driver adds:
    /// since `ln r_nk = s_nk − lse_n` for the E-step's scores `s` (gate included),
    /// `−Σ r ln r = Σ_n lse_n − Σ r s`; this returns the components' `−Σ r s` (from the
    /// statistics, no pass over the rows) and the normalisers, the gate its `−Σ r ln π`.
    fn bound_after_update(&self) -> Option<Tensor<B, 1>> {
        let d = self.gaussian.n_features() as f64;
        let minus_score = self.expected_score.clone()?.neg();
        Some(
            minus_score
                - self.log_wishart_norm()
                - self.mean_precision.clone().log().sum().mul_scalar(0.5 * d),
        )
    }

    fn n_parameters(&self) -> usize {
        self.gaussian.n_parameters()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::DType;
    use mixture_core::{
        special::lgamma_f64,
        tensor::{from_f64, to_vec_f64},
    };

    type B = burn_ndarray::NdArray<f64>;

    /// scikit-learn's `_log_wishart_norm`, `−(ν ln|P| + ½ ν D ln 2 + Σ_{i<D} lnΓ(½(ν − i)))`
    /// with `ln|P|` the log-determinant of the precision factor of `W` (ν·covariances⁻¹),
    /// summed over components, against the formula on the host (diagonal covariances).
    #[test]
    fn log_wishart_norm_is_the_formula() {
        let dev: burn_ndarray::NdArrayDevice = Default::default();
        let (k, d) = (2, 3);
        let cov = vec![0.5, 2.0, 1.5, 3.0, 0.25, 1.0];
        let nu = vec![7.5, 4.2];
        let prior = NormalWishartPrior::<B> {
            mean_precision: 1.0,
            mean: from_f64(vec![0.0; d], [1, d], &dev, DType::F64),
            degrees_of_freedom: 3.0,
            covariance: Covariances::Diag(from_f64(vec![1.0; d], [1, d], &dev, DType::F64)),
        };
        let (nw, _) = NormalWishart::<B>::from_parts(
            from_f64(vec![0.0; k * d], [k, d], &dev, DType::F64),
            Covariances::Diag(from_f64(cov.clone(), [k, d], &dev, DType::F64)),
            from_f64(vec![1.0, 2.0], [k], &dev, DType::F64),
            from_f64(nu.clone(), [k], &dev, DType::F64),
            prior,
            0.0,
            from_f64(vec![0.0; d], [1, d], &dev, DType::F64),
        )
        .unwrap();
        let got = to_vec_f64(nw.log_wishart_norm()).unwrap()[0];
        let want: f64 = (0..k)
            .map(|c| {
                // ln|P| of the covariances' precision factor, less ½ D ln ν (scikit-learn's
                // log_det_precisions_chol).
                let log_det: f64 = (0..d).map(|j| -0.5 * cov[c * d + j].ln()).sum::<f64>()
                    - 0.5 * d as f64 * nu[c].ln();
                let lg: f64 = (0..d).map(|i| lgamma_f64(0.5 * (nu[c] - i as f64))).sum();
                -(nu[c] * log_det + nu[c] * d as f64 * 0.5 * std::f64::consts::LN_2 + lg)
            })
            .sum();
        assert!((got - want).abs() < 1e-12 * want.abs(), "{got} vs {want}");
    }
}
