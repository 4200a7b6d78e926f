//! Initial parameters: scikit-learn's `_initialize_parameters` and `_initialize`.
//!
//! Initial responsibilities come from the chosen [`InitMethod`]; one M-step turns them into
//! weights, means and covariances; user-given `weights_init`, `means_init` and
//! `precisions_init` then replace what they name. When all three are given no
//! responsibilities are drawn at all.

use burn::tensor::backend::Backend;
use mixture_core::{
    Batch, ComponentCheck, Components, Error, Gate, Result, TensorSource,
    batch::gather_rows,
    tensor::{eye_like, from_f64, from_f64_like, one_hot_like, to_vec_f64},
};
use mixture_experts::{Covariances, GaussianComponents, GaussianFeatures, StatisticsCentre};
use mixture_gates::Weights;
use rand::{RngExt, SeedableRng, rngs::StdRng, seq::index::sample};

use super::{GaussianMixtureConfig, InitMethod, centre::Centre};
use crate::driver::{FitData, start_from, verify_over};
use crate::kmeans::{KMeansConfig, kmeans_plusplus};

/// Starting components and weights for one initialisation.
pub(crate) fn initialize<B: Backend>(
    config: &GaussianMixtureConfig,
    data: &FitData<'_, B, GaussianFeatures<B>>,
    full: Option<&Batch<B>>,
    center: &Centre<B>,
    seed: u64,
) -> Result<(GaussianComponents<B>, Weights<B>)> {
    let k = config.n_components;
    let source = data.source();
    let d = source.n_features();
    let like = center.at.clone();
    let mut comps = center.place(
        GaussianComponents::standard(config.covariance_type, k, d, config.reg_covar, &like)
            .with_statistics_centre(config.statistics_centre),
    );
    // Means at the data mean until the first M-step: the first pass of a component-means
    // fit is then about the data mean, not the origin.
    comps.set_means(center.at.clone().repeat_dim(0, k));
    let uniform = from_f64_like::<B, 1, 2>(vec![1.0 / k as f64; k], [k], &like);
    let mut gate = Weights::learned(uniform);

    let all_given = config.weights_init.is_some()
        && config.means_init.is_some()
        && config.precisions_init.is_some();
    let check = if all_given {
        None
    } else {
        let start = Start {
            init: config.init,
            k,
            seed,
            refine: config.statistics_centre == StatisticsCentre::ComponentMeans,
        };
        Some(start.run(&mut comps, &mut gate, data, full)?)
    };
    let device = like.device();
    let dtype = like.dtype();
    if let Some(w) = &config.weights_init {
        gate.set_weights(from_f64(w.clone(), [k], &device, dtype));
    }
    if let Some(m) = &config.means_init {
        comps.set_means(from_f64(m.clone(), [k, d], &device, dtype));
    }
    if let Some(p) = &config.precisions_init {
        let prec = Covariances::from_f64(config.covariance_type, p.clone(), k, d, &device, dtype);
        let piv = comps.set_precisions(prec);
        let piv = to_vec_f64(piv)?;
        if let Some(component) = piv.iter().position(|v| !(*v > 0.0)) {
            return Err(Error::InvalidInit {
                field: "precisions_init",
                reason: format!(
                    "the precision matrix of component {component} is not positive definite"
                ),
            });
        }
    } else if let Some(check) = check {
        // The covariances of the initial M-step are kept: check them (an initial component
        // without responsibility is not an error, as in scikit-learn: EM may revive it).
        verify_over(
            data.source(),
            &comps,
            mixture_core::ComponentCheck {
                weight: None,
                ..check
            },
        )?;
    }
    Ok((comps, gate))
}

/// The initial M-step of one initialisation, for any components family and gate on the
/// Gaussian features (the EM Gaussians and the variational Normal-Wishart posteriors share
/// it): responsibilities from `init`, then [`start_from`].
pub(crate) struct Start {
    pub init: InitMethod,
    pub k: usize,
    pub seed: u64,
    /// Run the initial M-step twice from the same responsibilities: the second pass takes
    /// its statistics about the means the first one found, which is what
    /// [`StatisticsCentre::ComponentMeans`] needs (the first pass has no component means to
    /// take them about yet).
    pub refine: bool,
}

