//! The fitted Gaussian mixture.

use burn::tensor::{Int, Tensor, backend::Backend};
use mixture_core::{
    Batch, Error, Gate, NoopObserver, Result, TensorSource,
    blocks::{map_row_blocks, sum_row_blocks},
    criteria::{aic, bic, icl},
    host::check_input,
    logsumexp::logsumexp_with_exp,
    sampling::{multinomial_counts, standard_normal},
    tensor::{from_f64_like, to_vec_f64},
};
use mixture_experts::{CovarianceType, Covariances, GaussianComponents};
use mixture_gates::Weights;
use rand::{SeedableRng, rngs::StdRng};

use super::GaussianMixtureConfig;
use crate::driver::{EmTrace, FitData, run};

/// A fitted Gaussian mixture: weights, means, covariances and their precision Cholesky
/// factors, with the record of the fit (converged, iterations, lower bounds).
///
/// Obtained from [`GaussianMixtureConfig::fit`] (or [`load`](Self::load)); every method takes
/// `&self` and checks its input.
#[derive(Debug, Clone)]
pub struct GaussianMixture<B: Backend> {
    config: GaussianMixtureConfig,
    components: GaussianComponents<B>,
    gate: Weights<B>,
    converged: bool,
    n_iter: usize,
    lower_bounds: Vec<f64>,
}

impl<B: Backend> GaussianMixture<B> {
    pub(crate) fn from_parts(
        config: GaussianMixtureConfig,
        components: GaussianComponents<B>,
        gate: Weights<B>,
        trace: EmTrace,
    ) -> Self {
        Self {
            config,
            components,
            gate,
            converged: trace.converged,
            n_iter: trace.n_iter,
            lower_bounds: trace.lower_bounds,
        }
    }

    /// The settings it was fitted with.
    pub fn config(&self) -> &GaussianMixtureConfig {
        &self.config
    }

    /// Number of components, K.
    pub fn n_components(&self) -> usize {
        self.config.n_components
    }

    /// Dimension of the data, D.
    pub fn n_features(&self) -> usize {
        self.components.n_features()
    }

    /// The covariance structure.
    pub fn covariance_type(&self) -> CovarianceType {
        self.components.covariance_type()
    }

    /// Mixing weights, `[K]`.
    pub fn weights(&self) -> Tensor<B, 1> {
        self.gate.weights()
    }

    /// Means, `[K, D]`.
    pub fn means(&self) -> Tensor<B, 2> {
        self.components.means()
    }

    /// Covariances (with `reg_covar` on the diagonal), in scikit-learn's shapes.
    pub fn covariances(&self) -> Covariances<B> {
        self.components.covariances()
    }

    /// Precision matrices, in scikit-learn's shapes.
    pub fn precisions(&self) -> Covariances<B> {
        self.components.precisions()
    }

    /// Cholesky factors of the precisions (scikit-learn's `precisions_cholesky_`).
    pub fn precisions_cholesky(&self) -> Covariances<B> {
        self.components.precisions_cholesky()
    }

    /// The components, for code that works with the traits directly.
    pub fn components(&self) -> &GaussianComponents<B> {
        &self.components
    }

    /// Whether the best initialisation converged.
    pub fn converged(&self) -> bool {
        self.converged
    }

    /// EM iterations of the best initialisation.
    pub fn n_iter(&self) -> usize {
        self.n_iter
    }

    /// The lower bound (mean log-likelihood) of the best initialisation's last iteration.
    pub fn lower_bound(&self) -> f64 {
        self.lower_bounds
            .last()
            .copied()
            .unwrap_or(f64::NEG_INFINITY)
    }

    /// The lower bound of every iteration of the best initialisation.
    pub fn lower_bounds(&self) -> &[f64] {
        &self.lower_bounds
    }

    fn check_input(&self, x: &Tensor<B, 2>) -> Result<()> {
        check_input(x, "data", self.n_features())?;
        Ok(())
    }

