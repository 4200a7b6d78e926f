//! A variational Dirichlet over global mixing weights (MixtureLib's `HyperModelDirichlet`).

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Batch, Error, Gate, Result,
    special::{digamma, digamma_f64, lgamma, lgamma_f64},
    tensor::{from_f64_like, full_like_dtype, zeros_like_dtype},
};

use crate::weights::Counts;

/// Global mixing weights `π ~ Dir(α0)` with the variational posterior `q(π) = Dir(α)`,
/// `α = α0 + Σ_n r_n` (the summed responsibilities).
///
/// * [`log_weights`](Gate::log_weights) is `E_q[log π_k] = ψ(α_k) − ψ(Σ_j α_j)` (`[1, K]`);
/// * [`predict_weights`](Gate::predict_weights) is the posterior mean `α / Σα`;
/// * [`bound_correction`](Gate::bound_correction) is `−KL(Dir(α) ‖ Dir(α0))`, so with it the
///   EM driver's bound is the evidence lower bound.
///
/// MixtureLib fixes `α0 = 1`; here the prior is configurable ([`Dirichlet::with_prior`]).
/// Before any update `α = α0`.
///
/// ```
/// use burn::tensor::Tensor;
/// use mixture_core::{Batch, Gate};
/// use mixture_gates::Dirichlet;
/// type B = burn_flex::Flex;
/// let device = Default::default();
/// let x = Tensor::<B, 2>::zeros([3, 1], &device);
/// let mut gate = Dirichlet::new(2, &x);
/// // ψ(1) − ψ(2) = −1 before any update
/// let lw: Vec<f32> = gate.log_weights(&Batch::new(x.clone())).into_data().to_vec().unwrap();
/// assert!((lw[0] + 1.0).abs() < 1e-5);
/// let resp = Tensor::<B, 2>::from_floats([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]], &device);
/// let stats = gate.statistics(&Batch::new(x.clone()), resp);
/// gate.update(stats);
/// let w: Vec<f32> = gate.mean().into_data().to_vec().unwrap();
/// assert!((w[0] - 0.46).abs() < 1e-5 && (w[1] - 0.54).abs() < 1e-5);
/// ```
#[derive(Debug, Clone)]
pub struct Dirichlet<B: Backend> {
    prior: Tensor<B, 1>,
    alpha: Tensor<B, 1>,
    /// `Σ lnΓ(α0_k) − lnΓ(Σ α0)`, the prior's part of the KL (host, fixed).
    prior_log_norm: f64,
    /// `E_q[log π]`, `[K]`, refreshed at every update.
    expected_log: Tensor<B, 1>,
    /// `KL(q ‖ p)`, `[1]`, refreshed at every update.
    kl: Tensor<B, 1>,
    /// `[α0, Σ α0]`, `[K + 1]` (fixed).
    prior_ext: Tensor<B, 1>,
    /// `[−1, …, −1, 1]`, `[K + 1]`: the KL's signs over `[α, Σα]` (fixed).
    signs: Tensor<B, 1>,
}

impl<B: Backend> Dirichlet<B> {
    /// `k` components with the flat prior `α0 = 1`, on the device and dtype of `like`.
    pub fn new<const E: usize>(k: usize, like: &Tensor<B, E>) -> Self {
        Self::uniform(k, 1.0, like)
    }

    /// The symmetric prior `α0 = c` on `k` components, its state computed on the host: at
    /// `α = α0`, `E_q[log π_k] = ψ(c) − ψ(K c)` and the KL is zero. No tensor work beyond
    /// creating three tensors (the fit builds a gate per restart).
    fn uniform<const E: usize>(k: usize, c: f64, like: &Tensor<B, E>) -> Self {
        let kc = k as f64 * c;
        let prior = full_like_dtype::<B, 1, E>([k], c, like);
        let mut ext = vec![c; k + 1];
        ext[k] = kc;
        Self {
            alpha: prior.clone(),
            expected_log: full_like_dtype::<B, 1, E>([k], digamma_f64(c) - digamma_f64(kc), like),
            kl: zeros_like_dtype::<B, 1, E>([1], like),
            prior,
            prior_log_norm: k as f64 * lgamma_f64(c) - lgamma_f64(kc),
            prior_ext: from_f64_like::<B, 1, E>(ext, [k + 1], like),
            signs: signs(k, like),
        }
    }

    fn from_prior(prior: Tensor<B, 1>, prior_log_norm: f64) -> Self {
        let k = prior.dims()[0];
        let mut gate = Self {
            alpha: prior.clone(),
            expected_log: prior.clone(),
            kl: prior.clone().narrow(0, 0, 1),
            prior_ext: Tensor::cat(vec![prior.clone(), prior.clone().sum()], 0),
            signs: signs(k, &prior),
            prior,
            prior_log_norm,
        };
        gate.refresh();
        gate
    }

    /// `E_q[log π]` and the KL from `α`: one digamma and one log-gamma call on
    /// `a = [α, Σα]` (the special functions cost a dozen small tensor operations each).
    ///
    /// `KL = lnΓ(Σα) − Σ lnΓ(α_k) + Σ_k (α_k − α0_k)(ψ(α_k) − ψ(Σα)) − lnΓ(Σα0) + Σ lnΓ(α0_k)`
    /// is `Σ_j s_j [lnΓ(a_j) − (a_j − a0_j) ψ(a_j)]` plus the prior's constant, with
    /// `a0 = [α0, Σα0]` and the signs `s = [−1, …, −1, 1]` (since `Σ_k (α_k − α0_k) = Σα − Σα0`).
    fn refresh(&mut self) {
        let k = self.alpha.dims()[0];
        let args = Tensor::cat(vec![self.alpha.clone(), self.alpha.clone().sum()], 0);
        let psi = digamma(args.clone());
        let lg = lgamma(args.clone());
        self.expected_log = psi.clone().narrow(0, 0, k) - psi.clone().narrow(0, k, 1);
        let terms = lg - (args - self.prior_ext.clone()) * psi;
        self.kl = (terms * self.signs.clone())
            .sum()
            .add_scalar(self.prior_log_norm);
    }

