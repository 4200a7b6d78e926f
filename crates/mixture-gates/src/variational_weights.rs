//! The variational posterior over global mixing weights of a Bayesian Gaussian mixture:
//! stick-breaking (a truncated Dirichlet process) or a Dirichlet distribution, as
//! scikit-learn's `BayesianGaussianMixture` has them.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Batch, Error, Gate, Result,
    special::{digamma, lgamma},
    tensor::{from_f64_like, full_like_dtype},
};

use crate::weights::Counts;

use mixture_core::stats::NK_EPS;

/// The prior over the mixing weights (scikit-learn's `weight_concentration_prior_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum WeightPrior {
    /// A Dirichlet process in its stick-breaking form, truncated at K components: the
    /// weights of unneeded components go to zero (scikit-learn's default).
    #[default]
    DirichletProcess,
    /// A symmetric Dirichlet distribution over the K weights.
    DirichletDistribution,
}

mixture_core::named_enum!(WeightPrior, "weight prior", {
    DirichletProcess => "dirichlet-process" | "dirichlet_process" | "dp",
    DirichletDistribution => "dirichlet-distribution" | "dirichlet_distribution" | "dirichlet",
});

/// The variational posterior `q(π)` over global mixing weights, with scikit-learn's
/// `BayesianGaussianMixture` updates (`_estimate_weights`, `_estimate_log_weights`, and the
/// weights' part of `_compute_lower_bound`).
///
/// * Dirichlet process (stick-breaking, `v_k ~ Beta(1, α0)`, `π_k = v_k Π_{j<k} (1 − v_j)`):
///   `q(v_k) = Beta(a_k, b_k)` with `a_k = 1 + n_k`, `b_k = α0 + Σ_{j>k} n_j`;
///   `E[log π_k] = ψ(a_k) − ψ(a_k + b_k) + Σ_{j<k} (ψ(b_j) − ψ(a_j + b_j))`.
/// * Dirichlet distribution: `q(π) = Dir(α)`, `α_k = α0 + n_k`; `E[log π_k] = ψ(α_k) − ψ(Σα)`.
///
/// [`log_weights`](Gate::log_weights) is `E_q[log π]`; [`weights`](Self::weights) is
/// scikit-learn's `weights_` (the posterior mean, normalised);
/// [`bound_after_update`](Gate::bound_after_update) is minus the log-normaliser of the
/// posterior (`Σ_k ln B(a_k, b_k)`, or `Σ lnΓ(α_k) − lnΓ(Σα)`), scikit-learn's
/// `−log_norm_weight`. Counts get `10 ε` added, as in scikit-learn.
///
/// ```
/// use burn::tensor::{DType, Tensor};
/// use mixture_core::{tensor::{from_f64, to_vec_f64}, Batch, Gate};
/// use mixture_gates::{VariationalWeights, WeightPrior};
/// type B = burn_ndarray::NdArray<f64>;
/// let dev = Default::default();
/// let x: Tensor<B, 2> = from_f64(vec![0.0; 4], [4, 1], &dev, DType::F64);
/// let mut gate = VariationalWeights::new(WeightPrior::DirichletProcess, 3, 1.0 / 3.0, &x)?;
/// // three rows on the first component, one on the second, none on the third
/// let resp = from_f64(vec![1., 0., 0., 1., 0., 0., 1., 0., 0., 0., 1., 0.], [4, 3], &dev, DType::F64);
/// let stats = gate.statistics(&Batch::new(x), resp);
/// gate.update(stats);
/// let w = to_vec_f64(gate.weights())?;
/// assert!(w[0] > w[1] && w[1] > w[2] && (w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
/// # Ok::<(), mixture_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct VariationalWeights<B: Backend> {
    prior_type: WeightPrior,
    /// `α0`.
    concentration_prior: f64,
    /// Dirichlet process: `[2, K]` rows `a` and `b`; Dirichlet: `[1, K]` row `α`.
    concentration: Tensor<B, 2>,
    /// `[K, K]` with ones where `j < k` (row j, column k): a row vector times it sums over the
    /// components before each one (the exclusive cumulative sum).
    before: Tensor<B, 2>,
    /// `E_q[log π]`, `[1, K]`.
    expected_log: Tensor<B, 2>,
    /// `Σ_k n_k E_q[log π_k]` of the last update's counts under the posterior before it, `[1]`.
    expected_score: Option<Tensor<B, 1>>,
}

