//! Data-parallel fits: a [`Reducer`] sums statistics over the processes (or threads) that
//! each hold a shard of the rows, and a [`Sharded`] source makes a fit over one shard the fit
//! of all of them.
//!
//! The design rests on the statistics being additive: a fit over W shards is the fit over
//! their concatenation when every sum a fit takes over its rows (the data mean, k-means'
//! cluster sums, EM's sufficient statistics, the log-likelihood) is summed over the shards
//! before it is used. Every process then runs the same M-step on the same numbers, so the
//! parameters, the convergence decision and any failure are the same on every rank with no
//! further communication. Sums travel as f64 whatever the compute dtype.
//!
//! What a process alone can fail at (reading its shard, a non-finite value in it) is agreed
//! on at the end of every pass over a [`Sharded`] source ([`agree`]): either every rank goes
//! on, or every rank returns [`Error::RankFailed`] naming the lowest failing rank and its
//! error. No rank is left waiting in a collective for one that has given up.
//!
//! Engines: [`ThreadGroup`] (threads of one process, for several devices or for tests) is
//! here; the command line adds MPI (`mixture-cli`'s `mpi` feature) behind the same trait.

use std::sync::{Arc, Barrier, Mutex};

use burn::tensor::{Tensor, backend::Backend};

use crate::{
    Batch, DataSource, Error, Result,
    tensor::{from_f64, to_vec_f64},
};

/// The collective operations a data-parallel fit needs, over a fixed group of W ranks.
///
/// Every rank must call the same operations in the same order (a fit's control flow is the
/// same on every rank because it acts on reduced values only). Implementations block until
/// every rank has joined the call.
pub trait Reducer {
    /// This process's rank, in `0..world_size`. Rank order is row order.
    fn rank(&self) -> usize;

    /// The number of ranks, W.
    fn world_size(&self) -> usize;

    /// Replaces `values` by their elementwise sum over all ranks (the same length on every
    /// rank). The sum is taken in rank order where the engine allows it.
    ///
    /// # Errors
    /// The engine's failure, as [`Error::RankFailed`].
    fn all_reduce_sum(&self, values: &mut [f64]) -> Result<()>;

    /// Every rank's `bytes`, in rank order (lengths may differ between ranks).
    ///
    /// # Errors
    /// The engine's failure, as [`Error::RankFailed`].
    fn all_gather_bytes(&self, bytes: &[u8]) -> Result<Vec<Vec<u8>>>;
}

impl<R: Reducer + ?Sized> Reducer for &R {
    fn rank(&self) -> usize {
        (**self).rank()
    }

    fn world_size(&self) -> usize {
        (**self).world_size()
    }

    fn all_reduce_sum(&self, values: &mut [f64]) -> Result<()> {
        (**self).all_reduce_sum(values)
    }

    fn all_gather_bytes(&self, bytes: &[u8]) -> Result<Vec<Vec<u8>>> {
        (**self).all_gather_bytes(bytes)
    }
}

/// Replaces `values` on every rank by rank 0's (one all-reduce): the decisions a fit takes
/// from its host reads (convergence, a failed component) are then the same on every rank
/// even where ranks on different hardware round an M-step differently.
///
/// # Errors
/// The engine's failure.
pub fn from_rank_zero(reducer: &dyn Reducer, values: &mut [f64]) -> Result<()> {
    if reducer.rank() != 0 {
        values.iter_mut().for_each(|v| *v = 0.0);
    }
    reducer.all_reduce_sum(values)
}

/// Agrees on the outcome of a step that each rank ran on its own: `Ok` on every rank only if
/// it is `Ok` on every rank; otherwise every rank gets [`Error::RankFailed`] with the lowest
/// failing rank and its error's message (one collective).
///
/// # Errors
/// [`Error::RankFailed`] as above, or the engine's failure.
///
/// ```
/// use mixture_core::{reduce::{agree, Reducer, ThreadGroup}, Error};
///
/// let outcomes: Vec<String> = std::thread::scope(|s| {
///     let handles: Vec<_> = ThreadGroup::new(3).into_iter().map(|r| s.spawn(move || {
///         let mine = if r.rank() == 1 {
///             Err(Error::InvalidConfig { field: "input", reason: "shard missing".into() })
///         } else {
///             Ok(())
///         };
///         agree(&r, mine).unwrap_err().to_string()
///     })).collect();
///     handles.into_iter().map(|h| h.join().unwrap()).collect()
/// });
/// assert!(outcomes.iter().all(|m| m.starts_with("rank 1 of 3 failed: invalid value for `input`")));
/// ```
pub fn agree<T>(reducer: &dyn Reducer, outcome: Result<T>) -> Result<T> {
    let message = match &outcome {
        Ok(_) => Vec::new(),
        // A failing rank always sends at least one byte.
        Err(e) => format!("{e} ").into_bytes(),
    };
    let all = reducer.all_gather_bytes(&message)?;
    match all.iter().position(|m| !m.is_empty()) {
        None => outcome,
        Some(rank) => Err(Error::RankFailed {
            rank,
            world_size: reducer.world_size(),
            message: String::from_utf8_lossy(&all[rank]).trim_end().to_string(),
        }),
    }
}

