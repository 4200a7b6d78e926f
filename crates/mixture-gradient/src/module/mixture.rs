//! The learnable Gaussian mixture: a burn [`Module`] whose parameters are [`Param`]s.

use burn::module::{Module, Param, ParamId};
use burn::tensor::{Int, Tensor, backend::Backend};
use mixture_core::{
    Error, LogPrior, Result,
    linalg::{gram, inverse_lower},
    logsumexp::{log_softmax, logsumexp, softmax_log},
    tensor::eye_like,
};

use super::{Family, density::log_prob_diag_residual};
use mixture_experts::gaussian::log_prob_full;

/// A Gaussian mixture whose parameters are learned by gradient descent (GMMPytorch), or
/// that serves as a learnable prior inside a larger model (multiDGD's latent GMM).
///
/// Parameters, all [`Param`]s (so burn optimizers train them and records save them):
///
/// * `logits` `[K]`: unnormalised log mixing weights, `π = softmax(logits)`;
/// * `means` `[K, D]`;
/// * `neglogvar`: negative log-variances, `σ² = exp(−neglogvar)` (multiDGD's convention), in
///   the family's shape ([`Family::neglogvar_shape`]). For the full family it holds
///   `2 log P_ii`, the log of the squared diagonal of the precision's Cholesky factor `P`
///   (`P Pᵀ = Σ⁻¹`, upper triangular), which is positive by construction;
/// * `off_diagonal` `[K, D, D]` (full family only): the strictly upper part of `P` (the
///   rest of the tensor is ignored).
///
/// The densities are scikit-learn's precision-Cholesky form
/// `log N(x | μ, Σ) = Σ_i log P_ii − ½ (D ln 2π + ‖(x − μ)ᵀ P‖²)`: the full family shares the
/// EM components' [`log_prob_full`]; the diagonal families form the residuals `(x − μ) p`
/// first, which stays accurate in f32 when a component collapses (see
/// [`log_prob_diag_residual`]).
///
/// **Floor.** The standard deviation (the inverse of every `P_ii` for the full family) never
/// goes below `min_std` (GMMPytorch clamps at 1e-6 against collapse onto a single point): the
/// densities read `neglogvar` clamped at `−2 ln min_std`, and [`apply_floor`](Self::apply_floor)
/// projects the parameter itself (a trainer calls it after each step).
///
/// Build one with [`GaussianMixtureModuleConfig`](super::GaussianMixtureModuleConfig) or
/// [`from_tensors`](Self::from_tensors).
#[derive(Module, Debug)]
pub struct GaussianMixtureModule<B: Backend> {
    /// Unnormalised log mixing weights, `[K]`.
    pub logits: Param<Tensor<B, 1>>,
    /// Component means, `[K, D]`.
    pub means: Param<Tensor<B, 2>>,
    /// Negative log-variances in the family's shape (see the type's documentation).
    pub neglogvar: Param<Tensor<B, 2>>,
    /// Strictly upper part of the precision Cholesky factors, `[K, D, D]` (full family only).
    pub off_diagonal: Option<Param<Tensor<B, 3>>>,
    #[module(skip)]
    family: Family,
    #[module(skip)]
    min_std: f64,
}

