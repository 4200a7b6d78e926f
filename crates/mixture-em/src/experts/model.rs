//! The fitted mixture of experts: predictions, posterior responsibilities, scores.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Error, Result,
    host::{check_data, check_input},
    logsumexp::logsumexp_with_exp,
    tensor::to_vec_f64,
};
use mixture_experts::BayesianLinear;

use super::{FittedGate, MixtureOfExpertsConfig};
use crate::driver::EmTrace;

/// A fitted mixture of K Bayesian linear experts and its gate (from
/// [`MixtureOfExpertsConfig::fit`]).
///
/// Predictions for new inputs use the posterior predictive of each expert,
/// `N(m_kᵀx, 1/β_k + xᵀB_k x)` (without a prior: `N(m_kᵀx, 1/β_k)`), and the gate's weights
/// for new rows `π_k(x)` ([`FittedGate::predict_weights`]).
#[derive(Debug, Clone)]
pub struct MixtureOfExperts<B: Backend> {
    config: MixtureOfExpertsConfig,
    experts: BayesianLinear<B>,
    gate: FittedGate<B>,
    trace: EmTrace,
    mean_weights: Tensor<B, 1>,
}

impl<B: Backend> MixtureOfExperts<B> {
    pub(crate) fn from_parts(
        config: MixtureOfExpertsConfig,
        experts: BayesianLinear<B>,
        gate: FittedGate<B>,
        trace: EmTrace,
        mean_weights: Tensor<B, 1>,
    ) -> Self {
        Self {
            config,
            experts,
            gate,
            trace,
            mean_weights,
        }
    }

    /// The configuration it was fitted with.
    pub fn config(&self) -> &MixtureOfExpertsConfig {
        &self.config
    }

    /// Number of experts K.
    pub fn n_experts(&self) -> usize {
        self.experts.n_experts()
    }

    /// Input columns D.
    pub fn n_features(&self) -> usize {
        self.experts.n_features()
    }

    /// Output columns P.
    pub fn n_outputs(&self) -> usize {
        self.experts.n_outputs()
    }

    /// The experts (posterior, prior, noise).
    pub fn experts(&self) -> &BayesianLinear<B> {
        &self.experts
    }

    /// The gate.
    pub fn gate(&self) -> &FittedGate<B> {
        &self.gate
    }

    /// The experts' weights (posterior means), `[K, D(+1), P]`: one row per input column,
    /// then the intercept when there is one.
    pub fn coefficients(&self) -> Tensor<B, 3> {
        self.experts.mean()
    }

    /// The experts' intercepts, `[K, P]` (zeros without an intercept).
    pub fn intercepts(&self) -> Tensor<B, 2> {
        let [k, d, p] = self.experts.mean().dims();
        if self.experts.has_intercept() {
            self.experts
                .mean()
                .slice([0..k, d - 1..d, 0..p])
                .reshape([k, p])
        } else {
            self.experts
                .mean()
                .slice([0..k, 0..1, 0..p])
                .reshape([k, p])
                .zeros_like()
        }
    }

    /// The experts' noise variances `1/β_k`, `[K]`.
    pub fn noise_variance(&self) -> Tensor<B, 1> {
        self.experts.noise_variance()
    }

    /// The gate's weights averaged over the training rows, `[K]` (the global weights for a
    /// Dirichlet or constant gate).
    pub fn mean_gate_weights(&self) -> Tensor<B, 1> {
        self.mean_weights.clone()
    }

    /// The lower bound of every iteration of the kept initialisation (per unit of sample
    /// weight; the evidence lower bound for weighted EM).
    pub fn lower_bounds(&self) -> &[f64] {
        &self.trace.lower_bounds
    }

    /// The last lower bound.
    pub fn lower_bound(&self) -> f64 {
        self.trace.lower_bound()
    }

    /// Whether the kept initialisation converged.
    pub fn converged(&self) -> bool {
        self.trace.converged
    }

    /// Iterations run by the kept initialisation.
    pub fn n_iter(&self) -> usize {
        self.trace.n_iter
    }

    /// Free parameters of the experts and the gate.
    pub fn n_parameters(&self) -> usize {
        use mixture_core::Components;
        self.experts.n_parameters() + self.gate.n_parameters()
    }

    fn check_x(&self, x: &Tensor<B, 2>) -> Result<()> {
        check_input(x, "x", self.n_features())?;
        Ok(())
    }

    fn check_xy(&self, x: &Tensor<B, 2>, y: &Tensor<B, 2>) -> Result<()> {
        self.check_x(x)?;
        check_data(y, "y")?;
        if y.dims()[0] != x.dims()[0] {
            return Err(Error::DimensionMismatch {
                what: "number of target rows (y must have one row per row of x)",
                expected: x.dims()[0],
                found: y.dims()[0],
            });
        }
        if y.dims()[1] != self.n_outputs() {
            return Err(Error::DimensionMismatch {
                what: "number of outputs",
                expected: self.n_outputs(),
                found: y.dims()[1],
            });
        }
        Ok(())
    }