    /// `log π_k + log N(x | μ_k, Σ_k)`, `[N, K]`.
    fn joint(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        let batch = Batch::new(x.clone());
        self.components.log_joint(x, self.gate.log_weights(&batch))
    }

    /// Rows per block of a row-wise evaluation of `x` (sized by the backend, not by the
    /// fit's batch size: see [`map_row_blocks`]).
    fn block_rows(&self, x: &Tensor<B, 2>) -> usize {
        let [n, d] = x.dims();
        self.config.tuned_block_rows::<B>(n, d)
    }

    /// Posterior probability of each component for each row, `[N, K]` (rows sum to one).
    pub fn predict_proba(&self, x: &Tensor<B, 2>) -> Result<Tensor<B, 2>> {
        self.check_input(x)?;
        Ok(map_row_blocks(x, self.block_rows(x), |b| {
            logsumexp_with_exp(self.joint(b)).1
        }))
    }

    /// The most probable component of each row, `[N]`.
    pub fn predict(&self, x: &Tensor<B, 2>) -> Result<Tensor<B, 1, Int>> {
        self.check_input(x)?;
        Ok(map_row_blocks(x, self.block_rows(x), |b| {
            let m = b.dims()[0];
            self.joint(b).argmax(1).reshape([m])
        }))
    }

    /// Log-likelihood of each row under the mixture, `[N]`.
    pub fn score_samples(&self, x: &Tensor<B, 2>) -> Result<Tensor<B, 1>> {
        self.check_input(x)?;
        Ok(map_row_blocks(x, self.block_rows(x), |b| {
            let m = b.dims()[0];
            logsumexp_with_exp(self.joint(b)).0.reshape([m])
        }))
    }

    /// Mean log-likelihood of the rows (scikit-learn's `score`; PyCave's is its negative).
    pub fn score(&self, x: &Tensor<B, 2>) -> Result<f64> {
        self.check_input(x)?;
        let total = sum_row_blocks(x, self.block_rows(x), |b| {
            logsumexp_with_exp(self.joint(b)).0.sum()
        });
        Ok(to_vec_f64(total)?[0] / x.dims()[0] as f64)
    }

    /// Free parameters: covariance parameters + K·D means + K − 1 weights.
    pub fn n_parameters(&self) -> usize {
        use mixture_core::Components;
        self.components.n_parameters() + self.n_components() - 1
    }

    /// Bayesian information criterion on `x`: `−2 · score · N + p · ln N` (lower is better).
    pub fn bic(&self, x: &Tensor<B, 2>) -> Result<f64> {
        let n = x.dims()[0] as f64;
        Ok(bic(self.score(x)? * n, self.n_parameters(), n))
    }

    /// Akaike information criterion on `x`: `−2 · score · N + 2p` (lower is better).
    pub fn aic(&self, x: &Tensor<B, 2>) -> Result<f64> {
        let n = x.dims()[0] as f64;
        Ok(aic(self.score(x)? * n, self.n_parameters()))
    }

    /// Integrated completed likelihood on `x` (mclust's ICL in the sign of [`bic`](Self::bic):
    /// lower is better): the BIC plus twice the entropy `−Σ_i Σ_k r_ik ln r_ik` of the
    /// responsibilities. One pass over `x` and one host read.
    pub fn icl(&self, x: &Tensor<B, 2>) -> Result<f64> {
        let (score, entropy) = self.score_and_entropy(x)?;
        let n = x.dims()[0] as f64;
        Ok(icl(bic(score * n, self.n_parameters(), n), entropy))
    }

