//! Greedy k-means++ seeding (scikit-learn's `kmeans_plusplus`), over any data source.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{
    Batch, DataSource, Error, Result, TensorSource,
    host::weighted_batch,
    tensor::{epsilon, to_vec_f64},
};
use rand::{Rng, RngExt};

use super::{
    data::{DataInfo, scan},
    distance::{gather_rows, search_cumulative, sq_distances, sq_norms_row},
};

/// Greedy k-means++ seeding of `k` centres among the rows of `x` (`[N, D]`), as
/// scikit-learn's `sklearn.cluster.kmeans_plusplus`.
///
/// The first centre is a row drawn with probability ∝ its sample weight (uniformly without
/// weights). Each further centre is the best of `2 + ⌊ln k⌋` candidate rows drawn with
/// probability ∝ `w(x)·D(x)²` (`D(x)`: distance to the nearest centre so far): the one that
/// minimises the potential `Σ_x w(x)·min(D(x)², d(x, candidate)²)` (the first on ties, where
/// potentials that differ by no more than their sums' round-off count as tied; see
/// `best_candidate`).
/// When every remaining potential is zero (fewer distinct rows than `k`), candidates are
/// drawn ∝ weight instead, and centres may repeat.
///
/// Returns the centres (`[k, D]`, the dtype of `x`) and their row indices in `x`, so that
/// row `indices[i]` of `x` is centre `i`. Draws `1 + (k − 1)·(2 + ⌊ln k⌋)` uniform numbers
/// from `rng`. Per centre: two host reads (the `N` potentials, the candidates'
/// potentials) and two passes over the data (gathering the candidate rows, scoring them).
///
/// # Errors
/// [`Error::InvalidConfig`] when `k` is 0, [`Error::EmptyData`], [`Error::NonFinite`],
/// [`Error::TooFewSamples`] when `k > N`, [`Error::DimensionMismatch`] /
/// [`Error::InvalidWeights`] for bad weights.
///
/// # Example
///
/// ```
/// use burn::tensor::Tensor;
/// use burn_flex::Flex;
/// use mixture_em::kmeans::kmeans_plusplus;
/// use rand::{rngs::StdRng, SeedableRng};
///
/// let x = Tensor::<Flex, 2>::from_floats([[0.0], [0.1], [10.0], [10.1]], &Default::default());
/// let (centres, indices) = kmeans_plusplus(&x, None, 2, &mut StdRng::seed_from_u64(0)).unwrap();
/// assert_eq!(centres.dims(), [2, 1]);
/// // One centre in each group.
/// assert_ne!(indices[0] / 2, indices[1] / 2);
/// ```
pub fn kmeans_plusplus<B: Backend, R: Rng + ?Sized>(
    x: &Tensor<B, 2>,
    sample_weight: Option<&Tensor<B, 1>>,
    k: usize,
    rng: &mut R,
) -> Result<(Tensor<B, 2>, Vec<usize>)> {
    if k == 0 {
        return Err(Error::InvalidConfig {
            field: "n_clusters",
            reason: "must be >= 1, got 0".into(),
        });
    }
    let n = x.dims()[0];
    let batch = weighted_batch(x, sample_weight)?;
    let source = TensorSource::new(batch, None);
    let (info, _) = scan(&source, false)?;
    if k > n {
        return Err(Error::TooFewSamples {
            n_samples: n,
            n_components: k,
        });
    }
    plusplus_source(&source, &info, k, rng)
}

