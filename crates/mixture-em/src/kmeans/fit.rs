//! A whole fit: validation, tolerance, `n_init` seedings and Lloyd runs, the best one kept.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{DataSource, Error, Result, TensorSource, tensor::to_vec_i64};
use rand::{SeedableRng, rngs::StdRng};

use super::{
    KMeans, KMeansConfig, KMeansInit,
    data::{scan, tolerance},
    init::random_centres,
    lloyd::{LloydRun, lloyd},
    plusplus::plusplus_source,
};

/// Fits k-means to `source` with a validated `config`; `init` replaces the seeding (one run).
pub(crate) fn fit_source<B: Backend, S: DataSource<B> + ?Sized>(
    config: &KMeansConfig,
    source: &S,
    init: Option<Tensor<B, 2>>,
    keep_labels: bool,
) -> Result<KMeans<B>> {
    let k = config.n_clusters;
    let (info, means) = scan(source, config.tol > 0.0)?;
    if k > info.n_samples {
        return Err(Error::TooFewSamples {
            n_samples: info.n_samples,
            n_components: k,
        });
    }
    let tol_abs = match means {
        Some(m) => tolerance(source, &info, &m, config.tol)?,
        None => 0.0,
    };
    let mut rng = StdRng::seed_from_u64(config.seed);
    let n_init = if init.is_some() { 1 } else { config.n_init };
    let mut best: Option<LloydRun<B>> = None;
    for _ in 0..n_init {
        let centres = match (&init, config.init) {
            (Some(c), _) => c.clone(),
            // Over shards: the rows k-means++ looks at, gathered on every rank, so that
            // each rank draws the centres one process would.
            (None, KMeansInit::KMeansPlusPlus) if source.reducer().is_some() => {
                plusplus_over_shards(source, &info, k, &mut rng)?
            }
            (None, KMeansInit::KMeansPlusPlus) => plusplus_source(source, &info, k, &mut rng)?.0,
            (None, KMeansInit::Random) => random_centres(source, &info, k, &mut rng)?,
        };
        let run = lloyd(
            source,
            &info,
            centres,
            tol_abs,
            config.max_iter,
            keep_labels,
        )?;
        if best.as_ref().is_none_or(|b| run.inertia < b.inertia) {
            best = Some(run);
        }
    }
    let Some(best) = best else {
        return Err(Error::InvalidConfig {
            field: "n_init",
            reason: "must be >= 1, got 0".into(),
        });
    };
    if !keep_labels {
        return Ok(KMeans::from_saved(
            config.clone(),
            best.centres,
            best.inertia,
            best.n_iter,
            best.converged,
        ));
    }
    let labels = to_vec_i64(Tensor::cat(best.labels, 0))?;
    Ok(KMeans::fitted(
        config.clone(),
        best.centres,
        best.inertia,
        best.n_iter,
        best.converged,
        labels,
    ))
}

/// k-means++ over a source sharded across processes: every rank gathers the same rows and
/// seeds from them. Up to [`STREAM_SEED_ROWS`](super::STREAM_SEED_ROWS) rows (and 64 per
/// cluster) that is all of them, drawn as one process draws them; beyond, a seeded uniform
/// sample of that many rows, as a Gaussian mixture's streamed initialisation seeds.
fn plusplus_over_shards<B: Backend, S: DataSource<B> + ?Sized>(
    source: &S,
    info: &super::data::DataInfo,
    k: usize,
    rng: &mut StdRng,
) -> Result<Tensor<B, 2>> {
    let n = info.n_samples;
    let m = super::STREAM_SEED_ROWS.max(64 * k);
    if n <= m {
        let all: Vec<usize> = (0..n).collect();
        let rows = TensorSource::new(mixture_core::batch::gather_rows(source, &all)?, None);
        return Ok(plusplus_source(&rows, info, k, rng)?.0);
    }
    let mut rows = rand::seq::index::sample(rng, n, m).into_vec();
    rows.sort_unstable();
    let rows = mixture_core::batch::gather_rows(source, &rows)?;
    Ok(super::kmeans_plusplus(&rows.x, None, k, rng)?.0)
}
