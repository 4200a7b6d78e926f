//! The generic EM driver: one loop for Gaussian mixtures and mixtures of experts.
//!
//! Each iteration makes one pass over the data source. For every batch it forms the joint
//! log-probabilities `log π_k(x) + log p_k(x)` from the gate and the components, normalises
//! them with a log-sum-exp into responsibilities, and merges the batch's sufficient
//! statistics into an accumulator. After the pass, one M-step updates the components, then the
//! regularizers, then the gate. The lower bound of the iteration (the weighted mean
//! log-likelihood of the parameters *before* the M-step, as scikit-learn reports it, plus any
//! variational correction) and the components' health checks come back in one host read; a
//! failed check becomes the components' own error ([`Components::failure`]).
//!
//! The driver also owns what every estimator does around that loop: the initial M-step from
//! given responsibilities ([`start_from`], checked by [`verify`]), and restarts
//! ([`best_of`]: `n_init` runs, the best final bound kept, the observer told).

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Batch, ComponentCheck, ComponentFailure, Components, DataSource, Error, FitEvent, FitObserver,
    Gate, Regularizer, Result, Statistics,
    logsumexp::softmax_with_logsumexp,
    reduce::{all_reduce_tensors, from_rank_zero},
    sampling::categorical,
    stats::accumulate,
    tensor::{one_hot_like, to_vec_f64},
};
use rand::{SeedableRng, rngs::StdRng};

/// How the M-step sees the responsibilities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
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

mixture_core::named_enum!(EmMode, "EM mode", {
    Weighted => "weighted" | "soft",
    Hard => "hard" | "classification",
    Stochastic => "stochastic" | "sample",
});

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
}

impl Default for EmSettings {
    fn default() -> Self {
        Self {
            max_iter: 100,
            tol: 1e-3,
            mode: EmMode::Weighted,
            seed: 0,
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

/// The data of a fit: a source of batches, its total sample weight, and optionally the
/// [`Features`](Components::Features) of every batch, prepared once and kept for every pass
/// (they depend on the data and on settings fixed for the fit, never on the parameters).
pub struct FitData<'a, B: Backend, F> {
    source: &'a dyn DataSource<B>,
    total_weight: f64,
    kept: Option<Vec<F>>,
}

impl<'a, B: Backend, F: Clone> FitData<'a, B, F> {
    /// `source`, whose sample weights sum to `total_weight` (the number of rows when
    /// unweighted); features are prepared per batch on every pass.
    pub fn new(source: &'a dyn DataSource<B>, total_weight: f64) -> Self {
        Self {
            source,
            total_weight,
            kept: None,
        }
    }

    /// Prepares the features of every batch once, with `components` (any value of the
    /// family the fit runs, with the fit's fixed settings), and keeps them for every pass.
    /// Costs their memory for the life of the value.
    ///
    /// # Errors
    /// Those of [`Components::prepare`] and of the source.
    pub fn keep_features<C: Components<B, Features = F>>(mut self, components: &C) -> Result<Self> {
        let mut kept = Vec::new();
        self.source.for_each_batch(&mut |batch: Batch<B>| {
            kept.push(components.prepare(&batch)?);
            Ok(())
        })?;
        self.kept = Some(kept);
        Ok(self)
    }

    /// The source of the batches.
    pub fn source(&self) -> &'a dyn DataSource<B> {
        self.source
    }

    /// The sum of the sample weights.
    pub fn total_weight(&self) -> f64 {
        self.total_weight
    }

    /// Calls `f` on each batch with its features: the kept ones, else prepared now.
    fn for_each_prepared<C: Components<B, Features = F>>(
        &self,
        components: &C,
        f: &mut dyn FnMut(Batch<B>, F) -> Result<()>,
    ) -> Result<()> {
        let mut index = 0;
        self.source.for_each_batch(&mut |batch: Batch<B>| {
            let features = match &self.kept {
                Some(kept) => kept.get(index).cloned().ok_or(Error::DimensionMismatch {
                    what: "batches of the data source (a source must yield the same batches on every pass)",
                    expected: kept.len(),
                    found: index + 1,
                })?,
                None => components.prepare(&batch)?,
            };
            index += 1;
            f(batch, features)
        })
    }
}

/// The components' and the gate's statistics of a pass, summed over its batches.
struct Sums<CS, GS> {
    components: Option<CS>,
    gate: Option<GS>,
}

impl<CS, GS> Default for Sums<CS, GS> {
    fn default() -> Self {
        Self {
            components: None,
            gate: None,
        }
    }
}

impl<CS: Statistics, GS: Statistics> Sums<CS, GS> {
    /// Adds a batch's statistics under its (weighted) responsibilities.
    fn add<B, C, G>(
        &mut self,
        components: &C,
        gate: &G,
        batch: &Batch<B>,
        features: &C::Features,
        resp: Tensor<B, 2>,
    ) where
        B: Backend,
        C: Components<B, Stats = CS>,
        G: Gate<B, Stats = GS>,
    {
        self.gate = accumulate(self.gate.take(), gate.statistics(batch, resp.clone()));
        self.components = accumulate(self.components.take(), components.summarize(features, resp));
    }