impl<B: Backend> VariationalWeights<B> {
    /// `k` components with the prior `α0 = concentration_prior` (scikit-learn's default is
    /// `1 / K`), on the device and dtype of `like`; the posterior starts at the prior with no
    /// counts.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] unless `concentration_prior` is finite and > 0 and `k ≥ 1`.
    pub fn new<const E: usize>(
        prior_type: WeightPrior,
        k: usize,
        concentration_prior: f64,
        like: &Tensor<B, E>,
    ) -> Result<Self> {
        if !(concentration_prior.is_finite() && concentration_prior > 0.0) {
            return Err(Error::InvalidConfig {
                field: "weight_concentration_prior",
                reason: format!("must be finite and > 0, got {concentration_prior}"),
            });
        }
        if k == 0 {
            return Err(Error::InvalidConfig {
                field: "n_components",
                reason: "must be at least 1".into(),
            });
        }
        let before: Vec<f64> = (0..k * k)
            .map(|i| if i / k < i % k { 1.0 } else { 0.0 })
            .collect();
        let before = from_f64_like::<B, 2, E>(before, [k, k], like);
        let zeros = full_like_dtype::<B, 1, E>([k], 0.0, like);
        let mut gate = Self {
            prior_type,
            concentration_prior,
            concentration: zeros.clone().unsqueeze_dim::<2>(0),
            expected_log: zeros.clone().unsqueeze_dim::<2>(0),
            before,
            expected_score: None,
        };
        gate.set_counts(zeros);
        Ok(gate)
    }

    /// The posterior from counts `n_k` (`[K]`, 10 ε already added).
    fn set_counts(&mut self, nk: Tensor<B, 1>) {
        let alpha0 = self.concentration_prior;
        let nk = nk.unsqueeze_dim::<2>(0); // [1, K]
        self.concentration = match self.prior_type {
            WeightPrior::DirichletProcess => {
                // b_k = α0 + Σ_{j>k} n_j: n times the transpose of `before`.
                let after = nk.clone().matmul(self.before.clone().transpose());
                Tensor::cat(vec![nk.add_scalar(1.0), after.add_scalar(alpha0)], 0)
            }
            WeightPrior::DirichletDistribution => nk.add_scalar(alpha0),
        };
        self.refresh_expected_log();
    }

    /// The stick-breaking Beta parameters `a`, `b`, `[1, K]` each (Dirichlet process only).
    fn sticks(&self) -> (Tensor<B, 2>, Tensor<B, 2>) {
        let k = self.n_components();
        (
            self.concentration.clone().slice([0..1, 0..k]),
            self.concentration.clone().slice([1..2, 0..k]),
        )
    }

    /// The prior type.
    pub fn prior_type(&self) -> WeightPrior {
        self.prior_type
    }

    /// The prior concentration `α0`.
    pub fn concentration_prior(&self) -> f64 {
        self.concentration_prior
    }

    /// scikit-learn's `weight_concentration_`: `[2, K]` (rows `a` and `b` of the Beta
    /// posteriors) for the Dirichlet process, `[1, K]` (`α`) for the Dirichlet distribution.
    pub fn concentration(&self) -> Tensor<B, 2> {
        self.concentration.clone()
    }

    /// Sets the posterior concentrations (a model read back from a file), in the shape
    /// [`concentration`](Self::concentration) returns.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for the wrong shape.
    pub fn with_concentration(mut self, concentration: Tensor<B, 2>) -> Result<Self> {
        let rows = match self.prior_type {
            WeightPrior::DirichletProcess => 2,
            WeightPrior::DirichletDistribution => 1,
        };
        let k = self.n_components();
        if concentration.dims() != [rows, k] {
            return Err(Error::DimensionMismatch {
                what: "weight concentration entries",
                expected: rows * k,
                found: concentration.dims().iter().product(),
            });
        }
        self.concentration = concentration;
        self.refresh_expected_log();
        Ok(self)
    }

