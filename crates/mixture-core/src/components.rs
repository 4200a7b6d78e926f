//! K components, batched: features, scores, statistics and the M-step.

use burn::tensor::{Tensor, backend::Backend};

use crate::{Batch, Error, Result, Statistics, tensor::zeros_like_dtype};

/// Per-component health after an M-step, read by the driver together with the lower bound
/// (one host read per iteration).
///
/// `pivot[k]` is the smallest Cholesky pivot (or variance) of component k: not strictly
/// positive (or NaN) means its covariance is not positive definite. `weight[k]` is the total
/// responsibility it received: (almost) zero means it is empty. Components for which an
/// empty component is no failure (linear experts with a prior stay defined by the prior)
/// report no weights.
#[derive(Debug, Clone)]
pub struct ComponentCheck<B: Backend> {
    /// Smallest pivot per component, `[K]`.
    pub pivot: Tensor<B, 1>,
    /// Total responsibility per component, `[K]`; `None` when an empty component is fine.
    pub weight: Option<Tensor<B, 1>>,
}

/// A failed [`ComponentCheck`], as the driver found it on the host. The components turn it
/// into their own error ([`Components::failure`]), with their own remedy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ComponentFailure {
    /// Component `component` received a total responsibility of `weight` (zero or NaN).
    Empty {
        /// The component (index in 0..K).
        component: usize,
        /// Its total responsibility.
        weight: f64,
    },
    /// Component `component`'s smallest pivot is `pivot` (not strictly positive, or NaN).
    Singular {
        /// The component (index in 0..K).
        component: usize,
        /// Its smallest pivot.
        pivot: f64,
    },
}

impl ComponentFailure {
    /// The first failure in host values of a [`ComponentCheck`]: emptiness first (an empty
    /// component's covariance is meaningless), then the pivots. `weights` may be empty
    /// (nothing to check).
    pub fn find(pivots: &[f64], weights: &[f64]) -> Option<Self> {
        if let Some((component, &weight)) = weights
            .iter()
            .enumerate()
            .find(|(_, w)| w.is_nan() || **w <= 0.0)
        {
            return Some(Self::Empty { component, weight });
        }
        pivots
            .iter()
            .enumerate()
            .find(|(_, p)| !(**p > 0.0))
            .map(|(component, &pivot)| Self::Singular { component, pivot })
    }
}

/// The K components of a mixture, held as one batched value (never a loop over components
/// on the hot path).
///
/// Gaussian components score `log N(x | μ_k, Σ_k)`; a Bayesian linear expert scores the
/// expected log-likelihood `E_q[log p(y | x, w_k)]`. One E-step on a batch is, in this
/// order, and called so by the driver:
///
/// 1. [`prepare`](Self::prepare): the batch's data-only [`Features`](Self::Features) (a fit
///    may keep them for every pass, since they do not change between M-steps);
/// 2. [`score`](Self::score): the `[N, K]` joint log-probabilities from the features and the
///    gate's log-weights;
/// 3. the driver turns the scores into responsibilities (log-sum-exp, mode, sample weights);
/// 4. [`summarize`](Self::summarize): the batch's additive statistics from the same features
///    and the responsibilities.
///
/// After a pass, [`update`](Self::update) is the M-step from the statistics summed over all
/// batches, and a failed [`ComponentCheck`] becomes the components' own error through
/// [`failure`](Self::failure).
///
/// # Example
///
/// A new family plugs in by implementing the trait. Here, K unit-variance Gaussians in one
/// dimension (means only), whose features are the rows themselves:
///
/// ```
/// use burn::tensor::{backend::Backend, DType, Tensor};
/// use mixture_core::{
///     tensor::{from_f64, to_vec_f64}, Batch, ComponentCheck, ComponentFailure, Components,
///     Error, Result,
/// };
///
/// struct UnitGaussians<B: Backend> { means: Tensor<B, 2> } // [1, K]
///
/// /// Σ r and Σ r x per component, which add up across batches.
/// struct Sums<B: Backend>(Tensor<B, 2>, Tensor<B, 2>);
/// impl<B: Backend> mixture_core::Statistics for Sums<B> {
///     fn merge(self, o: Self) -> Self { Sums(self.0 + o.0, self.1 + o.1) }
/// }
///
/// impl<B: Backend> Components<B> for UnitGaussians<B> {
///     type Stats = Sums<B>;
///     type Features = Tensor<B, 2>; // x, [N, 1]
///     fn n_components(&self) -> usize { self.means.dims()[1] }
///     fn prepare(&self, batch: &Batch<B>) -> Result<Tensor<B, 2>> { Ok(batch.x.clone()) }
///     fn score(&self, x: &Tensor<B, 2>, log_weights: Tensor<B, 2>) -> Tensor<B, 2> {
///         let diff = x.clone() - self.means.clone(); // [N, K]
///         let ln_2pi = (2.0 * std::f64::consts::PI).ln();
///         diff.square().mul_scalar(-0.5).sub_scalar(0.5 * ln_2pi) + log_weights
///     }
///     fn summarize(&self, x: &Tensor<B, 2>, resp: Tensor<B, 2>) -> Sums<B> {
///         Sums(resp.clone().sum_dim(0), (resp * x.clone()).sum_dim(0))
///     }
///     fn update(&mut self, s: Sums<B>) -> ComponentCheck<B> {
///         self.means = s.1 / s.0.clone();
///         let k = self.n_components();
///         ComponentCheck { pivot: s.0.ones_like().reshape([k]), weight: Some(s.0.reshape([k])) }
///     }
///     fn failure(&self, failure: ComponentFailure) -> Error {
///         match failure {
///             ComponentFailure::Empty { component, weight } =>
///                 Error::EmptyComponent { component, weight },
///             ComponentFailure::Singular { .. } => unreachable!("unit variances"),
///         }
///     }
///     fn n_parameters(&self) -> usize { self.n_components() }
/// }
///
/// type B = burn_ndarray::NdArray<f64>;
/// let device = Default::default();
/// let x: Tensor<B, 2> = from_f64(vec![0.0, 0.2, 4.0, 4.2], [4, 1], &device, DType::F64);
/// let mut comps = UnitGaussians { means: from_f64(vec![-1.0, 5.0], [1, 2], &device, DType::F64) };
/// let batch = Batch::new(x.clone());
/// let features = comps.prepare(&batch)?;
/// let joint = comps.score(&features, from_f64(vec![0.5f64.ln(); 2], [1, 2], &device, DType::F64));
/// let resp = burn::tensor::activation::softmax(joint, 1);
/// comps.update(comps.summarize(&features, resp));
/// let means = to_vec_f64(comps.means.clone())?;
/// assert!((means[0] - 0.1).abs() < 1e-3 && (means[1] - 4.1).abs() < 1e-3);
/// # Ok::<(), mixture_core::Error>(())
/// ```
pub trait Components<B: Backend> {
    /// Sufficient statistics the M-step needs.
    type Stats: Statistics;