    /// The sums, or [`Error::EmptyData`] for a source that yielded no batch.
    fn total<B: Backend, F>(self, data: &FitData<'_, B, F>) -> Result<(CS, GS)> {
        match (self.components, self.gate) {
            (Some(c), Some(g)) => Ok((c, g)),
            _ => Err(empty(data)),
        }
    }
}

/// The error of a source that yielded no batch.
fn empty<B: Backend, F>(data: &FitData<'_, B, F>) -> Error {
    Error::EmptyData {
        n_samples: 0,
        n_features: data.source.n_features(),
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

/// One pass over the data: per batch, features → scores → responsibilities → statistics,
/// the statistics merged across batches.
pub fn e_step<B, C, G>(
    components: &C,
    gate: &G,
    data: &FitData<'_, B, C::Features>,
    mode: EmMode,
    rng: &mut StdRng,
) -> Result<EStep<B, C::Stats, G::Stats>>
where
    B: Backend,
    C: Components<B>,
    G: Gate<B>,
{
    let mut sums = Sums::default();
    let mut ll: Option<Tensor<B, 1>> = None;
    let k = components.n_components();
    data.for_each_prepared(components, &mut |batch: Batch<B>, features: C::Features| {
        let n = batch.n_samples();
        let joint = components.score(&features, gate.log_weights(&batch));
        // Hard EM's labels first, so that the scores go to the normalisation unshared (a
        // backend kernel may then overwrite them with the responsibilities).
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
        let resp = match (mode, labels) {
            (EmMode::Hard, Some(labels)) => one_hot_like(labels, k, &resp),
            (EmMode::Stochastic, _) => one_hot_like(categorical(resp.clone(), rng), k, &resp),
            _ => resp,
        };
        sums.add(components, gate, &batch, &features, batch.weigh(resp));
        Ok(())
    })?;
    let (mut components, mut gate) = sums.total(data)?;
    let mut log_likelihood = ll.ok_or_else(|| empty(data))?;
    // A shard of a data set split over processes: the pass's sums over every shard.
    if let Some(reducer) = data.source.reducer() {
        components = components.all_reduce(reducer)?;
        gate = gate.all_reduce(reducer)?;
        log_likelihood = all_reduce_tensors(reducer, vec![log_likelihood])?.remove(0);
    }
    Ok(EStep {
        components,
        gate,
        log_likelihood,
    })
}

/// Runs EM from the current parameters until the bound changes by less than `tol` or
/// `max_iter` iterations have run.
///
/// The bound is the weighted mean log-likelihood plus the gate's and components'
/// [`bound_correction`](Components::bound_correction), divided by the data's total weight;
/// for components with a [`bound_after_update`](Components::bound_after_update) (the
/// variational Gaussian mixture), the data term plus that value plus the gate's, divided by
/// the total weight.
///
/// # Errors
/// The components' [`failure`](Components::failure) error naming the first component whose
/// check fails after an M-step, [`Error::Diverged`] when the bound is not finite.
pub fn run<B, C, G>(
    components: &mut C,
    gate: &mut G,
    regularizers: &mut [&mut dyn Regularizer<C>],
    data: &FitData<'_, B, C::Features>,
    settings: &EmSettings,
    init: usize,
    observer: &mut dyn FitObserver,
) -> Result<EmTrace>
where
    B: Backend,
    C: Components<B>,
    G: Gate<B>,
{
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let mut trace = EmTrace {
        lower_bounds: Vec::with_capacity(settings.max_iter),
        converged: false,
        n_iter: 0,
    };
    for iteration in 1..=settings.max_iter {
        let e = e_step(components, gate, data, settings.mode, &mut rng)?;
        let e_log_likelihood = e.log_likelihood.clone();
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
        // A variational family in scikit-learn's convention states its bound after the
        // M-step: the data term plus its own and the gate's parts (see
        // `Components::bound_after_update`), without the corrections.
        if let Some(after) = components.bound_after_update() {
            bound = match gate.bound_after_update() {
                Some(g) => e_log_likelihood + after + g,
                None => e_log_likelihood + after,
            };
        }
        // The single host read of the iteration: [bound, pivots (K), weights (K)?].
        let mut parts = vec![bound];
        parts.extend(check_parts(check));
        let mut read = to_vec_f64(Tensor::cat(parts, 0))?;
        if let Some(reducer) = data.source.reducer() {
            from_rank_zero(reducer, &mut read)?;
        }
        let value = read[0] / data.total_weight;
        judge(&*components, &read[1..])?;
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

/// The M-step from given responsibilities, as an initialisation: one pass over `data` in
/// which `responsibilities` gives each batch's `[N, K]` responsibilities (before the sample
/// weights, which are applied here), then the components' update, the regularizers and the
/// gate's update, in the order of every iteration of [`run`]. Returns the components' check
/// unread, for [`verify`] (a caller that replaces some parameters afterwards may check only
/// what it keeps).
///
/// # Errors
/// Those of `responsibilities`, of the source and of [`Components::prepare`].
pub fn start_from<B, C, G>(
    components: &mut C,
    gate: &mut G,
    regularizers: &mut [&mut dyn Regularizer<C>],
    data: &FitData<'_, B, C::Features>,
    responsibilities: &mut dyn FnMut(&Batch<B>) -> Result<Tensor<B, 2>>,
) -> Result<ComponentCheck<B>>
where
    B: Backend,
    C: Components<B>,
    G: Gate<B>,
{
    let mut sums = Sums::default();
    data.for_each_prepared(
        &*components,
        &mut |batch: Batch<B>, features: C::Features| {
            let resp = batch.weigh(responsibilities(&batch)?);
            sums.add(&*components, &*gate, &batch, &features, resp);
            Ok(())
        },
    )?;
    let (mut cs, mut gs) = sums.total(data)?;
    if let Some(reducer) = data.source.reducer() {
        cs = cs.all_reduce(reducer)?;
        gs = gs.all_reduce(reducer)?;
    }
    let check = components.update(cs);
    for r in regularizers.iter_mut() {
        r.regularize(components);
    }
    gate.update(gs);
    Ok(check)
}

/// Reads a [`ComponentCheck`] (one host read) and returns the components' own error for the
/// first failed component.
///
/// # Errors
/// [`Components::failure`] of the first failure; [`Error::Backend`] if the read fails.
pub fn verify<B: Backend, C: Components<B>>(
    components: &C,
    check: ComponentCheck<B>,
) -> Result<()> {
    judge(components, &to_vec_f64(Tensor::cat(check_parts(check), 0))?)
}

/// [`verify`] for a fit over `source`: when the source is one rank's shard, every rank
/// judges rank 0's reading, so that all ranks fail (or go on) together.
///
/// # Errors
/// As [`verify`], and the engine's failure.
pub fn verify_over<B: Backend, C: Components<B>>(
    source: &dyn DataSource<B>,
    components: &C,
    check: ComponentCheck<B>,
) -> Result<()> {
    let mut read = to_vec_f64(Tensor::cat(check_parts(check), 0))?;
    if let Some(reducer) = source.reducer() {
        from_rank_zero(reducer, &mut read)?;
    }
    judge(components, &read)
}

/// The tensors a [`ComponentCheck`] is read back as: the pivots, then the weights if any.
fn check_parts<B: Backend>(check: ComponentCheck<B>) -> Vec<Tensor<B, 1>> {
    let mut parts = vec![check.pivot];
    parts.extend(check.weight);
    parts
}

/// The components' own error for the first failure in a check read back on the host
/// (`[pivots (K), weights (K)?]`, as [`check_parts`] lays it out).
fn judge<B: Backend, C: Components<B>>(components: &C, read: &[f64]) -> Result<()> {
    let (pivots, weights) = read.split_at(components.n_components());
    match ComponentFailure::find(pivots, weights) {
        Some(failure) => Err(components.failure(failure)),
        None => Ok(()),
    }
}

/// One fitted run: the components, the gate and what EM did.
#[derive(Debug, Clone)]
pub struct EmFit<C, G> {
    /// The fitted components.
    pub components: C,
    /// The fitted gate.
    pub gate: G,
    /// The run's bounds, convergence and iterations.
    pub trace: EmTrace,
}

/// Restarts: runs `fit_one(init, observer)` for `init` in `0..n_init` (each an
/// initialisation and [`run`], usually seeded by `seed + init`) and keeps the fit with the
/// highest final bound (the first on ties), telling the observer where each starts and ends.
/// An error in any run is the result (as scikit-learn, which does not skip failed inits).
///
/// # Errors
/// The first error of a run; [`Error::InvalidConfig`] when `n_init` is zero.
pub fn best_of<C, G, F>(
    n_init: usize,
    observer: &mut dyn FitObserver,
    mut fit_one: F,
) -> Result<EmFit<C, G>>
where
    F: FnMut(usize, &mut dyn FitObserver) -> Result<EmFit<C, G>>,
{
    let mut best: Option<EmFit<C, G>> = None;
    for init in 0..n_init {
        observer.observe(&FitEvent::InitStart { init, n_init });
        let fit = fit_one(init, observer)?;
        observer.observe(&FitEvent::InitEnd {
            init,
            converged: fit.trace.converged,
            n_iter: fit.trace.n_iter,
            value: fit.trace.lower_bound(),
        });
        if best
            .as_ref()
            .is_none_or(|b| fit.trace.lower_bound() > b.trace.lower_bound())
        {
            best = Some(fit);
        }
    }
    best.ok_or(Error::InvalidConfig {
        field: "n_init",
        reason: "must be at least 1".into(),
    })
}