    /// [`score`](Self::score) and the entropy `−Σ_i Σ_k r_ik ln r_ik` of the
    /// responsibilities, from one pass over `x` and one host read (what model selection
    /// needs for BIC, AIC and ICL at once).
    pub(crate) fn score_and_entropy(&self, x: &Tensor<B, 2>) -> Result<(f64, f64)> {
        self.check_input(x)?;
        let sums = sum_row_blocks(x, self.block_rows(x), |b| {
            let joint = self.joint(b);
            let (log_norm, resp) = logsumexp_with_exp(joint.clone());
            // ln r_ik, floored so that a responsibility of exactly 0 adds 0 · (−1e30) = 0.
            let log_resp = (joint - log_norm.clone()).clamp_min(-1e30);
            let entropy = (resp * log_resp).sum().neg();
            Tensor::cat(vec![log_norm.sum(), entropy], 0)
        });
        let v = to_vec_f64(sums)?;
        Ok((v[0] / x.dims()[0] as f64, v[1]))
    }

    /// Draws `n` points, returned grouped by component (as scikit-learn does) with their
    /// component labels. Counts per component are multinomial; points are
    /// `μ_k + A_k z` with `A_k A_kᵀ = Σ_k` and standard normal `z`, from a host RNG seeded
    /// with `seed`.
    pub fn sample(&self, n: usize, seed: u64) -> Result<(Tensor<B, 2>, Tensor<B, 1, Int>)> {
        if n == 0 {
            return Err(Error::InvalidConfig {
                field: "n_samples",
                reason: "must be at least 1".into(),
            });
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let weights = to_vec_f64(self.weights())?;
        let counts = multinomial_counts(n, &weights, &mut rng);
        let d = self.n_features();
        let means = self.means();
        let factors = self.components.covariance_factors();
        let mut xs = Vec::new();
        let mut labels = Vec::with_capacity(n);
        for (k, &c) in counts.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let z: Vec<f64> = (0..c * d).map(|_| standard_normal(&mut rng)).collect();
            let z = from_f64_like::<B, 2, 2>(z, [c, d], &means);
            let a = factors
                .clone()
                .slice([k..k + 1, 0..d, 0..d])
                .reshape([d, d]);
            let mu = means.clone().slice([k..k + 1, 0..d]);
            xs.push(z.matmul(a.transpose()) + mu);
            labels.extend(std::iter::repeat_n(k as i64, c));
        }
        let x = Tensor::cat(xs, 0);
        let labels =
            Tensor::<B, 1, Int>::from_data(burn::tensor::TensorData::new(labels, [n]), &x.device());
        Ok((x, labels))
    }

    /// Fits again on `x`: from this model's parameters when `config().warm_start` is set
    /// (scikit-learn's `warm_start`, `n_init` ignored), else from a fresh initialisation.
    pub fn refit(&self, x: &Tensor<B, 2>) -> Result<GaussianMixture<B>> {
        if !self.config.warm_start {
            return self.config.fit(x);
        }
        self.check_input(x)?;
        let n = x.dims()[0];
        let source = TensorSource::new(
            Batch::new(x.clone()),
            Some(self.config.block_rows::<B>(n, x.dims()[1])),
        );
        let mut comps = self.components.clone();
        let mut gate = self.gate.clone();
        let settings = self.config.em_settings(self.config.seed);
        let data = FitData::new(&source, n as f64);
        let trace = run(
            &mut comps,
            &mut gate,
            &mut [],
            &data,
            &settings,
            0,
            &mut NoopObserver,
        )?;
        Ok(Self::from_parts(self.config.clone(), comps, gate, trace))
    }

    pub(crate) fn parts(&self) -> (&GaussianComponents<B>, &Weights<B>) {
        (&self.components, &self.gate)
    }

    pub(crate) fn from_saved(
        config: GaussianMixtureConfig,
        components: GaussianComponents<B>,
        gate: Weights<B>,
        converged: bool,
        n_iter: usize,
        lower_bounds: Vec<f64>,
    ) -> Self {
        Self {
            config,
            components,
            gate,
            converged,
            n_iter,
            lower_bounds,
        }
    }
}
