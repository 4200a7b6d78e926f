//! Tying the experts' prior means together (MixtureLib's `RegularizeModel`).

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Error, Regularizer, Result,
    linalg::{cholesky, solve_lower, solve_upper, symmetrize},
    tensor::from_f64_like,
};
use mixture_experts::BayesianLinear;

/// Added to `α` before inverting it, as MixtureLib does, so that `α = 0` means "tied exactly"
/// without dividing by zero.
const ALPHA_EPS: f64 = 1e-30;

/// Pulls the experts' prior means `w0_k` towards each other, after every M-step:
///
/// `w0_k ← (A_k⁻¹ + K·Λ)⁻¹ (A_k⁻¹ m_k + Λ Σ_{k'=1..K} w0_{k'})`, `Λ = diag(1 / α)`,
///
/// with `m_k` the posterior mean, `A_k` the prior covariance, all new means computed from the
/// old ones and then assigned. Equivalently, `w0_k` becomes the precision-weighted average of
/// `m_k` (precision `A_k⁻¹`) and the current average of all prior means (precision `K·Λ`):
/// small `α` ties the means tightly, large `α` leaves each at its expert's posterior mean.
/// `α` is a variance, one value or one per input dimension (intercept last).
///
/// This is MixtureLib's code formula (the sum runs over all experts, `k` included, with the
/// factor `K`); its docstring writes `Σ_{k'≠k}` and `K − 1`. Experts without a prior are left
/// unchanged. Use it with [`Learned::prior_mean`](mixture_experts::Learned) on, or the tie is
/// all there is to move the prior means.
///
/// ```
/// use mixture_regularizers::TiePriorMeans;
/// let tie = TiePriorMeans::per_dimension(vec![1.0, 1e-10]).unwrap();
/// assert_eq!(tie.alpha(), &[1.0, 1e-10]);
/// assert!(TiePriorMeans::new(-1.0).is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TiePriorMeans {
    alpha: Vec<f64>,
}

impl TiePriorMeans {
    /// One `α` for every input dimension.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `alpha` is finite and `>= 0`.
    pub fn new(alpha: f64) -> Result<Self> {
        Self::per_dimension(vec![alpha])
    }

    /// One `α` per input dimension (the intercept last, when the experts have one).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `alpha` is empty or an entry is not finite and `>= 0`.
    pub fn per_dimension(alpha: Vec<f64>) -> Result<Self> {
        if alpha.is_empty() || alpha.iter().any(|a| !(a.is_finite() && *a >= 0.0)) {
            return Err(Error::InvalidConfig {
                field: "alpha",
                reason: format!("one or more finite values >= 0 are needed, got {alpha:?}"),
            });
        }
        Ok(Self { alpha })
    }

    /// The tie variances `α` (one value, or one per dimension).
    pub fn alpha(&self) -> &[f64] {
        &self.alpha
    }

    /// The tied prior means for `experts`, `[K, D, P]`, without assigning them (`None` for
    /// experts without a prior).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when `α` has one value per dimension and the experts'
    /// dimension D differs.
    pub fn tied_means<B: Backend>(
        &self,
        experts: &BayesianLinear<B>,
    ) -> Result<Option<Tensor<B, 3>>> {
        let Some(a_inv) = experts.prior_precision() else {
            return Ok(None);
        };
        let [k, d, p] = experts.mean().dims();
        let lambda: Vec<f64> = match self.alpha.len() {
            1 => vec![1.0 / (self.alpha[0] + ALPHA_EPS); d],
            n if n == d => self.alpha.iter().map(|a| 1.0 / (a + ALPHA_EPS)).collect(),
            n => {
                return Err(Error::DimensionMismatch {
                    what: "number of tie variances alpha (one per weight dimension)",
                    expected: d,
                    found: n,
                });
            }
        };
        let mut diag = vec![0.0; d * d];
        for i in 0..d {
            diag[i * d + i] = lambda[i] * k as f64;
        }
        let w0 = experts.prior_mean();
        let lambda_col = from_f64_like::<B, 3, 3>(lambda, [1, d, 1], &w0);
        let k_lambda = from_f64_like::<B, 3, 3>(diag, [1, d, d], &w0);
        let total = w0.sum_dim(0); // [1, D, P]
        let m = experts.mean();
        let precision = symmetrize(a_inv.clone() + k_lambda.expand([k, d, d]));
        let rhs = a_inv.matmul(m) + (lambda_col * total).expand([k, d, p]);
        let (l, _) = cholesky(precision);
        let z = solve_lower(l.clone(), rhs);
        Ok(Some(solve_upper(l.swap_dims(1, 2), z)))
    }
}

impl<B: Backend> Regularizer<BayesianLinear<B>> for TiePriorMeans {
    /// # Panics
    /// If `α` has one value per dimension and the experts' dimension differs (check with
    /// [`TiePriorMeans::tied_means`] first).
    fn regularize(&mut self, experts: &mut BayesianLinear<B>) {
        match self.tied_means(experts) {
            Ok(Some(w0)) => experts
                .set_prior_mean(w0)
                .expect("tied means have the experts' shape"),
            Ok(None) => {}
            Err(e) => panic!("TiePriorMeans: {e}"),
        }
    }
}
