//! The generic EM driver: one loop for Gaussian mixtures and mixtures of experts.
//!
//! Each iteration makes one pass over the data source. For every batch it forms the joint
//! log-probabilities `log π_k(x) + log p_k(x)` from the gate and the components, normalises
//! them with a log-sum-exp into responsibilities, and merges the batch's sufficient
//! statistics into an accumulator. After the pass, one M-step updates the components, then the
//! regularizers, then the gate. The lower bound of the iteration (the weighted mean
//! log-likelihood of the parameters *before* the M-step, as scikit-learn reports it, plus any
//! variational correction) and the components' health checks come back in one host read.

use burn::tensor::{backend::Backend, Tensor};
use mixture_core::{
    logsumexp::softmax_with_logsumexp,
    sampling::categorical,
    stats::accumulate,
    tensor::{one_hot_like, to_vec_f64},
    Batch, Components, DataSource, Error, FitEvent, FitObserver, Gate, Regularizer, Result,
};
use rand::{rngs::StdRng, SeedableRng};

/// How the M-step sees the responsibilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EmMode {
    /// Weighted (soft) EM: every row counts for every component with its responsibility.
    /// Variational EM for Bayesian components. The bound never decreases.
    #[default]
    Weighted,
    /// Hard (classification) EM: each row counts only for its most probable component.
    Hard,
    /// Stochastic EM: each row counts for one component drawn from its responsibilities
    /// (flexmix's `classify = "random"`, the principled form of MixtureLib's "sample" mode).
    /// The chain does not converge to a point, so it runs all `max_iter` iterations.
    Stochastic,
}

/// Settings of one EM run.
#[derive(Debug, Clone)]
pub struct EmSettings {
    /// Maximum iterations.
    pub max_iter: usize,
    /// Convergence threshold on the change of the lower bound.
    pub tol: f64,
    /// How the M-step sees the responsibilities.
    pub mode: EmMode,
    /// Seed for the stochastic mode.
    pub seed: u64,
    /// The covariance regularisation in force, quoted in error messages.
    pub reg_covar: f64,
    /// A component whose total responsibility falls at or below this fraction of the total
    /// sample weight is reported as empty.
    pub min_weight_fraction: f64,
}

impl Default for EmSettings {
    fn default() -> Self {
        Self {
            max_iter: 100,
            tol: 1e-3,
            mode: EmMode::Weighted,
            seed: 0,
            reg_covar: 1e-6,
            min_weight_fraction: 0.0,
        }
    }
}

/// What an EM run did.
#[derive(Debug, Clone, PartialEq)]
pub struct EmTrace {
    /// The lower bound of every iteration.
    pub lower_bounds: Vec<f64>,
    /// Whether the change of the bound fell below `tol`.
    pub converged: bool,
    /// Iterations run.
    pub n_iter: usize,
}

impl EmTrace {
    /// The last lower bound (`-inf` if no iteration ran).
    pub fn lower_bound(&self) -> f64 {
        self.lower_bounds
            .last()
            .copied()
            .unwrap_or(f64::NEG_INFINITY)
    }
}

/// The pieces of one E-step pass: summed statistics and the summed weighted log-likelihood.
pub struct EStep<B: Backend, CS, GS> {
    /// Merged component statistics.
    pub components: CS,
    /// Merged gate statistics.
    pub gate: GS,
    /// `Σ_n w_n log Σ_k π_k p_k(x_n)`, a `[1]` tensor (not read back).
    pub log_likelihood: Tensor<B, 1>,
}

