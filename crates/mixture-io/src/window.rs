//! Which rows of a file a source serves, and how many per batch: the part every source of
//! this crate shares. (Tested through the sources, in mixture-em's streaming tests.)

use std::ops::Range;

/// The rows a source serves (all of the file's, or one shard's block) and its batch size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RowWindow {
    /// Rows of the file.
    n_rows: usize,
    /// The rows served, within `0..n_rows`.
    pub rows: Range<usize>,
    /// Rows per batch, at least 1.
    pub batch_rows: usize,
}

impl RowWindow {
    /// All `n_rows` rows, `batch_rows` (at least 1) per batch.
    pub fn new(n_rows: usize, batch_rows: usize) -> Self {
        Self {
            n_rows,
            rows: 0..n_rows,
            batch_rows: batch_rows.max(1),
        }
    }

    /// `rows` rows per batch (at least 1).
    pub fn with_batch_rows(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// Only the rows `range`, clamped to the file's rows (an empty range past its end).
    pub fn with_rows(mut self, range: Range<usize>) -> Self {
        let end = range.end.min(self.n_rows);
        self.rows = range.start.min(end)..end;
        self
    }

    /// The file rows of each batch, in order.
    pub fn batches(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.rows
            .clone()
            .step_by(self.batch_rows)
            .map(|start| start..(start + self.batch_rows).min(self.rows.end))
    }
}
