//! Fitting a mixture of experts: validation, random initial responsibilities, EM, restarts.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Batch, Error, FitObserver, NoopObserver, Regularizer, Result, TensorSource,
    host::{check_data, check_weights},
    tensor::{from_f64_like, to_vec_f64},
};
use mixture_experts::{BayesianLinear, BayesianLinearConfig, Prepared};
use mixture_gates::{Dirichlet, PerSampleDirichlet, Weights};
use rand::{RngExt, SeedableRng, rngs::StdRng};

use super::{FittedGate, GateKind, MixtureOfExperts, MixtureOfExpertsConfig};
use crate::driver::{EmFit, EmSettings, FitData, best_of, run, start_from, verify};

/// The regularizers a fit applies after every experts' M-step.
pub type ExpertRegularizers<'a, B> = [&'a mut dyn Regularizer<BayesianLinear<B>>];

/// Sizes and scales of the training data, read once.
struct DataScale {
    d: usize,
    p: usize,
    total: f64,
    /// Mean variance of the targets' columns.
    var_y: f64,
    /// Mean variance of the inputs' columns.
    var_x: f64,
}

impl MixtureOfExpertsConfig {
    /// Fits the mixture to inputs `x` (`[N, D]`) and targets `y` (`[N, P]`).
    ///
    /// # Errors
    /// Invalid settings, empty or non-finite data, `x` and `y` with different row counts,
    /// fewer rows than experts, or an expert without a prior that cannot be fitted (its
    /// weighted `Σ r x xᵀ` is singular or it received no rows; see [`mixture_core::Error`]).
    pub fn fit<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        y: &Tensor<B, 2>,
    ) -> Result<MixtureOfExperts<B>> {
        self.fit_with(x, y, None, &mut [], &mut NoopObserver)
    }

    /// Fits the mixture with one non-negative weight per row (`[N]`).
    pub fn fit_weighted<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        y: &Tensor<B, 2>,
        sample_weight: &Tensor<B, 1>,
    ) -> Result<MixtureOfExperts<B>> {
        self.fit_with(x, y, Some(sample_weight), &mut [], &mut NoopObserver)
    }

    /// Fits the mixture with optional sample weights, regularizers applied after every
    /// experts' M-step (say [`TiePriorMeans`](https://docs.rs/mixture-regularizers)), and a
    /// progress observer.
    pub fn fit_with<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        y: &Tensor<B, 2>,
        sample_weight: Option<&Tensor<B, 1>>,
        regularizers: &mut ExpertRegularizers<'_, B>,
        observer: &mut dyn FitObserver,
    ) -> Result<MixtureOfExperts<B>> {
        self.validate()?;
        let scale = self.check_data(x, y, sample_weight)?;
        let mut batch = Batch::new(x.clone()).with_targets(y.clone());
        if let Some(w) = sample_weight {
            batch = batch.with_weight(w.clone());
        }
        // The design and its products, once for the whole fit (every restart starts from
        // the same experts, so any of them prepares the same features).
        let template = self.experts_config(&scale).init(x)?;
        let source = TensorSource::new(batch, None);
        let data = FitData::new(&source, scale.total).keep_features(&template)?;
        let best = best_of(self.n_init, observer, |init, observer| {
            let seed = self.seed.wrapping_add(init as u64);
            self.fit_once(
                template.clone(),
                x,
                &data,
                &scale,
                seed,
                init,
                regularizers,
                observer,
            )
        })?;
        let k = self.n_experts;
        let mean_weights = best.gate.predict_weights(x).mean_dim(0).reshape([k]);
        Ok(MixtureOfExperts::from_parts(
            self.clone(),
            best.components,
            best.gate,
            best.trace,
            mean_weights,
        ))
    }

    fn check_data<B: Backend>(
        &self,
        x: &Tensor<B, 2>,
        y: &Tensor<B, 2>,
        sample_weight: Option<&Tensor<B, 1>>,
    ) -> Result<DataScale> {
        check_data(x, "x")?;
        check_data(y, "y")?;
        let [n, d] = x.dims();
        let p = y.dims()[1];
        if y.dims()[0] != n {
            return Err(Error::DimensionMismatch {
                what: "number of target rows (y must have one row per row of x)",
                expected: n,
                found: y.dims()[0],
            });
        }
        if n < self.n_experts {
            return Err(Error::TooFewSamples {
                n_samples: n,
                n_components: self.n_experts,
            });
        }
        let total = match sample_weight {
            Some(w) => check_weights(w, n)?,
            None => n as f64,
        };
        // One host read for the scales: per-column variances of x then y.
        let var = |t: &Tensor<B, 2>| {
            let centred = t.clone() - t.clone().mean_dim(0);
            centred.square().mean_dim(0)
        };
        let v = to_vec_f64(Tensor::cat(vec![var(x), var(y)], 1))?;
        let var_x = v[..d].iter().sum::<f64>() / d as f64;
        let var_y = v[d..].iter().sum::<f64>() / p as f64;
        Ok(DataScale {
            d,
            p,
            total,
            var_x,
            var_y,
        })
    }

    /// The experts' configuration for data of this scale.
    fn experts_config(&self, scale: &DataScale) -> BayesianLinearConfig {
        // A constant target has no scale: fall back to unit variance.
        let var_y = if scale.var_y > 0.0 { scale.var_y } else { 1.0 };
        let var_x = if scale.var_x > 0.0 { scale.var_x } else { 1.0 };
        BayesianLinearConfig::new(self.n_experts, scale.d)
            .with_n_outputs(scale.p)
            .with_intercept(self.intercept)
            .with_prior(self.prior)
            .with_prior_variance(self.prior_variance.unwrap_or(var_y / var_x))
            .with_noise_variance(var_y)
            .with_noise(self.noise)
            .with_learn(self.learn)
            .with_noise_variance_floor(1e-6 * var_y)
    }

    fn em_settings(&self, seed: u64) -> EmSettings {
        EmSettings {
            max_iter: self.max_iter,
            tol: self.tol,
            mode: self.mode,
            seed,
        }
    }

    fn fit_once<B: Backend>(
        &self,
        mut experts: BayesianLinear<B>,
        x: &Tensor<B, 2>,
        data: &FitData<'_, B, Prepared<B>>,
        scale: &DataScale,
        seed: u64,
        init: usize,
        regularizers: &mut ExpertRegularizers<'_, B>,
        observer: &mut dyn FitObserver,
    ) -> Result<EmFit<BayesianLinear<B>, FittedGate<B>>> {
        let k = self.n_experts;
        let settings = self.em_settings(seed);
        // Random responsibilities, one M-step of the experts, the regularizers and the gate.
        let mut resp = |b: &Batch<B>| Ok(random_responsibilities(b.n_samples(), k, seed, &b.x));
        macro_rules! fit_gate {
            ($gate:expr, $wrap:expr) => {{
                let mut gate = $gate;
                let check = start_from(&mut experts, &mut gate, regularizers, data, &mut resp)?;
                verify(&experts, check)?;
                let trace = run(
                    &mut experts,
                    &mut gate,
                    regularizers,
                    data,
                    &settings,
                    init,
                    observer,
                )?;
                EmFit {
                    components: experts,
                    gate: ($wrap)(gate),
                    trace,
                }
            }};
        }
        Ok(match self.gate {
            GateKind::Dirichlet => fit_gate!(
                Dirichlet::new(k, x).with_concentration(self.dirichlet_prior)?,
                FittedGate::Dirichlet
            ),
            GateKind::Softmax => fit_gate!(
                self.gate_config(k, scale.d, seed).init::<B>(&x.device())?,
                |g| FittedGate::Softmax(Box::new(g))
            ),
            GateKind::PerSample => {
                let uniform = from_f64_like::<B, 1, 2>(vec![1.0; k], [k], x);
                fit_gate!(
                    PerSampleDirichlet::new(k, x)
                        .with_prior(uniform, self.per_sample_concentration)?,
                    FittedGate::PerSample
                )
            }
            GateKind::Constant => {
                let w = self.fixed_weights.clone().unwrap_or_else(|| vec![1.0; k]);
                let total: f64 = w.iter().sum();
                let w = w.iter().map(|v| v / total).collect();
                fit_gate!(
                    Weights::fixed(from_f64_like::<B, 1, 2>(w, [k], x)),
                    FittedGate::Constant
                )
            }
        })
    }
}

/// Random soft assignments: each row's responsibilities are a draw from the flat Dirichlet
/// (normalised unit exponentials), from a seeded host RNG, with the dtype of `like`.
pub fn random_responsibilities<B: Backend>(
    n: usize,
    k: usize,
    seed: u64,
    like: &Tensor<B, 2>,
) -> Tensor<B, 2> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut v = Vec::with_capacity(n * k);
    for _ in 0..n {
        let row: Vec<f64> = (0..k).map(|_| -(1.0 - rng.random::<f64>()).ln()).collect();
        let s: f64 = row.iter().sum();
        v.extend(row.iter().map(|e| e / s));
    }
    from_f64_like(v, [n, k], like)
}
