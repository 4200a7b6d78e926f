//! Random initialisation: K distinct rows drawn without replacement, ∝ sample weight.

use burn::tensor::{Tensor, backend::Backend};
use mixture_core::{DataSource, Result};
use rand::{Rng, RngExt};

use super::{data::DataInfo, distance::gather_rows};

/// `k` distinct row indices drawn one after the other with probability ∝ the weights of the
/// rows not drawn yet (numpy's `choice(n, k, replace=False, p=w/Σw)`). Once every row of
/// positive weight is drawn, the rest are drawn uniformly among the remaining rows.
/// Needs `k ≤ N`.
pub(crate) fn random_indices<R: Rng + ?Sized>(
    info: &DataInfo,
    k: usize,
    rng: &mut R,
) -> Vec<usize> {
    let n = info.n_samples;
    let mut w: Vec<f64> = (0..n).map(|i| info.weight(i)).collect();
    let mut taken = vec![false; n];
    let mut out = Vec::with_capacity(k);
    for _ in 0..k {
        let total: f64 = w.iter().sum();
        let i = if total > 0.0 {
            let r = rng.random::<f64>() * total;
            let mut acc = 0.0;
            let mut pick = None;
            let mut last_positive = 0;
            for (i, &wi) in w.iter().enumerate() {
                if wi > 0.0 {
                    last_positive = i;
                    acc += wi;
                    if acc > r {
                        pick = Some(i);
                        break;
                    }
                }
            }
            pick.unwrap_or(last_positive)
        } else {
            let free: Vec<usize> = (0..n).filter(|&i| !taken[i]).collect();
            free[rng.random_range(0..free.len())]
        };
        taken[i] = true;
        w[i] = 0.0;
        out.push(i);
    }
    out
}

/// The initial centres of a random initialisation (`[k, D]`).
pub(crate) fn random_centres<B, S, R>(
    source: &S,
    info: &DataInfo,
    k: usize,
    rng: &mut R,
) -> Result<Tensor<B, 2>>
where
    B: Backend,
    S: DataSource<B> + ?Sized,
    R: Rng + ?Sized,
{
    gather_rows(source, &random_indices(info, k, rng))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    fn info(weights: Option<Vec<f64>>, n: usize) -> DataInfo {
        let total_weight = weights.as_ref().map_or(n as f64, |w| w.iter().sum());
        DataInfo {
            n_samples: n,
            n_features: 1,
            weights,
            total_weight,
        }
    }

    #[test]
    fn draws_distinct_rows_and_skips_zero_weights_first() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..50 {
            let mut idx = random_indices(&info(None, 5), 5, &mut rng);
            idx.sort_unstable();
            assert_eq!(idx, vec![0, 1, 2, 3, 4]);
            let idx = random_indices(&info(Some(vec![0.0, 1.0, 0.0, 2.0]), 4), 3, &mut rng);
            let mut first_two = idx[..2].to_vec();
            first_two.sort_unstable();
            assert_eq!(first_two, vec![1, 3]);
            assert!(idx[2] == 0 || idx[2] == 2);
        }
    }
}