/// Sums tensors over all ranks: one host read of their concatenation, one all-reduce in f64,
/// and the sums back in the dtype and on the device of the first tensor, with their shapes.
///
/// # Errors
/// A failed host read or the engine's failure.
pub fn all_reduce_tensors<B: Backend>(
    reducer: &dyn Reducer,
    parts: Vec<Tensor<B, 1>>,
) -> Result<Vec<Tensor<B, 1>>> {
    let Some(first) = parts.first() else {
        return Ok(parts);
    };
    let (device, dtype) = (first.device(), first.dtype());
    let sizes: Vec<usize> = parts.iter().map(|t| t.dims()[0]).collect();
    let mut values = to_vec_f64(Tensor::cat(parts, 0))?;
    reducer.all_reduce_sum(&mut values)?;
    let mut out = Vec::with_capacity(sizes.len());
    let mut start = 0;
    for n in sizes {
        out.push(from_f64(
            values[start..start + n].to_vec(),
            [n],
            &device,
            dtype,
        ));
        start += n;
    }
    Ok(out)
}

/// The sum over all ranks of each tensor of `parts` when `source` is [`Sharded`]; `parts`
/// unchanged (no host read) for a source that one process holds whole.
///
/// # Errors
/// As [`all_reduce_tensors`].
pub fn sum_over_shards<B: Backend, S: DataSource<B> + ?Sized>(
    source: &S,
    parts: Vec<Tensor<B, 1>>,
) -> Result<Vec<Tensor<B, 1>>> {
    match source.reducer() {
        Some(r) => all_reduce_tensors(r, parts),
        None => Ok(parts),
    }
}

/// One rank's shard of a data set whose rows are split, in rank order, over the ranks of a
/// [`Reducer`]: to a fit it is the whole data set (`n_samples` counts every rank's rows and
/// batches carry their global row positions), while it reads only its own rows. Every pass
/// ends with an [`agree`]ment, so a rank that fails during a pass fails every rank.
///
/// ```
/// use burn::tensor::{DType, Tensor};
/// use mixture_core::{reduce::{Sharded, ThreadGroup, Reducer}, tensor::from_f64, Batch, DataSource, TensorSource};
///
/// type B = burn_ndarray::NdArray<f64>;
/// let totals: Vec<(usize, usize)> = std::thread::scope(|s| {
///     let handles: Vec<_> = ThreadGroup::new(2).into_iter().map(|r| s.spawn(move || {
///         let rows = 3 + r.rank(); // uneven shards: 3 and 4 rows
///         let x: Tensor<B, 2> = from_f64(vec![1.0; rows * 2], [rows, 2], &Default::default(), DType::F64);
///         let shard = Sharded::open(r, || Ok(TensorSource::new(Batch::new(x), None))).unwrap();
///         let mut first = 0;
///         shard.for_each_batch(&mut |b| { first = b.rows.start; Ok(()) }).unwrap();
///         (shard.n_samples(), first)
///     })).collect();
///     handles.into_iter().map(|h| h.join().unwrap()).collect()
/// });
/// assert_eq!(totals, vec![(7, 0), (7, 3)]);
/// ```
pub struct Sharded<S, R> {
    inner: S,
    reducer: R,
    offset: usize,
    n_samples: usize,
    n_features: usize,
}

impl<S, R: Reducer> Sharded<S, R> {
    /// Opens this rank's shard with `open` and agrees with the other ranks that every shard
    /// opened and that all have the same number of columns (two collectives).
    ///
    /// # Errors
    /// [`Error::RankFailed`] naming the lowest rank whose `open` failed, whose shard is empty
    /// or whose shard's width differs from rank 0's.
    pub fn open<B: Backend>(reducer: R, open: impl FnOnce() -> Result<S>) -> Result<Self>
    where
        S: DataSource<B>,
    {
        let inner = agree(&reducer, open())?;
        let (n, d) = (inner.n_samples(), inner.n_features());
        let shape = [n as u64, d as u64].map(u64::to_le_bytes).concat();
        let all = reducer.all_gather_bytes(&shape)?;
        let shapes: Vec<(usize, usize)> = all
            .iter()
            .map(|b| {
                let word = |i: usize| {
                    let mut w = [0u8; 8];
                    w.copy_from_slice(&b[8 * i..8 * i + 8]);
                    u64::from_le_bytes(w) as usize
                };
                (word(0), word(1))
            })
            .collect();
        if let Some(rank) = shapes.iter().position(|&(n, _)| n == 0) {
            return Err(Error::RankFailed {
                rank,
                world_size: reducer.world_size(),
                message: "its shard has no rows; give every rank at least one row".into(),
            });
        }
        let width = shapes[0].1;
        if let Some(rank) = shapes.iter().position(|&(_, w)| w != width) {
            return Err(Error::RankFailed {
                rank,
                world_size: reducer.world_size(),
                message: format!(
                    "its shard has {} columns where rank 0's has {width}; every shard must have the same columns",
                    shapes[rank].1
                ),
            });
        }
        let offset = shapes[..reducer.rank()].iter().map(|s| s.0).sum();
        let n_samples = shapes.iter().map(|s| s.0).sum();
        Ok(Self {
            inner,
            reducer,
            offset,
            n_samples,
            n_features: width,
        })
    }

