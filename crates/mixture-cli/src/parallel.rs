//! Fits across processes: `mpirun -np W mixture fit --input 'part-{rank}.npy' ...`.
//!
//! Built with the `mpi` feature, `mixture` joins the MPI job it is started in. A fit or
//! k-means then runs data-parallel when the job has more than one rank, or when `--input`
//! holds `{rank}` or `--shard-rows` is given: each rank streams its own shard (`{rank}` in
//! `--input` replaced by its rank, or its contiguous block of rows of one shared file with
//! `--shard-rows`; rank order is row order), the statistics of every pass are summed over
//! the ranks (`mixture::core::reduce`), and every rank computes the same model. Rank 0 alone
//! prints the report and writes `--save`; a failure on any rank fails every rank with one
//! line naming it.

use std::cell::Cell;
use std::path::{Path, PathBuf};

use mixture::core::reduce::{agree, Reducer};

use crate::error::CliError;

thread_local! {
    /// The MPI group this process belongs to, set once by `main` (mpi builds only).
    static GROUP: Cell<Option<&'static dyn Reducer>> = const { Cell::new(None) };
}

/// The process group, when this process is one rank of an MPI job.
pub(crate) fn group() -> Option<&'static dyn Reducer> {
    GROUP.with(Cell::get)
}

/// Whether this process prints reports and writes files: rank 0, or a process on its own.
pub(crate) fn is_root() -> bool {
    group().is_none_or(|g| g.rank() == 0)
}

/// The group a fit runs across: `Some` when this process is in a job of several ranks, or
/// when the input names a shard per rank (`{rank}`) or `--shard-rows` is given.
///
/// # Errors
/// `{rank}` or `--shard-rows` in a build without the `mpi` feature.
pub(crate) fn fit_group(
    input: Option<&Path>,
    shard_rows: bool,
) -> Result<Option<&'static dyn Reducer>, CliError> {
    let placeholder = input.is_some_and(|p| p.to_string_lossy().contains("{rank}"));
    if placeholder && shard_rows {
        return Err(CliError::Usage(
            "give either `{rank}` in --input (a file per rank) or --shard-rows (one file), not both"
                .into(),
        ));
    }
    match group() {
        Some(g) if g.world_size() > 1 || placeholder || shard_rows => Ok(Some(g)),
        Some(_) => Ok(None),
        None if placeholder || shard_rows => Err(CliError::Usage(format!(
            "{} needs a build with MPI: cargo install --path crates/mixture-cli --features mpi, then mpirun -np W mixture ...",
            if placeholder { "`{rank}` in --input" } else { "--shard-rows" }
        ))),
        None => Ok(None),
    }
}

/// `path` with `{rank}` replaced by `rank`.
pub(crate) fn shard_path(path: &Path, rank: usize) -> PathBuf {
    PathBuf::from(path.to_string_lossy().replace("{rank}", &rank.to_string()))
}

/// The rows of `n` that rank `rank` of `world` reads with `--shard-rows`: contiguous blocks
/// in rank order, the first `n mod world` ranks one row more.
pub(crate) fn block(n: usize, rank: usize, world: usize) -> std::ops::Range<usize> {
    let (q, r) = (n / world, n % world);
    let start = rank * q + rank.min(r);
    start..start + q + usize::from(rank < r)
}

/// Runs a rank-local step and agrees on its outcome with every rank: either all go on, or all
/// fail with the lowest failing rank's error.
pub(crate) fn agreed<T>(
    group: &dyn Reducer,
    step: impl FnOnce() -> Result<T, CliError>,
) -> Result<T, CliError> {
    let local = step().map_err(to_core);
    Ok(agree(group, local)?)
}

/// A command-line error as a library error, to travel to the other ranks.
pub(crate) fn to_core(e: CliError) -> mixture::core::Error {
    match e {
        CliError::Model(m) => m,
        other => mixture::core::Error::InvalidConfig {
            field: "input",
            reason: other.one_line(),
        },
    }
}

