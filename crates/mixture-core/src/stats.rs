//! Additive sufficient statistics: the currency between components, gates and drivers.

use crate::{Error, Result, reduce::Reducer};

/// Added to every component's total responsibility before dividing by it, as scikit-learn
/// does (`10 · f64::EPSILON`), so that an empty component gives finite numbers: the one
/// value the Gaussian updates and the mixing-weight gates share.
pub const NK_EPS: f64 = 10.0 * f64::EPSILON;

/// Sufficient statistics of a batch, which add up across batches.
///
/// Exact mini-batch EM is "merge the statistics of every batch, then one M-step"; because
/// merging is addition (or, for a gate that trains on the responsibilities, concatenation),
/// the result does not depend on how the data were split. Implementations must make `merge`
/// associative, so the order and size of the batches only change float rounding.
pub trait Statistics: Sized {
    /// Combines the statistics of two disjoint sets of rows.
    fn merge(self, other: Self) -> Self;

    /// The statistics summed over every rank of `reducer` (each rank holding a shard of the
    /// rows), in f64 on the host whatever the compute dtype: data-parallel EM. The default
    /// says that these statistics do not travel ([`Error::NotDistributed`]).
    ///
    /// # Errors
    /// [`Error::NotDistributed`], or the engine's failure.
    fn all_reduce(self, reducer: &dyn Reducer) -> Result<Self> {
        let _ = reducer;
        Err(Error::NotDistributed {
            what: "a fit with these statistics",
            reason: format!(
                "`{}` has no all-reduce; fit in one process",
                core::any::type_name::<Self>()
            ),
        })
    }
}

impl Statistics for () {
    fn merge(self, _other: Self) -> Self {}

    fn all_reduce(self, _reducer: &dyn Reducer) -> Result<Self> {
        Ok(())
    }
}

/// Merges an optional accumulator with new statistics.
pub fn accumulate<S: Statistics>(acc: Option<S>, next: S) -> Option<S> {
    Some(match acc {
        Some(a) => a.merge(next),
        None => next,
    })
}