impl<B: Backend> GaussianMixtureModule<B> {
    /// A mixture from parameter tensors (which become [`Param`]s).
    ///
    /// # Arguments
    /// * `logits` `[K]`, `means` `[K, D]`, `neglogvar` in `family.neglogvar_shape(K, D)`;
    /// * `off_diagonal` `[K, D, D]`: required for the full family, ignored (must be `None`)
    ///   otherwise;
    /// * `min_std`: the floor on standard deviations (`> 0`).
    ///
    /// The `Constant` family's `neglogvar` does not require gradients.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for inconsistent shapes, [`Error::InvalidConfig`] for a
    /// bad `min_std` or a missing or unexpected `off_diagonal`.
    pub fn from_tensors(
        family: Family,
        logits: Tensor<B, 1>,
        means: Tensor<B, 2>,
        neglogvar: Tensor<B, 2>,
        off_diagonal: Option<Tensor<B, 3>>,
        min_std: f64,
    ) -> Result<Self> {
        let [k, d] = means.dims();
        if k == 0 || d == 0 {
            return Err(Error::InvalidInit {
                field: "means",
                reason: format!("means have shape [{k}, {d}]; need at least one of each"),
            });
        }
        if logits.dims()[0] != k {
            return Err(Error::DimensionMismatch {
                what: "number of mixture logits",
                expected: k,
                found: logits.dims()[0],
            });
        }
        let want = family.neglogvar_shape(k, d);
        if neglogvar.dims() != want {
            return Err(Error::InvalidInit {
                field: "neglogvar",
                reason: format!(
                    "the {family} family needs shape {want:?}, got {:?}",
                    neglogvar.dims()
                ),
            });
        }
        if !(min_std > 0.0 && min_std.is_finite()) {
            return Err(Error::InvalidConfig {
                field: "min_std",
                reason: format!("must be finite and > 0, got {min_std}"),
            });
        }
        let off_diagonal = match (family, off_diagonal) {
            (Family::Full, Some(off)) => {
                if off.dims() != [k, d, d] {
                    return Err(Error::InvalidInit {
                        field: "off_diagonal",
                        reason: format!("needs shape [{k}, {d}, {d}], got {:?}", off.dims()),
                    });
                }
                Some(Param::from_tensor(off))
            }
            (Family::Full, None) => {
                return Err(Error::InvalidConfig {
                    field: "off_diagonal",
                    reason: "the full family needs the off-diagonal precision factor".into(),
                });
            }
            (_, None) => None,
            (f, Some(_)) => {
                return Err(Error::InvalidConfig {
                    field: "off_diagonal",
                    reason: format!("only the full family has one, not {f}"),
                });
            }
        };
        let neglogvar = Param::from_tensor(neglogvar);
        let neglogvar = if family.is_learned() {
            neglogvar
        } else {
            neglogvar.set_require_grad(false)
        };
        Ok(Self {
            logits: Param::from_tensor(logits),
            means: Param::from_tensor(means),
            neglogvar,
            off_diagonal,
            family,
            min_std,
        })
    }

    /// Number of components, K.
    pub fn n_components(&self) -> usize {
        self.means.dims()[0]
    }

    /// Dimension of the data, D.
    pub fn n_features(&self) -> usize {
        self.means.dims()[1]
    }

    /// The covariance family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The floor on standard deviations.
    pub fn min_std(&self) -> f64 {
        self.min_std
    }

    /// The largest `neglogvar` the floor allows, `−2 ln min_std`.
    pub fn max_neglogvar(&self) -> f64 {
        -2.0 * self.min_std.ln()
    }

    /// Free parameters: `K − 1` weights, `K·D` means and the family's covariance parameters.
    pub fn n_parameters(&self) -> usize {
        let (k, d) = (self.n_components(), self.n_features());
        k - 1 + k * d + self.family.n_parameters(k, d)
    }

    /// Ids of the mixture-weight parameters (`logits`), for an optimizer of their own.
    pub fn mixture_param_ids(&self) -> Vec<ParamId> {
        vec![self.logits.id]
    }

    /// Ids of the component parameters that are learned (means, and the covariance
    /// parameters unless the family is `Constant`).
    pub fn component_param_ids(&self) -> Vec<ParamId> {
        let mut ids = vec![self.means.id];
        if self.family.is_learned() {
            ids.push(self.neglogvar.id);
        }
        if let Some(off) = &self.off_diagonal {
            ids.push(off.id);
        }
        ids
    }

    /// Projects `neglogvar` onto the floor (`σ ≥ min_std`). The parameter keeps its id, so an
    /// optimizer's state carries over; call it after each optimizer step (GMMPytorch's
    /// `constrain_parameters`).
    pub fn apply_floor(mut self) -> Self {
        let max = self.max_neglogvar();
        self.neglogvar = self.neglogvar.map(|t| {
            let require_grad = t.is_require_grad();
            // Off the graph first, so that the clamped value is a fresh leaf.
            t.set_require_grad(false)
                .clamp_max(max)
                .set_require_grad(require_grad)
        });
        self
    }

