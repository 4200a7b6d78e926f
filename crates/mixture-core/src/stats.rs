//! Additive sufficient statistics: the currency between components, gates and drivers.

/// Sufficient statistics of a batch, which add up across batches.
///
/// Exact mini-batch EM is "merge the statistics of every batch, then one M-step"; because
/// merging is addition (or, for a gate that trains on the responsibilities, concatenation),
/// the result does not depend on how the data were split. Implementations must make `merge`
/// associative, so the order and size of the batches only change float rounding.
pub trait Statistics: Sized {
    /// Combines the statistics of two disjoint sets of rows.
    fn merge(self, other: Self) -> Self;
}

impl Statistics for () {
    fn merge(self, _other: Self) -> Self {}
}

/// Merges an optional accumulator with new statistics.
pub fn accumulate<S: Statistics>(acc: Option<S>, next: S) -> Option<S> {
    Some(match acc {
        Some(a) => a.merge(next),
        None => next,
    })
}