    /// The gate's weights for new rows, `[N, K]`.
    ///
    /// # Errors
    /// Non-finite or empty `x`, or the wrong number of features.
    pub fn predict_weights(&self, x: &Tensor<B, 2>) -> Result<Tensor<B, 2>> {
        self.check_x(x)?;
        Ok(self.gate.predict_weights(x))
    }

    /// The prediction `Σ_k π_k(x) m_kᵀx` (`[N, P]`) and the weights `π(x)` (`[N, K]`),
    /// MixtureLib's `predict`.
    ///
    /// # Errors
    /// Non-finite or empty `x`, or the wrong number of features.
    pub fn predict(&self, x: &Tensor<B, 2>) -> Result<(Tensor<B, 2>, Tensor<B, 2>)> {
        self.check_x(x)?;
        let weights = self.gate.predict_weights(x);
        let (means, _) = self.experts.predict(x);
        let [n, k, p] = means.dims();
        let pred = (means * weights.clone().reshape([n, k, 1]))
            .sum_dim(1)
            .reshape([n, p]);
        Ok((pred, weights))
    }

    /// Each expert's predictive mean (`[N, K, P]`) and variance per output (`[N, K]`).
    ///
    /// # Errors
    /// Non-finite or empty `x`, or the wrong number of features.
    pub fn predict_experts(&self, x: &Tensor<B, 2>) -> Result<(Tensor<B, 3>, Tensor<B, 2>)> {
        self.check_x(x)?;
        Ok(self.experts.predict(x))
    }

    /// The mixture's predictive mean and variance per output, both `[N, P]`:
    /// `Σ π_k μ_k` and `Σ π_k (v_k + μ_k²) − (Σ π_k μ_k)²`.
    ///
    /// # Errors
    /// Non-finite or empty `x`, or the wrong number of features.
    pub fn predict_distribution(&self, x: &Tensor<B, 2>) -> Result<(Tensor<B, 2>, Tensor<B, 2>)> {
        self.check_x(x)?;
        let weights = self.gate.predict_weights(x);
        let (means, var) = self.experts.predict(x);
        let [n, k, p] = means.dims();
        let w = weights.reshape([n, k, 1]);
        let mean = (means.clone() * w.clone()).sum_dim(1).reshape([n, p]);
        let second = ((means.square() + var.reshape([n, k, 1])) * w)
            .sum_dim(1)
            .reshape([n, p]);
        let variance = second - mean.clone().square();
        Ok((mean, variance))
    }

    /// `log π_k(x) + log p_k(y | x)` (`[N, K]`) with the experts' predictive densities.
    fn joint(&self, x: &Tensor<B, 2>, y: &Tensor<B, 2>) -> Tensor<B, 2> {
        let log_w = self.gate.predict_weights(x).log();
        log_w + self.experts.predictive_log_density(x, y)
    }

    /// Posterior responsibilities `p(k | x, y)` of the experts for rows `(x, y)`, `[N, K]`
    /// (rows sum to one).
    ///
    /// # Errors
    /// Non-finite or empty inputs, or mismatched shapes.
    pub fn predict_proba(&self, x: &Tensor<B, 2>, y: &Tensor<B, 2>) -> Result<Tensor<B, 2>> {
        self.check_xy(x, y)?;
        Ok(logsumexp_with_exp(self.joint(x, y)).1)
    }

    /// The predictive log-density `log Σ_k π_k(x) p_k(y | x)` of each row, `[N]`.
    ///
    /// # Errors
    /// Non-finite or empty inputs, or mismatched shapes.
    pub fn score_samples(&self, x: &Tensor<B, 2>, y: &Tensor<B, 2>) -> Result<Tensor<B, 1>> {
        self.check_xy(x, y)?;
        let n = x.dims()[0];
        Ok(logsumexp_with_exp(self.joint(x, y)).0.reshape([n]))
    }

    /// The mean predictive log-density of the rows (one host read).
    ///
    /// # Errors
    /// Non-finite or empty inputs, or mismatched shapes.
    pub fn score(&self, x: &Tensor<B, 2>, y: &Tensor<B, 2>) -> Result<f64> {
        let s = self.score_samples(x, y)?.mean();
        Ok(to_vec_f64(s)?[0])
    }

    /// The mean squared error of [`predict`](Self::predict) against `y`, averaged over rows
    /// and outputs (one host read).
    ///
    /// # Errors
    /// Non-finite or empty inputs, or mismatched shapes.
    pub fn mean_squared_error(&self, x: &Tensor<B, 2>, y: &Tensor<B, 2>) -> Result<f64> {
        self.check_xy(x, y)?;
        let (pred, _) = self.predict(x)?;
        Ok(to_vec_f64((pred - y.clone()).square().mean())?[0])
    }
}