    /// Negative log-variances with the floor applied, in the family's shape.
    pub fn neglogvar_floored(&self) -> Tensor<B, 2> {
        self.neglogvar.val().clamp_max(self.max_neglogvar())
    }

    /// The diagonal of the precision Cholesky factors, `exp(neglogvar / 2)`, `[K, D]`.
    pub fn precision_cholesky_diagonal(&self) -> Tensor<B, 2> {
        let (k, d) = (self.n_components(), self.n_features());
        self.neglogvar_floored()
            .mul_scalar(0.5)
            .exp()
            .expand([k, d])
    }

    /// The precision Cholesky factors `P` (upper triangular, `P Pᵀ = Σ⁻¹`), `[K, D, D]`.
    pub fn precision_cholesky(&self) -> Tensor<B, 3> {
        let diag = self.precision_cholesky_diagonal();
        let d = self.n_features();
        let eye = eye_like(d, &diag).unsqueeze_dim::<3>(0);
        let p = diag.unsqueeze_dim::<3>(2) * eye;
        match &self.off_diagonal {
            Some(off) => p + off.val().triu(1),
            None => p,
        }
    }

    /// Log mixing weights `log softmax(logits)`, `[K]`.
    pub fn log_mixture_probs(&self) -> Tensor<B, 1> {
        let k = self.n_components();
        log_softmax(self.logits.val().unsqueeze_dim::<2>(0)).reshape([k])
    }

    /// Mixing weights `softmax(logits)`, `[K]` (multiDGD's `mixture_probs`).
    pub fn mixture_probs(&self) -> Tensor<B, 1> {
        let k = self.n_components();
        softmax_log(self.logits.val().unsqueeze_dim::<2>(0)).reshape([k])
    }

    /// Per-component log densities `log N(x_n | μ_k, Σ_k)`, `[N, K]` (no weights).
    ///
    /// # Panics
    /// If `x` does not have `D` columns (use [`check_input`](Self::check_input) first for
    /// an error instead).
    pub fn component_log_prob(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        match self.family {
            Family::Full => log_prob_full(x, self.means.val(), self.precision_cholesky()),
            _ => log_prob_diag_residual(x, self.means.val(), self.precision_cholesky_diagonal()),
        }
    }

    /// `log π_k + log N(x_n | μ_k, Σ_k)`, `[N, K]`.
    pub fn weighted_log_prob(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.component_log_prob(x) + self.log_mixture_probs().unsqueeze_dim::<2>(0)
    }

    /// Weighted densities `π_k N(x_n | μ_k, Σ_k)` without any prior, `[N, K]` (multiDGD's
    /// `sample_probs`).
    pub fn sample_probs(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        self.weighted_log_prob(x).exp()
    }

    /// Log density of the mixture per row, `log Σ_k π_k N(x_n | μ_k, Σ_k)`, `[N]` (no prior).
    pub fn log_prob(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        logsumexp(self.weighted_log_prob(x))
    }