/// The dtype every rank fits in: each rank's own choice (from its shard's file), f64 where
/// any rank chose f64.
pub(crate) fn common_dtype(
    group: &dyn Reducer,
    mine: crate::backend::Dtype,
) -> Result<crate::backend::Dtype, CliError> {
    use crate::backend::Dtype;
    let all = group.all_gather_bytes(&[u8::from(mine == Dtype::F64)])?;
    Ok(if all.iter().any(|b| b.first() == Some(&1)) {
        Dtype::F64
    } else {
        mine
    })
}

/// MPI (rsmpi over the system's MPI library) behind [`Reducer`].
#[cfg(feature = "mpi")]
pub(crate) mod mpi_group {
    use mpi::topology::{Communicator, Rank, SimpleCommunicator};
    use mpi::traits::{Root, *};

    use super::Reducer;

    /// The world communicator of the job.
    pub(crate) struct MpiGroup {
        world: SimpleCommunicator,
    }

    /// Joins the MPI job (a process started without `mpirun` is a job of one) and makes it
    /// this process's group. Keep the returned universe alive until the end of `main`:
    /// dropping it finalises MPI.
    pub(crate) fn join() -> Option<mpi::environment::Universe> {
        let universe = mpi::initialize()?;
        let group: &'static MpiGroup = Box::leak(Box::new(MpiGroup {
            world: universe.world(),
        }));
        super::GROUP.with(|g| g.set(Some(group)));
        Some(universe)
    }

    impl Reducer for MpiGroup {
        fn rank(&self) -> usize {
            self.world.rank() as usize
        }

        fn world_size(&self) -> usize {
            self.world.size() as usize
        }

        /// Gathered on rank 0, summed there in rank order, broadcast: every rank gets the
        /// same bits (an MPI all-reduce does not promise that for floats).
        fn all_reduce_sum(&self, values: &mut [f64]) -> mixture::core::Result<()> {
            let w = self.world_size();
            let root = self.world.process_at_rank(0);
            if self.world.rank() == 0 {
                let len = values.len();
                let mut all = vec![0.0f64; len * w];
                root.gather_into_root(&values[..], &mut all[..]);
                for (i, v) in values.iter_mut().enumerate() {
                    *v = (0..w).map(|r| all[r * len + i]).sum();
                }
            } else {
                root.gather_into(&values[..]);
            }
            root.broadcast_into(values);
            Ok(())
        }

        fn all_gather_bytes(&self, bytes: &[u8]) -> mixture::core::Result<Vec<Vec<u8>>> {
            let w = self.world_size();
            // One leading byte on every rank's part: Open MPI refuses an all-gather whose
            // parts are all empty.
            let mut sent = Vec::with_capacity(bytes.len() + 1);
            sent.push(0u8);
            sent.extend_from_slice(bytes);
            let bytes = &sent[..];
            let len = bytes.len() as Rank;
            let mut lens = vec![0 as Rank; w];
            self.world.all_gather_into(&len, &mut lens[..]);
            let displs: Vec<Rank> = lens
                .iter()
                .scan(0, |acc, &l| {
                    let d = *acc;
                    *acc += l;
                    Some(d)
                })
                .collect();
            let total: usize = lens.iter().map(|&l| l as usize).sum();
            let mut buf = vec![0u8; total];
            {
                let mut partition =
                    mpi::datatype::PartitionMut::new(&mut buf[..], &lens[..], &displs[..]);
                self.world.all_gather_varcount_into(bytes, &mut partition);
            }
            Ok(lens
                .iter()
                .zip(&displs)
                .map(|(&l, &d)| buf[d as usize + 1..(d + l) as usize].to_vec())
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_cover_the_rows_in_rank_order() {
        for (n, w) in [(10, 3), (2, 2), (7, 1), (100, 7)] {
            let blocks: Vec<_> = (0..w).map(|r| block(n, r, w)).collect();
            assert_eq!(blocks[0].start, 0);
            assert_eq!(blocks[w - 1].end, n);
            assert!(blocks.windows(2).all(|b| b[0].end == b[1].start));
            assert!(blocks
                .iter()
                .all(|b| b.len() == n / w || b.len() == n / w + 1));
        }
        assert_eq!(
            shard_path(Path::new("d/part-{rank}.npy"), 2),
            PathBuf::from("d/part-2.npy")
        );
    }
}
