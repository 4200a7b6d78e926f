//! A [`Reducer`] over burn-collective's in-process mode: several devices of one process, one
//! thread each (the `collective` feature).
//!
//! burn-collective (burn's `collective` feature) sums tensors across the devices registered
//! with its local server. [`CollectiveGroup`] puts the statistics of a data-parallel fit
//! through it as f64 tensors on each member's device, so that they are reduced in f64 whatever
//! the fit's compute dtype (the device must hold f64: flex, ndarray and CUDA do, wgpu does
//! not). Processes and machines go through MPI instead (the command line's `mpi` feature):
//! burn-collective's multi-node mode hangs on a second all-reduce and has no timeouts.
//!
//! burn-collective has one local server per backend type and process, so one group per
//! backend runs at a time: every member leaves the group when dropped, and a new group forms
//! once every member of the last one has left (a member that registers earlier is refused,
//! `MultipleRegister`). burn-collective has no timeouts: a member that never joins, or never
//! calls a collective, leaves the others waiting. The fits agree on failures before each
//! collective step (see [`crate::reduce::agree`]), so a failing shard fails every member
//! instead; a thread that dies does not.

use std::marker::PhantomData;

use burn::collective::{self, CollectiveConfig, CollectiveError, PeerId, ReduceOperation};
use burn::tensor::{DType, Tensor, TensorPrimitive, backend::Backend};

use crate::{
    Error, Result,
    reduce::Reducer,
    tensor::{from_f64, to_vec_f64},
};

/// One member of a group of `world_size` devices of this process, each driven by its own
/// thread, that reduce through burn-collective.
///
/// # Example
/// ```
/// use mixture_core::{collective::CollectiveGroup, reduce::Reducer};
/// type B = burn_flex::Flex;
///
/// let handles: Vec<_> = (0..2)
///     .map(|rank| {
///         std::thread::spawn(move || {
///             let group = CollectiveGroup::<B>::join(rank, 2, Default::default()).unwrap();
///             let mut v = vec![rank as f64 + 1.0, 0.5];
///             group.all_reduce_sum(&mut v).unwrap();
///             let all = group.all_gather_bytes(&[rank as u8; 3]).unwrap();
///             (v, all)
///         })
///     })
///     .collect();
/// for h in handles {
///     let (v, all) = h.join().unwrap();
///     assert_eq!(v, vec![3.0, 1.0]);
///     assert_eq!(all, vec![vec![0u8; 3], vec![1u8; 3]]);
/// }
/// ```
pub struct CollectiveGroup<B: Backend> {
    rank: usize,
    world_size: usize,
    device: B::Device,
    _backend: PhantomData<B>,
}

impl<B: Backend> CollectiveGroup<B> {
    /// Registers `device` as rank `rank` of `world_size` with burn-collective's local server.
    /// Call it from the thread that drives the device; every rank must join.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a rank outside `0..world_size`;
    /// [`Error::RankFailed`] when burn-collective refuses the registration.
    pub fn join(rank: usize, world_size: usize, device: B::Device) -> Result<Self> {
        if world_size == 0 || rank >= world_size {
            return Err(Error::InvalidConfig {
                field: "rank",
                reason: format!("must be in 0..{world_size}, got {rank}"),
            });
        }
        let config = CollectiveConfig::default().with_num_devices(world_size);
        collective::register::<B>(peer(rank), device.clone(), config)
            .map_err(|e| failed(rank, world_size, "register", e))?;
        Ok(Self {
            rank,
            world_size,
            device,
            _backend: PhantomData,
        })
    }

    /// An f64 tensor of `values` on this member's device.
    fn tensor(&self, values: Vec<f64>) -> Tensor<B, 1> {
        let n = values.len();
        from_f64(values, [n], &self.device, DType::F64)
    }
}

impl<B: Backend> Drop for CollectiveGroup<B> {
    fn drop(&mut self) {
        // Leaving can only fail when the server is already gone: nothing to do then.
        let _ = collective::finish_collective::<B>(peer(self.rank));
    }
}

impl<B: Backend> std::fmt::Debug for CollectiveGroup<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CollectiveGroup(rank {} of {})",
            self.rank, self.world_size
        )
    }
}

fn peer(rank: usize) -> PeerId {
    PeerId(rank as u32)
}

fn failed(rank: usize, world_size: usize, what: &str, e: CollectiveError) -> Error {
    Error::RankFailed {
        rank,
        world_size,
        message: format!("burn-collective {what} failed: {e:?}"),
    }
}

impl<B: Backend> Reducer for CollectiveGroup<B> {
    fn rank(&self) -> usize {
        self.rank
    }

    fn world_size(&self) -> usize {
        self.world_size
    }

    /// One burn-collective all-reduce of an f64 tensor (its tree strategy: every member gets
    /// the root's sum, bit for bit).
    fn all_reduce_sum(&self, values: &mut [f64]) -> Result<()> {
        if values.is_empty() {
            return Ok(());
        }
        let t = self.tensor(values.to_vec());
        let summed = collective::all_reduce::<B>(
            peer(self.rank),
            t.into_primitive().tensor(),
            ReduceOperation::Sum,
        )
        .map_err(|e| failed(self.rank, self.world_size, "all-reduce", e))?;
        let summed = to_vec_f64(Tensor::<B, 1>::from_primitive(TensorPrimitive::Float(
            summed,
        )))?;
        values.copy_from_slice(&summed);
        Ok(())
    }

    /// The lengths by one all-reduce, then one broadcast per rank with bytes to send (bytes
    /// travel as f64 values, exactly).
    fn all_gather_bytes(&self, bytes: &[u8]) -> Result<Vec<Vec<u8>>> {
        let mut lengths = vec![0.0; self.world_size];
        lengths[self.rank] = bytes.len() as f64;
        self.all_reduce_sum(&mut lengths)?;
        let mut all = Vec::with_capacity(self.world_size);
        for (root, &len) in lengths.iter().enumerate() {
            if len == 0.0 {
                all.push(Vec::new());
                continue;
            }
            let mine = (root == self.rank).then(|| {
                self.tensor(bytes.iter().map(|&b| f64::from(b)).collect())
                    .into_primitive()
                    .tensor()
            });
            let got = collective::broadcast::<B>(peer(self.rank), mine)
                .map_err(|e| failed(self.rank, self.world_size, "broadcast", e))?;
            let values = to_vec_f64(Tensor::<B, 1>::from_primitive(TensorPrimitive::Float(got)))?;
            all.push(values.into_iter().map(|v| v as u8).collect());
        }
        Ok(all)
    }
}