    /// What scoring and summarising a batch need from its data alone. It may depend on the
    /// batch and on settings fixed for the whole fit (the Gaussian components' centre, the
    /// experts' intercept), never on parameters an M-step changes, so that a fit can prepare
    /// it once and reuse it on every pass.
    type Features: Clone;

    /// Number of components, K.
    fn n_components(&self) -> usize;

    /// The batch's features.
    ///
    /// # Errors
    /// A batch these components cannot use, such as one without the targets that
    /// experts need ([`Error::MissingTargets`]).
    fn prepare(&self, batch: &Batch<B>) -> Result<Self::Features>;

    /// The `[N, K]` joint log-probabilities `log_weights + log p_k(x_n)` of a prepared batch,
    /// for the gate's `log_weights`, `[N, K]` or `[1, K]` (broadcast over rows).
    fn score(&self, features: &Self::Features, log_weights: Tensor<B, 2>) -> Tensor<B, 2>;

    /// Statistics of a prepared batch given its `[N, K]` responsibilities (already
    /// multiplied by the sample weights).
    fn summarize(&self, features: &Self::Features, resp: Tensor<B, 2>) -> Self::Stats;

    /// The M-step: new parameters from the summed statistics. Returns the health of each
    /// component for the driver to check (without a host read here).
    fn update(&mut self, stats: Self::Stats) -> ComponentCheck<B>;

    /// The error that names a failed check, with the remedy that fits these components
    /// (raise `reg_covar` for a Gaussian covariance, use a prior for a linear expert).
    fn failure(&self, failure: ComponentFailure) -> Error;

    /// A term added to the evidence lower bound beyond the data term, such as
    /// `-Σ_k KL(q(w_k) || p(w_k))` for variational experts; `None` when there is none.
    fn bound_correction(&self) -> Option<Tensor<B, 1>> {
        None
    }

    /// The components' part of the bound of an iteration when it is computed *after* the
    /// M-step, in scikit-learn's variational convention (`BayesianGaussianMixture`'s
    /// `_compute_lower_bound`: the entropy of the E-step's responsibilities and the
    /// posterior's normalisers, constants dropped). When `Some`, the driver reports the data
    /// term `Σ_n w_n lse_n` plus this plus the gate's
    /// [`Gate::bound_after_update`](crate::Gate::bound_after_update), instead of the
    /// [`bound_correction`](Self::bound_correction)s: the entropy `−Σ r ln r` is the data
    /// term less `Σ r s` over the E-step's scores, whose parts the components and the gate
    /// take from their statistics. `None` (the default) for point estimates.
    fn bound_after_update(&self) -> Option<Tensor<B, 1>> {
        None
    }

    /// Free parameters, for BIC and AIC.
    fn n_parameters(&self) -> usize;

    /// The `[N, K]` log-likelihoods `log p_k(x_n)` of a batch (prepare, then score with
    /// zero log-weights): for predictions and tests, not the fit's hot path.
    ///
    /// # Errors
    /// As [`prepare`](Self::prepare).
    fn log_likelihood(&self, batch: &Batch<B>) -> Result<Tensor<B, 2>> {
        let features = self.prepare(batch)?;
        let zero = zeros_like_dtype::<B, 2, 2>([1, self.n_components()], &batch.x);
        Ok(self.score(&features, zero))
    }

    /// Statistics of a batch given its responsibilities (prepare, then summarise).
    ///
    /// # Errors
    /// As [`prepare`](Self::prepare).
    fn statistics(&self, batch: &Batch<B>, resp: Tensor<B, 2>) -> Result<Self::Stats> {
        Ok(self.summarize(&self.prepare(batch)?, resp))
    }
}