    /// The negative log density per row, `[N]` (no prior): the per-sample loss of a density
    /// fit. See [`forward_with_prior`](Self::forward_with_prior) for multiDGD's `forward`
    /// and [`loss`](Self::loss) for the scalar training objective.
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        self.log_prob(x).neg()
    }

    /// multiDGD's `forward`: per row, the negative log density minus the **whole** log-prior,
    /// `−[log p(x_n) + log p(θ)]`, `[N]`. Summed over rows, the prior counts once per sample
    /// (see [`PriorWeighting::PerSample`](super::PriorWeighting::PerSample)).
    pub fn forward_with_prior(
        &self,
        x: Tensor<B, 2>,
        prior: &dyn LogPrior<B, Self>,
    ) -> Tensor<B, 1> {
        let n = x.dims()[0];
        let lp = prior.log_prior(self);
        (self.log_prob(x) + lp.expand([n])).neg()
    }

    /// The scalar training objective, `[1]`:
    ///
    /// ```text
    /// loss = −(1/n) Σ_n log p(x_n) − prior_scale · log p(θ)
    /// ```
    ///
    /// `prior_scale` says how the prior is weighed against the data; get it from
    /// [`PriorWeighting::scale`](super::PriorWeighting::scale). Without a prior this is
    /// GMMPytorch's loss, the mean negative log-likelihood.
    pub fn loss(
        &self,
        x: Tensor<B, 2>,
        prior: Option<&dyn LogPrior<B, Self>>,
        prior_scale: f64,
    ) -> Tensor<B, 1> {
        let nll = self.forward(x).mean();
        match prior {
            Some(p) if prior_scale != 0.0 => nll - p.log_prior(self).mul_scalar(prior_scale),
            _ => nll,
        }
    }

    /// Responsibilities `p(k | x_n)`, `[N, K]` (rows sum to one).
    pub fn predict_proba(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        softmax_log(self.weighted_log_prob(x))
    }

    /// The most probable component of each row, `[N]` (multiDGD's `clustering`).
    pub fn clustering(&self, x: Tensor<B, 2>) -> Tensor<B, 1, Int> {
        let n = x.dims()[0];
        self.weighted_log_prob(x).argmax(1).reshape([n])
    }

    /// Covariance matrices, `[K, D, D]`, for every family.
    pub fn covariance(&self) -> Tensor<B, 3> {
        match self.family {
            Family::Full => gram(self.covariance_factor()),
            _ => {
                let var = self.variances();
                let eye = eye_like(self.n_features(), &var).unsqueeze_dim::<3>(0);
                var.unsqueeze_dim::<3>(2) * eye
            }
        }
    }

    /// A factor `A_k` of each covariance, `Σ_k = A_k A_kᵀ` (lower triangular, `P_k⁻ᵀ`),
    /// `[K, D, D]`.
    pub fn covariance_factor(&self) -> Tensor<B, 3> {
        match self.family {
            Family::Full => inverse_lower(self.precision_cholesky().swap_dims(1, 2)),
            _ => {
                let sd = self.stddev();
                let eye = eye_like(self.n_features(), &sd).unsqueeze_dim::<3>(0);
                sd.unsqueeze_dim::<3>(2) * eye
            }
        }
    }

    /// Per-dimension variances (the covariances' diagonals), `[K, D]`.
    pub fn variances(&self) -> Tensor<B, 2> {
        let (k, d) = (self.n_components(), self.n_features());
        match self.family {
            Family::Full => {
                let a = self.covariance_factor();
                (a.clone() * a).sum_dim(2).reshape([k, d])
            }
            _ => self.neglogvar_floored().neg().exp().expand([k, d]),
        }
    }

    /// Per-dimension standard deviations, `[K, D]` (multiDGD's `stddev`).
    pub fn stddev(&self) -> Tensor<B, 2> {
        let (k, d) = (self.n_components(), self.n_features());
        match self.family {
            Family::Full => self.variances().sqrt(),
            _ => self
                .neglogvar_floored()
                .mul_scalar(-0.5)
                .exp()
                .expand([k, d]),
        }
    }

    /// Checks that `x` has `D` columns, at least one row and only finite values.
    ///
    /// # Errors
    /// [`Error::EmptyData`], [`Error::DimensionMismatch`], [`Error::NonFinite`].
    pub fn check_input(&self, x: &Tensor<B, 2>) -> Result<()> {
        let [n, d] = x.dims();
        if n == 0 || d == 0 {
            return Err(Error::EmptyData {
                n_samples: n,
                n_features: d,
            });
        }
        if d != self.n_features() {
            return Err(Error::DimensionMismatch {
                what: "number of features",
                expected: self.n_features(),
                found: d,
            });
        }
        mixture_core::host::check_data(x, "data")
    }
}