    /// `E_q[log π]` from the concentrations.
    fn refresh_expected_log(&mut self) {
        let k = self.n_components();
        self.expected_log = match self.prior_type {
            WeightPrior::DirichletProcess => {
                let (a, b) = self.sticks();
                let psi = digamma(Tensor::cat(vec![a.clone(), b.clone(), a + b], 0));
                let pab = psi.clone().slice([2..3, 0..k]);
                psi.clone().slice([0..1, 0..k]) - pab.clone()
                    + (psi.slice([1..2, 0..k]) - pab).matmul(self.before.clone())
            }
            WeightPrior::DirichletDistribution => {
                let alpha = self.concentration.clone();
                let psi = digamma(Tensor::cat(vec![alpha.clone(), alpha.sum_dim(1)], 1));
                psi.clone().slice([0..1, 0..k]) - psi.slice([0..1, k..k + 1])
            }
        };
    }

    /// The posterior mean weights, normalised (scikit-learn's `weights_`), `[K]`.
    pub fn weights(&self) -> Tensor<B, 1> {
        let k = self.n_components();
        let w = match self.prior_type {
            WeightPrior::DirichletProcess => {
                // a/(a+b) · Π_{j<k} b_j/(a_j+b_j), the product as exp of a summed log.
                let (a, b) = self.sticks();
                let ab = a.clone() + b.clone();
                let rest = (b / ab.clone()).log().matmul(self.before.clone()).exp();
                a / ab * rest
            }
            WeightPrior::DirichletDistribution => self.concentration.clone(),
        };
        let w = w.reshape([k]);
        w.clone() / w.sum()
    }

    /// `E_q[log π]`, `[K]`.
    pub fn expected_log_weights(&self) -> Tensor<B, 1> {
        let k = self.n_components();
        self.expected_log.clone().reshape([k])
    }
}

impl<B: Backend> Gate<B> for VariationalWeights<B> {
    type Stats = Counts<B>;

    fn n_components(&self) -> usize {
        self.concentration.dims()[1]
    }

    fn log_weights(&self, _batch: &Batch<B>) -> Tensor<B, 2> {
        self.expected_log.clone()
    }

    fn statistics(&self, _batch: &Batch<B>, resp: Tensor<B, 2>) -> Counts<B> {
        Counts::of(resp)
    }

    fn update(&mut self, stats: Counts<B>) {
        let k = self.n_components();
        self.expected_score = Some(
            (stats.0.clone().reshape([1, k]) * self.expected_log.clone())
                .sum()
                .reshape([1]),
        );
        self.set_counts(stats.0.add_scalar(NK_EPS));
    }

    fn predict_weights(&self, batch: &Batch<B>) -> Tensor<B, 2> {
        let k = self.n_components();
        self.weights()
            .unsqueeze_dim::<2>(0)
            .expand([batch.n_samples(), k])
    }

    /// `Σ_k ln B(a_k, b_k)` (Dirichlet process) or `Σ lnΓ(α_k) − lnΓ(Σα)` (Dirichlet),
    /// scikit-learn's `−log_norm_weight`, less `Σ_k n_k E_q[log π_k]` under the posterior
    /// before the update (the gate's part of the E-step's scores, which the entropy of the
    /// responsibilities needs: see `NormalWishart`'s bound).
    fn bound_after_update(&self) -> Option<Tensor<B, 1>> {
        let k = self.n_components();
        let score = self.expected_score.clone()?;
        let norm = match self.prior_type {
            WeightPrior::DirichletProcess => {
                let (a, b) = self.sticks();
                let lg = lgamma(Tensor::cat(vec![a.clone(), b.clone(), a + b], 0));
                (lg.clone().slice([0..2, 0..k]).sum() - lg.slice([2..3, 0..k]).sum()).reshape([1])
            }
            WeightPrior::DirichletDistribution => {
                let alpha = self.concentration.clone();
                let lg = lgamma(Tensor::cat(vec![alpha.clone(), alpha.sum_dim(1)], 1));
                (lg.clone().slice([0..1, 0..k]).sum() - lg.slice([0..1, k..k + 1]).sum())
                    .reshape([1])
            }
        };
        Some(norm - score)
    }