    /// The prior concentration `α0` (`[K]`, every entry finite and > 0); resets the
    /// posterior to it.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when an entry is not finite and positive.
    pub fn with_prior(self, prior: Tensor<B, 1>) -> Result<Self> {
        let values = positive_concentrations(&prior, "dirichlet_prior")?;
        let log_norm =
            values.iter().map(|v| lgamma_f64(*v)).sum::<f64>() - lgamma_f64(values.iter().sum());
        Ok(Self::from_prior(prior, log_norm))
    }

    /// The symmetric prior `α0 = concentration` for every component.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `concentration` is finite and > 0.
    pub fn with_concentration(self, concentration: f64) -> Result<Self> {
        if !(concentration.is_finite() && concentration > 0.0) {
            return Err(Error::InvalidConfig {
                field: "dirichlet_prior",
                reason: format!("the concentration must be finite and > 0, got {concentration}"),
            });
        }
        Ok(Self::uniform(
            self.n_components(),
            concentration,
            &self.prior,
        ))
    }

    /// The posterior concentration `α` (`[K]`, every entry finite and > 0) of a fitted gate,
    /// say one read back from a file; `E_q[log π]` and the KL follow from it.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when an entry is not finite and positive,
    /// [`Error::DimensionMismatch`] when `alpha` does not have K entries.
    pub fn with_posterior(mut self, alpha: Tensor<B, 1>) -> Result<Self> {
        let k = self.n_components();
        if alpha.dims()[0] != k {
            return Err(Error::DimensionMismatch {
                what: "number of posterior concentrations",
                expected: k,
                found: alpha.dims()[0],
            });
        }
        positive_concentrations(&alpha, "dirichlet_posterior")?;
        self.alpha = alpha;
        self.refresh();
        Ok(self)
    }

    /// The prior concentration `α0`, `[K]`.
    pub fn prior(&self) -> Tensor<B, 1> {
        self.prior.clone()
    }

    /// The posterior concentration `α`, `[K]` (MixtureLib's `m`).
    pub fn concentration(&self) -> Tensor<B, 1> {
        self.alpha.clone()
    }

    /// The posterior mean weights `α / Σα`, `[K]`.
    pub fn mean(&self) -> Tensor<B, 1> {
        self.alpha.clone() / self.alpha.clone().sum()
    }

    /// `E_q[log π] = ψ(α) − ψ(Σα)`, `[K]`.
    pub fn expected_log_weights(&self) -> Tensor<B, 1> {
        self.expected_log.clone()
    }

    /// `KL(Dir(α) ‖ Dir(α0))
    /// = lnΓ(Σα) − Σ lnΓ(α_k) − lnΓ(Σα0) + Σ lnΓ(α0_k) + Σ (α_k − α0_k)(ψ(α_k) − ψ(Σα))`, `[1]`.
    pub fn kl_divergence(&self) -> Tensor<B, 1> {
        self.kl.clone()
    }
}

/// The entries of `t` on the host, if there are some and every one is finite and > 0.
fn positive_concentrations<B: Backend>(t: &Tensor<B, 1>, field: &'static str) -> Result<Vec<f64>> {
    let values = mixture_core::tensor::to_vec_f64(t.clone())?;
    if values.is_empty() || values.iter().any(|v| !(v.is_finite() && *v > 0.0)) {
        return Err(Error::InvalidConfig {
            field,
            reason: format!("every concentration must be finite and > 0, got {values:?}"),
        });
    }
    Ok(values)
}

/// `[−1, …, −1, 1]` (`K` minus ones, then one), with the dtype of `like`.
fn signs<B: Backend, const E: usize>(k: usize, like: &Tensor<B, E>) -> Tensor<B, 1> {
    let mut s = vec![-1.0; k + 1];
    s[k] = 1.0;
    from_f64_like::<B, 1, E>(s, [k + 1], like)
}

impl<B: Backend> Gate<B> for Dirichlet<B> {
    type Stats = Counts<B>;

    fn n_components(&self) -> usize {
        self.alpha.dims()[0]
    }

    fn log_weights(&self, _batch: &Batch<B>) -> Tensor<B, 2> {
        self.expected_log_weights().unsqueeze_dim::<2>(0)
    }

    fn statistics(&self, _batch: &Batch<B>, resp: Tensor<B, 2>) -> Counts<B> {
        Counts::of(resp)
    }

    fn update(&mut self, stats: Counts<B>) {
        self.alpha = self.prior.clone() + stats.0;
        self.refresh();
    }

    fn predict_weights(&self, batch: &Batch<B>) -> Tensor<B, 2> {
        let k = self.n_components();
        self.mean()
            .unsqueeze_dim::<2>(0)
            .expand([batch.n_samples(), k])
    }

    fn bound_correction(&self) -> Option<Tensor<B, 1>> {
        Some(self.kl_divergence().neg())
    }

    fn n_parameters(&self) -> usize {
        self.n_components() - 1
    }
}