/// [`kmeans_plusplus`] over a validated data source (`info` from [`scan`], `k ≤ N`).
pub(crate) fn plusplus_source<B, S, R>(
    source: &S,
    info: &DataInfo,
    k: usize,
    rng: &mut R,
) -> Result<(Tensor<B, 2>, Vec<usize>)>
where
    B: Backend,
    S: DataSource<B> + ?Sized,
    R: Rng + ?Sized,
{
    let n_local_trials = 2 + (k as f64).ln().floor() as usize;
    // Cumulative weights, for draws ∝ weight.
    let weight_cum: Vec<f64> = (0..info.n_samples)
        .scan(0.0, |acc, i| {
            *acc += info.weight(i);
            Some(*acc)
        })
        .collect();
    let draw_by_weight = |rng: &mut R| {
        let r = rng.random::<f64>() * info.total_weight;
        search_cumulative(&weight_cum, r)
    };

    let first = draw_by_weight(rng);
    let mut indices = vec![first];
    let mut centres = gather_rows(source, &[first])?;
    // Per non-empty batch: the squared distance to the nearest centre so far, `[n_b, 1]`,
    // and the same times the sample weights (the potential of every row).
    let mut closest: Vec<Tensor<B, 2>> = Vec::new();
    let mut potential: Vec<Tensor<B, 2>> = Vec::new();
    {
        let c_sq = sq_norms_row(&centres);
        source.for_each_batch(&mut |batch: Batch<B>| {
            if batch.n_samples() == 0 {
                return Ok(());
            }
            let d2 = sq_distances(&batch.x, &centres, &c_sq);
            potential.push(batch.weigh(d2.clone()));
            closest.push(d2);
            Ok(())
        })?;
    }

    for _ in 1..k {
        // Host read 1: the per-row potentials w·D².
        let pots: Vec<Tensor<B, 1>> = potential
            .iter()
            .map(|p| {
                let nb = p.dims()[0];
                p.clone().reshape([nb])
            })
            .collect();
        let pot = to_vec_f64(Tensor::cat(pots, 0))?;
        let mut cum = Vec::with_capacity(pot.len());
        let mut acc = 0.0;
        for p in &pot {
            acc += p;
            cum.push(acc);
        }
        let current = acc;
        let candidates: Vec<usize> = (0..n_local_trials)
            .map(|_| {
                if current > 0.0 && current.is_finite() {
                    let r = rng.random::<f64>() * current;
                    search_cumulative(&cum, r)
                } else {
                    draw_by_weight(rng)
                }
            })
            .collect();
        let cand = gather_rows(source, &candidates)?;
        let cand_sq = sq_norms_row(&cand);
        // Host read 2: the potential of every candidate.
        let mut updated: Vec<(Tensor<B, 2>, Tensor<B, 2>)> = Vec::with_capacity(closest.len());
        let mut total: Option<Tensor<B, 2>> = None;
        let mut b = 0usize;
        source.for_each_batch(&mut |batch: Batch<B>| {
            let nb = batch.n_samples();
            if nb == 0 {
                return Ok(());
            }
            let d2 = sq_distances(&batch.x, &cand, &cand_sq);
            let m = d2.min_pair(closest[b].clone().expand([nb, n_local_trials]));
            let wm = batch.weigh(m.clone());
            let part = wm.clone().sum_dim(0);
            total = Some(match total.take() {
                Some(t) => t + part,
                None => part,
            });
            updated.push((m, wm));
            b += 1;
            Ok(())
        })?;
        let Some(total) = total else {
            return Err(Error::EmptyData {
                n_samples: 0,
                n_features: info.n_features,
            });
        };
        let cand_pot = to_vec_f64(total)?;
        let best = best_candidate(&cand_pot, info.n_samples, epsilon(cand.dtype()));
        (closest, potential) = updated
            .into_iter()
            .map(|(m, wm)| {
                let nb = m.dims()[0];
                (
                    m.slice([0..nb, best..best + 1]),
                    wm.slice([0..nb, best..best + 1]),
                )
            })
            .unzip();
        let d = info.n_features;
        centres = Tensor::cat(vec![centres, cand.slice([best..best + 1, 0..d])], 0);
        indices.push(candidates[best]);
    }
    Ok((centres, indices))
}

/// The index of the candidate with the smallest potential; the first drawn among those within
/// `2·N·ε` (relative) of the smallest, and the first finite one when some are NaN.
///
/// Exact ties are not rare: two candidate rows that only capture each other (a pair far from
/// every centre so far) leave the same potential. Summed in another order (by batches, say)
/// the two values may then differ in the last bits, and a strict `<` would let the batch size
/// choose the centre. `2·N·ε` bounds the round-off of a sum of `N` non-negative terms.
fn best_candidate(potentials: &[f64], n_samples: usize, eps: f64) -> usize {
    let min = potentials
        .iter()
        .copied()
        .filter(|p| !p.is_nan())
        .fold(f64::INFINITY, f64::min);
    let tol = 2.0 * n_samples as f64 * eps * min.abs();
    potentials.iter().position(|&p| p <= min + tol).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::best_candidate;

    #[test]
    fn ties_within_round_off_go_to_the_first_candidate() {
        let tie: f64 = 35.3035138290157;
        let next = f64::from_bits(tie.to_bits() + 1);
        // one ulp apart, either way round: the first candidate wins
        assert_eq!(best_candidate(&[next, tie, tie], 7, f64::EPSILON), 0);
        assert_eq!(best_candidate(&[tie, next, tie], 7, f64::EPSILON), 0);
        // a real difference still decides
        assert_eq!(
            best_candidate(&[tie * (1.0 + 1e-9), tie], 7, f64::EPSILON),
            1
        );
        // NaN candidates are skipped; all NaN falls back to the first
        assert_eq!(best_candidate(&[f64::NAN, 2.0, 1.0], 7, f64::EPSILON), 2);
        assert_eq!(best_candidate(&[f64::NAN, f64::NAN], 7, f64::EPSILON), 0);
    }
}