    /// The reducer of the group.
    pub fn group(&self) -> &R {
        &self.reducer
    }

    /// The first row this rank holds, as a position in the whole data set.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The source of this rank's own rows.
    pub fn local(&self) -> &S {
        &self.inner
    }

    /// The source of this rank's own rows, taken out of the group (to change it and
    /// [`open`](Self::open) it again).
    pub fn into_local(self) -> S {
        self.inner
    }
}

impl<B: Backend, S: DataSource<B>, R: Reducer> DataSource<B> for Sharded<S, R> {
    fn n_samples(&self) -> usize {
        self.n_samples
    }

    fn n_features(&self) -> usize {
        self.n_features
    }

    fn for_each_batch(&self, f: &mut dyn FnMut(Batch<B>) -> Result<()>) -> Result<()> {
        let mut next = self.offset;
        let pass = self.inner.for_each_batch(&mut |batch: Batch<B>| {
            if batch.weight.is_some() {
                return Err(Error::InvalidWeights {
                    reason: "sample weights are not supported in a fit across processes".into(),
                });
            }
            let n = batch.n_samples();
            let batch = batch.with_rows(next..next + n);
            next += n;
            f(batch)
        });
        agree(&self.reducer, pass)
    }

    fn device(&self) -> B::Device {
        self.inner.device()
    }

    fn reducer(&self) -> Option<&dyn Reducer> {
        Some(&self.reducer)
    }
}

/// A [`Reducer`] over the threads of one process: [`ThreadGroup::new`]`(w)` makes the W
/// members, one to move into each thread (each thread may drive its own device). Sums are
/// taken in rank order, so every member gets bit-identical results.
#[derive(Clone)]
pub struct ThreadGroup {
    rank: usize,
    shared: Arc<Shared>,
}

struct Shared {
    barrier: Barrier,
    slots: Mutex<Vec<Vec<u8>>>,
    sums: Mutex<Vec<Vec<f64>>>,
}

impl ThreadGroup {
    /// The `world_size` members of a new group, rank 0 first.
    pub fn new(world_size: usize) -> Vec<Self> {
        let w = world_size.max(1);
        let shared = Arc::new(Shared {
            barrier: Barrier::new(w),
            slots: Mutex::new(vec![Vec::new(); w]),
            sums: Mutex::new(vec![Vec::new(); w]),
        });
        (0..w)
            .map(|rank| Self {
                rank,
                shared: shared.clone(),
            })
            .collect()
    }
}

impl std::fmt::Debug for ThreadGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ThreadGroup(rank {} of {})",
            self.rank,
            self.world_size()
        )
    }
}

impl Reducer for ThreadGroup {
    fn rank(&self) -> usize {
        self.rank
    }

    fn world_size(&self) -> usize {
        self.shared
            .slots
            .lock()
            .map(|s| s.len())
            .unwrap_or_else(|p| p.into_inner().len())
    }

    fn all_reduce_sum(&self, values: &mut [f64]) -> Result<()> {
        let lock_failed = || Error::RankFailed {
            rank: self.rank,
            world_size: self.world_size(),
            message: "a thread of the group panicked".into(),
        };
        {
            let mut sums = self.shared.sums.lock().map_err(|_| lock_failed())?;
            sums[self.rank] = values.to_vec();
        }
        self.shared.barrier.wait();
        {
            let sums = self.shared.sums.lock().map_err(|_| lock_failed())?;
            for (i, v) in values.iter_mut().enumerate() {
                *v = sums.iter().map(|s| s.get(i).copied().unwrap_or(0.0)).sum();
            }
        }
        self.shared.barrier.wait();
        Ok(())
    }

    fn all_gather_bytes(&self, bytes: &[u8]) -> Result<Vec<Vec<u8>>> {
        let lock_failed = || Error::RankFailed {
            rank: self.rank,
            world_size: self.world_size(),
            message: "a thread of the group panicked".into(),
        };
        {
            let mut slots = self.shared.slots.lock().map_err(|_| lock_failed())?;
            slots[self.rank] = bytes.to_vec();
        }
        self.shared.barrier.wait();
        let all = self.shared.slots.lock().map_err(|_| lock_failed())?.clone();
        self.shared.barrier.wait();
        Ok(all)
    }
}