    fn n_parameters(&self) -> usize {
        self.n_components() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::DType;
    use mixture_core::{
        special::{digamma_f64, lgamma_f64},
        tensor::{from_f64, to_vec_f64},
    };

    type B = burn_ndarray::NdArray<f64>;

    /// Updates, expected log-weights, weights and the bound term against scikit-learn's
    /// formulas written out on the host.
    #[test]
    fn updates_follow_scikit_learns_formulas() {
        let dev = Default::default();
        let nk = [5.0, 0.5, 3.0, 1e-3];
        let k = nk.len();
        let a0 = 0.7;
        let x: Tensor<B, 2> = from_f64(vec![0.0], [1, 1], &dev, DType::F64);
        for prior in WeightPrior::ALL {
            let mut gate = VariationalWeights::new(prior, k, a0, &x).unwrap();
            let before = to_vec_f64(gate.expected_log_weights()).unwrap();
            gate.update(Counts(from_f64(nk.to_vec(), [k], &dev, DType::F64)));
            // The bound term is the normaliser less Σ n_k E[log π_k] before the update.
            let score: f64 = nk.iter().zip(&before).map(|(n, l)| n * l).sum();
            let nk: Vec<f64> = nk.iter().map(|n| n + NK_EPS).collect();
            let got_log = to_vec_f64(gate.expected_log_weights()).unwrap();
            let got_w = to_vec_f64(gate.weights()).unwrap();
            let got_bound = to_vec_f64(gate.bound_after_update().unwrap()).unwrap()[0];
            let (want_log, want_w, want_bound): (Vec<f64>, Vec<f64>, f64) = match prior {
                WeightPrior::DirichletProcess => {
                    let a: Vec<f64> = nk.iter().map(|n| 1.0 + n).collect();
                    let b: Vec<f64> = (0..k)
                        .map(|i| a0 + nk[i + 1..].iter().sum::<f64>())
                        .collect();
                    let mut log = Vec::new();
                    let mut acc = 0.0;
                    let mut w = Vec::new();
                    let mut prod = 1.0;
                    let mut bound = 0.0;
                    for i in 0..k {
                        let s = digamma_f64(a[i] + b[i]);
                        log.push(digamma_f64(a[i]) - s + acc);
                        acc += digamma_f64(b[i]) - s;
                        w.push(a[i] / (a[i] + b[i]) * prod);
                        prod *= b[i] / (a[i] + b[i]);
                        bound += lgamma_f64(a[i]) + lgamma_f64(b[i]) - lgamma_f64(a[i] + b[i]);
                    }
                    let t: f64 = w.iter().sum();
                    (log, w.iter().map(|v| v / t).collect(), bound)
                }
                WeightPrior::DirichletDistribution => {
                    let al: Vec<f64> = nk.iter().map(|n| a0 + n).collect();
                    let s: f64 = al.iter().sum();
                    (
                        al.iter()
                            .map(|v| digamma_f64(*v) - digamma_f64(s))
                            .collect(),
                        al.iter().map(|v| v / s).collect(),
                        al.iter().map(|v| lgamma_f64(*v)).sum::<f64>() - lgamma_f64(s),
                    )
                }
            };
            for i in 0..k {
                assert!((got_log[i] - want_log[i]).abs() < 1e-11, "{prior}: log {i}");
                assert!((got_w[i] - want_w[i]).abs() < 1e-13, "{prior}: w {i}");
            }
            let want_bound = want_bound - score;
            assert!((got_bound - want_bound).abs() < 1e-10 * want_bound.abs().max(1.0));
            // A gate read back from its concentrations is the same gate.
            let back = VariationalWeights::new(prior, k, a0, &x)
                .unwrap()
                .with_concentration(gate.concentration())
                .unwrap();
            assert_eq!(
                to_vec_f64(back.expected_log_weights()).unwrap(),
                to_vec_f64(gate.expected_log_weights()).unwrap()
            );
        }
    }

    #[test]
    fn a_bad_prior_is_a_typed_error() {
        let x: Tensor<B, 2> = from_f64(vec![0.0], [1, 1], &Default::default(), DType::F64);
        for bad in [0.0, -1.0, f64::NAN] {
            assert!(matches!(
                VariationalWeights::new(WeightPrior::DirichletProcess, 2, bad, &x),
                Err(Error::InvalidConfig { .. })
            ));
        }
    }
}