/// One pass over the data: responsibilities per batch, statistics merged across batches.
pub fn e_step<B, C, G, S>(
    components: &C,
    gate: &G,
    data: &S,
    mode: EmMode,
    rng: &mut StdRng,
) -> Result<EStep<B, C::Stats, G::Stats>>
where
    B: Backend,
    C: Components<B>,
    G: Gate<B>,
    S: DataSource<B> + ?Sized,
{
    let mut cs = None;
    let mut gs = None;
    let mut ll: Option<Tensor<B, 1>> = None;
    let k = components.n_components();
    data.for_each_batch(&mut |batch: Batch<B>| {
        let n = batch.n_samples();
        let mut respond = |joint: Tensor<B, 2>| -> Tensor<B, 2> {
            // Hard EM's labels first, so that the scores go to the normalisation unshared
            // (a backend kernel may then overwrite them with the responsibilities).
            let labels = matches!(mode, EmMode::Hard).then(|| joint.clone().argmax(1).reshape([n]));
            let (lse, resp) = softmax_with_logsumexp(joint);
            let lse = lse.reshape([n]);
            let part = match &batch.weight {
                Some(w) => (lse * w.clone()).sum(),
                None => lse.sum(),
            };
            ll = Some(match ll.take() {
                Some(acc) => acc + part,
                None => part,
            });
            let resp = match mode {
                EmMode::Weighted => resp,
                EmMode::Hard => one_hot_like(labels.expect("hard mode"), k, &resp),
                EmMode::Stochastic => one_hot_like(categorical(resp.clone(), rng), k, &resp),
            };
            let resp = batch.weigh(resp);
            gs = accumulate(gs.take(), gate.statistics(&batch, resp.clone()));
            resp
        };
        let stats = components.e_step(&batch, gate.log_weights(&batch), &mut respond);
        cs = accumulate(cs.take(), stats);
        Ok(())
    })?;
    match (cs, gs, ll) {
        (Some(components), Some(gate), Some(log_likelihood)) => Ok(EStep {
            components,
            gate,
            log_likelihood,
        }),
        _ => Err(Error::EmptyData {
            n_samples: 0,
            n_features: data.n_features(),
        }),
    }
}

/// Runs EM from the current parameters until the bound changes by less than `tol` or
/// `max_iter` iterations have run.
///
/// `total_weight` is the sum of the sample weights (the number of rows when unweighted); the
/// bound is the weighted mean log-likelihood plus the gate's and components'
/// [`bound_correction`](Components::bound_correction) divided by it.
///
/// # Errors
/// [`Error::NotPositiveDefinite`] or [`Error::EmptyComponent`] naming the component when an
/// M-step fails, [`Error::Diverged`] when the bound is not finite.
pub fn run<B, C, G, S>(
    components: &mut C,
    gate: &mut G,
    regularizers: &mut [&mut dyn Regularizer<C>],
    data: &S,
    total_weight: f64,
    settings: &EmSettings,
    init: usize,
    observer: &mut dyn FitObserver,
) -> Result<EmTrace>
where
    B: Backend,
    C: Components<B>,
    G: Gate<B>,
    S: DataSource<B> + ?Sized,
{
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let mut trace = EmTrace {
        lower_bounds: Vec::with_capacity(settings.max_iter),
        converged: false,
        n_iter: 0,
    };
    let k = components.n_components();
    for iteration in 1..=settings.max_iter {
        let e = e_step(components, gate, data, settings.mode, &mut rng)?;
        let mut bound = e.log_likelihood;
        if let Some(c) = components.bound_correction() {
            bound = bound + c;
        }
        if let Some(c) = gate.bound_correction() {
            bound = bound + c;
        }
        let check = components.update(e.components);
        for r in regularizers.iter_mut() {
            r.regularize(components);
        }
        gate.update(e.gate);
        // The single host read of the iteration: [bound, pivots (K), weights (K)].
        let read = to_vec_f64(Tensor::cat(vec![bound, check.pivot, check.weight], 0))?;
        let value = read[0] / total_weight;
        let (pivots, weights) = read[1..].split_at(k);
        check_components(pivots, weights, total_weight, settings)?;
        if !value.is_finite() {
            return Err(Error::Diverged {
                iteration,
                value: format!("{value}"),
            });
        }
        let change = trace
            .lower_bounds
            .last()
            .map_or(f64::NAN, |prev| value - prev);
        trace.lower_bounds.push(value);
        trace.n_iter = iteration;
        observer.observe(&FitEvent::Iteration {
            init,
            iteration,
            max_iter: settings.max_iter,
            value,
            change,
        });
        if settings.mode != EmMode::Stochastic && change.abs() < settings.tol {
            trace.converged = true;
            break;
        }
    }
    Ok(trace)
}

/// Turns the components' health values into the error that names the first bad component.
pub fn check_components(
    pivots: &[f64],
    weights: &[f64],
    total_weight: f64,
    settings: &EmSettings,
) -> Result<()> {
    for (component, &w) in weights.iter().enumerate() {
        if w.is_nan() || w <= settings.min_weight_fraction * total_weight {
            return Err(Error::EmptyComponent {
                component,
                weight: w,
            });
        }
    }
    for (component, &p) in pivots.iter().enumerate() {
        if p.is_nan() || p <= 0.0 {
            return Err(Error::NotPositiveDefinite {
                component,
                pivot: p,
                reg_covar: settings.reg_covar,
            });
        }
    }
    Ok(())
}