impl Start {
    /// Draws the initial responsibilities and runs the M-step on `components` and `gate`.
    /// `full` is the whole data in memory (k-means++ needs it), `None` for a stream.
    pub(crate) fn run<B, C, G>(
        &self,
        components: &mut C,
        gate: &mut G,
        data: &FitData<'_, B, C::Features>,
        full: Option<&Batch<B>>,
    ) -> Result<ComponentCheck<B>>
    where
        B: Backend,
        C: Components<B>,
        G: Gate<B>,
    {
        let k = self.k;
        let source = data.source();
        let passes = if self.refine { 2 } else { 1 };
        let mut rng = StdRng::seed_from_u64(self.seed);
        match self.init {
            InitMethod::KMeans => {
                // Over the fit's own blocks, in memory as over a stream: no second copy of
                // the data, no labels kept, and beyond `STREAM_SEED_ROWS` rows k-means++
                // seeds from a seeded sample of them, so that an in-memory fit and a
                // streamed one start from the same centres at any size.
                let km = KMeansConfig::new(k)
                    .with_n_init(1)
                    .with_seed(self.seed)
                    .fit_source_centres(&source)?;
                repeated(passes, || {
                    start_from(components, gate, &mut [], data, &mut |batch: &Batch<B>| {
                        Ok(one_hot_like(km.predict(&batch.x)?, k, &batch.x))
                    })
                })
            }
            InitMethod::Random => {
                // A shard's rows follow the other ranks' rows: their draws come first.
                let sharded = source.reducer().is_some();
                repeated(passes, || {
                    // Every pass draws the same responsibilities.
                    let mut rng = StdRng::seed_from_u64(self.seed);
                    let mut next_row = 0;
                    start_from(components, gate, &mut [], data, &mut |batch: &Batch<B>| {
                        let n = batch.n_samples();
                        if sharded {
                            for _ in next_row..batch.rows.start * k {
                                rng.random::<f64>();
                            }
                            next_row = batch.rows.end * k;
                        }
                        let mut v = Vec::with_capacity(n * k);
                        for _ in 0..n {
                            let row: Vec<f64> = (0..k).map(|_| rng.random::<f64>()).collect();
                            let s: f64 = row.iter().sum();
                            v.extend(row.into_iter().map(|r| r / s));
                        }
                        Ok(from_f64_like::<B, 2, 2>(v, [n, k], &batch.x))
                    })
                })
            }
            InitMethod::KMeansPlusPlus | InitMethod::RandomFromData => {
                let indices: Vec<usize> = if self.init == InitMethod::KMeansPlusPlus {
                    let b = full.ok_or_else(|| Error::InvalidConfig {
                        field: "init",
                        reason: "k-means++ initialisation needs the data in memory; use kmeans or random for streamed data".into(),
                    })?;
                    kmeans_plusplus(&b.x, b.weight.as_ref(), k, &mut rng)?.1
                } else {
                    sample(&mut rng, source.n_samples(), k).into_vec()
                };
                // Only the chosen rows carry responsibility (one each): their statistics are
                // the statistics of the whole data under the one-hot responsibilities.
                let rows = gather_rows(source, &indices)?;
                let total = rows.n_samples() as f64;
                let rows = TensorSource::new(rows, None);
                let chosen = FitData::new(&rows, total);
                repeated(passes, || {
                    start_from(
                        components,
                        gate,
                        &mut [],
                        &chosen,
                        &mut |batch: &Batch<B>| Ok(eye_like(k, &batch.x)),
                    )
                })
            }
        }
    }
}

/// Runs `pass` `passes` times (at least once) and returns the last pass's value.
fn repeated<T>(passes: usize, mut pass: impl FnMut() -> Result<T>) -> Result<T> {
    let mut last = pass()?;
    for _ in 1..passes {
        last = pass()?;
    }
    Ok(last)
}
