//! Empty-cluster relocation, as scikit-learn's `_relocate_empty_clusters_dense`.
//!
//! After an assignment leaves clusters with zero total weight, each empty cluster's centre is
//! moved onto one of the rows farthest from their own assigned (old) centre, in decreasing
//! order of that distance (ties to the lowest row index; only rows of positive weight are
//! candidates). The row's weight and its contribution to the sums leave its old cluster,
//! whose centre is then the mean of its remaining rows (or its old centre if none remain).
//! This rare path reads the distances, labels, sums and centres back to the host.

use burn::tensor::{Int, Tensor, backend::Backend};
use mixture_core::{
    Batch, DataSource, Result,
    tensor::{from_f64_like, to_vec_f64, to_vec_i64},
};

use super::{
    data::DataInfo,
    distance::{gather_rows, nearest},
};

/// The centres after relocating the `empty` clusters, and the squared Frobenius shift from
/// `centres`. `sums` (`[K, D]`) and `weights` (`[K]`) are the per-cluster weighted sums and
/// weights of the assignment `labels` (one tensor per non-empty batch) to `centres`.
pub(crate) fn relocate_empty<B: Backend, S: DataSource<B> + ?Sized>(
    source: &S,
    info: &DataInfo,
    centres: &Tensor<B, 2>,
    c_sq: &Tensor<B, 2>,
    sums: &Tensor<B, 2>,
    weights: &[f64],
    empty: &[usize],
    labels: &[Tensor<B, 1, Int>],
) -> Result<(Tensor<B, 2>, f64)> {
    let [k, d] = centres.dims();
    // Squared distance of every row to its assigned centre.
    let mut dists: Vec<Tensor<B, 1>> = Vec::with_capacity(labels.len());
    let mut first_row = None;
    source.for_each_batch(&mut |batch: Batch<B>| {
        if batch.n_samples() == 0 {
            return Ok(());
        }
        first_row.get_or_insert(batch.rows.start);
        dists.push(nearest(&batch.x, centres, c_sq).1);
        Ok(())
    })?;
    let dist = to_vec_f64(Tensor::cat(dists, 0))?;
    let label = to_vec_i64(Tensor::cat(labels.to_vec(), 0))?;
    let mut far: Vec<usize> = (0..dist.len()).filter(|&i| info.weight(i) > 0.0).collect();
    far.sort_by(|&a, &b| dist[b].total_cmp(&dist[a]).then(a.cmp(&b)));
    far.truncate(empty.len());
    // (global row, its label) of the rows that will move.
    let far: Vec<(usize, usize)> = match source.reducer() {
        None => far.into_iter().map(|i| (i, label[i] as usize)).collect(),
        Some(reducer) => {
            let offset = first_row.unwrap_or(0);
            let local: Vec<(f64, usize, usize)> = far
                .into_iter()
                .map(|i| (dist[i], offset + i, label[i] as usize))
                .collect();
            farthest_over_shards(reducer, &local, empty.len())?
        }
    };

    let old = to_vec_f64(centres.clone())?;
    let mut sum = to_vec_f64(sums.clone())?;
    let mut weight = weights.to_vec();
    let rows = if far.is_empty() {
        Vec::new()
    } else {
        let rows: Vec<usize> = far.iter().map(|&(i, _)| i).collect();
        to_vec_f64(gather_rows(source, &rows)?)?
    };
    let mut moved_to: Vec<Option<usize>> = vec![None; k];
    for (r, (&j, &(i, l))) in empty.iter().zip(&far).enumerate() {
        let w = info.weight(i);
        for f in 0..d {
            sum[l * d + f] -= w * rows[r * d + f];
        }
        weight[l] -= w;
        weight[j] = w;
        moved_to[j] = Some(r);
    }
    let mut new = vec![0.0; k * d];
    for j in 0..k {
        for f in 0..d {
            new[j * d + f] = match moved_to[j] {
                Some(r) => rows[r * d + f],
                None if weight[j] > 0.0 => sum[j * d + f] / weight[j],
                None => old[j * d + f],
            };
        }
    }
    let shift = new.iter().zip(&old).map(|(a, b)| (a - b) * (a - b)).sum();
    Ok((from_f64_like(new, [k, d], centres), shift))
}

/// The `m` rows farthest from their centres over every shard, in the order a single process
/// would pick them (distance down, then row up): each rank's own `m` candidates
/// (`(distance, global row, label)`) are laid out in its slot of a buffer summed over the
/// group.
fn farthest_over_shards(
    reducer: &dyn mixture_core::reduce::Reducer,
    local: &[(f64, usize, usize)],
    m: usize,
) -> Result<Vec<(usize, usize)>> {
    const FIELDS: usize = 4; // present, distance, row, label
    let w = reducer.world_size();
    let mut buf = vec![0.0; w * m * FIELDS];
    let slot = reducer.rank() * m * FIELDS;
    for (j, &(dist, row, label)) in local.iter().take(m).enumerate() {
        let at = slot + j * FIELDS;
        buf[at..at + FIELDS].copy_from_slice(&[1.0, dist, row as f64, label as f64]);
    }
    reducer.all_reduce_sum(&mut buf)?;
    let mut all: Vec<(f64, usize, usize)> = buf
        .chunks_exact(FIELDS)
        .filter(|c| c[0] > 0.5)
        .map(|c| (c[1], c[2] as usize, c[3] as usize))
        .collect();
    all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    all.truncate(m);
    Ok(all
        .into_iter()
        .map(|(_, row, label)| (row, label))
        .collect())
}
