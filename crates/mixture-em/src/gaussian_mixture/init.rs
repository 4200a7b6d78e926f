//! Initial parameters: scikit-learn's `_initialize_parameters` and `_initialize`.
//!
//! Initial responsibilities come from the chosen [`InitMethod`]; one M-step turns them into
//! weights, means and covariances; user-given `weights_init`, `means_init` and
//! `precisions_init` then replace what they name. When all three are given no
//! responsibilities are drawn at all.

use burn::tensor::{backend::Backend, Int, Tensor, TensorData};
use mixture_core::{
    stats::accumulate,
    tensor::{eye_like, from_f64, from_f64_like, one_hot_like, to_vec_f64},
    Batch, Components, DataSource, Error, Gate, Result,
};
use mixture_experts::{Covariances, GaussianComponents, GaussianStats};
use mixture_gates::{weights::Counts, Weights};
use rand::{rngs::StdRng, seq::index::sample, RngExt, SeedableRng};

use super::{GaussianMixtureConfig, InitMethod};
use crate::kmeans::{kmeans_plusplus, KMeansConfig};

/// Starting components and weights for one initialisation.
pub(crate) fn initialize<B: Backend>(
    config: &GaussianMixtureConfig,
    source: &dyn DataSource<B>,
    full: Option<&Batch<B>>,
    center: &Tensor<B, 2>,
    seed: u64,
) -> Result<(GaussianComponents<B>, Weights<B>)> {
    let k = config.n_components;
    let d = source.n_features();
    let like = center.clone();
    let mut comps =
        GaussianComponents::standard(config.covariance_type, k, d, config.reg_covar, &like)
            .with_center(center.clone());
    let uniform = from_f64_like::<B, 1, 2>(vec![1.0 / k as f64; k], [k], &like);
    let mut gate = Weights::learned(uniform);

    let all_given = config.weights_init.is_some()
        && config.means_init.is_some()
        && config.precisions_init.is_some();
    let mut pivot: Option<Tensor<B, 1>> = None;
    if !all_given {
        let mut rng = StdRng::seed_from_u64(seed);
        let (cs, gs) = match config.init {
            InitMethod::KMeans => {
                let km = KMeansConfig::new(k)
                    .with_n_init(1)
                    .with_seed(seed)
                    .with_batch_size(config.batch_size);
                let km = match full {
                    Some(b) => match &b.weight {
                        Some(w) => km.fit_weighted(&b.x, w)?,
                        None => km.fit(&b.x)?,
                    },
                    None => km.fit_source(&source)?,
                };
                pass(source, &comps, &gate, &mut |batch: &Batch<B>| {
                    Ok(one_hot_like(km.predict(&batch.x)?, k, &batch.x))
                })?
            }
            InitMethod::Random => pass(source, &comps, &gate, &mut |batch: &Batch<B>| {
                let n = batch.n_samples();
                let mut v = Vec::with_capacity(n * k);
                for _ in 0..n {
                    let row: Vec<f64> = (0..k).map(|_| rng.random::<f64>()).collect();
                    let s: f64 = row.iter().sum();
                    v.extend(row.into_iter().map(|r| r / s));
                }
                Ok(from_f64_like::<B, 2, 2>(v, [n, k], &batch.x))
            })?,
            InitMethod::KMeansPlusPlus | InitMethod::RandomFromData => {
                let indices: Vec<usize> = if config.init == InitMethod::KMeansPlusPlus {
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
                let rows = gather_rows(source, full, &indices)?;
                let resp = eye_like(k, &rows.x);
                let resp = rows.weigh(resp);
                (
                    comps.statistics(&rows, resp.clone()),
                    gate.statistics(&rows, resp),
                )
            }
        };
        pivot = Some(comps.update(cs).pivot);
        gate.update(gs);
    }
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
    } else if let Some(piv) = pivot {
        let piv = to_vec_f64(piv)?;
        if let Some(component) = piv.iter().position(|v| !(*v > 0.0)) {
            return Err(Error::NotPositiveDefinite {
                component,
                pivot: piv[component],
                reg_covar: config.reg_covar,
            });
        }
    }
    Ok((comps, gate))
}

/// One pass over the data with responsibilities from `resp`, summing statistics.
fn pass<B: Backend>(
    source: &dyn DataSource<B>,
    comps: &GaussianComponents<B>,
    gate: &Weights<B>,
    resp: &mut dyn FnMut(&Batch<B>) -> Result<Tensor<B, 2>>,
) -> Result<(GaussianStats<B>, Counts<B>)> {
    let mut cs = None;
    let mut gs = None;
    source.for_each_batch(&mut |batch: Batch<B>| {
        let r = batch.weigh(resp(&batch)?);
        gs = accumulate(gs.take(), gate.statistics(&batch, r.clone()));
        cs = accumulate(cs.take(), comps.statistics(&batch, r));
        Ok(())
    })?;
    match (cs, gs) {
        (Some(c), Some(g)) => Ok((c, g)),
        _ => Err(Error::EmptyData {
            n_samples: 0,
            n_features: source.n_features(),
        }),
    }
}

/// The rows at `indices` (in that order) as one batch, with their weights.
fn gather_rows<B: Backend>(
    source: &dyn DataSource<B>,
    full: Option<&Batch<B>>,
    indices: &[usize],
) -> Result<Batch<B>> {
    let to_index = |idx: Vec<i64>, device: &B::Device| {
        let n = idx.len();
        Tensor::<B, 1, Int>::from_data(TensorData::new(idx, [n]), device)
    };
    if let Some(b) = full {
        let idx = to_index(indices.iter().map(|&i| i as i64).collect(), &b.x.device());
        let x = b.x.clone().select(0, idx.clone());
        let mut out = Batch::new(x);
        if let Some(w) = &b.weight {
            out = out.with_weight(w.clone().select(0, idx));
        }
        return Ok(out);
    }
    // Streamed: pick the rows batch by batch, then restore the requested order.
    let mut picked: Vec<(usize, Batch<B>)> = Vec::with_capacity(indices.len());
    source.for_each_batch(&mut |batch: Batch<B>| {
        for (pos, &i) in indices.iter().enumerate() {
            if batch.rows.contains(&i) {
                let r = i - batch.rows.start;
                picked.push((pos, batch.slice(r..r + 1)));
            }
        }
        Ok(())
    })?;
    picked.sort_by_key(|(pos, _)| *pos);
    let has_weight = picked.first().is_some_and(|(_, b)| b.weight.is_some());
    let xs: Vec<_> = picked.iter().map(|(_, b)| b.x.clone()).collect();
    let mut out = Batch::new(Tensor::cat(xs, 0));
    if has_weight {
        let ws: Vec<_> = picked
            .iter()
            .filter_map(|(_, b)| b.weight.clone())
            .collect();
        out = out.with_weight(Tensor::cat(ws, 0));
    }
    Ok(out)
}
